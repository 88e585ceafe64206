"""Reference timing for `make bench`: the attribution stage's keep-mask runs, written in transformers
the way such an ablation is usually written, on the built-in model (scripts/builtin/builtin_model.py).

One keep-mask run = one forward pass of the whole prompt through SmolLM2 (inputs_embeds: token
embeddings with the connector's image features spliced in, computed once) in which every head the
mask drops sees, at the image-token positions, the keys and values a blank mid-gray image gives
instead of the real ones; then the target token's logit at the last position. Keys and values are
swapped per *query* head: the decoder has grouped-query attention (9 query heads share 3 KV heads),
so a hook on k_proj/v_proj would ablate three heads at once. The swap therefore lives in a custom
attention function (transformers' AttentionInterface) that expands K/V to the query heads
(repeat_kv), overwrites the dropped heads' rows at the image positions with the baseline's
post-RoPE keys and values, and calls PyTorch's scaled_dot_product_attention. Logits are computed
at the last position only (`logits_to_keep=1`) and no KV cache is kept, as HeadScope's run.

Masks come from the same SplitMix64 stream as HeadScope's `AttributionBench` (seed, stream "bench",
keep when the next uniform draw < keep probability), so the two runs' target logits can be compared
mask by mask. HeadScope's session also keeps the KV cache of the prompt before the image across runs
and recomputes from the first image position on; a plain forward pass recomputes everything.
`--reuse-prefix` does the equivalent here (the prefix's DynamicCache computed once and copied per
run) for comparison; it is not what `make bench` times.

    .venv-ref/bin/python scripts/bench/attribution_reference.py --image img.png \\
        --question "What is the main object in this image? Answer with one word." --answer circle

Prints one JSON line (keys as `headscope-bench attribution`'s).
"""
import argparse, copy, hashlib, json, os, statistics, sys, tempfile, time, warnings

import torch
import torch.nn.functional as F
from PIL import Image
from transformers.models.llama.modeling_llama import repeat_kv

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts/builtin"))
import builtin_model as bm  # noqa: E402

MASK = (1 << 64) - 1
ATTENTION = "image_ablation"


class SplitMix64:
    """HeadScopeAttribute.SplitMix64: the keep-mask generator."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def unit(self):
        return (self.next() >> 11) * 2.0 ** -53

    @staticmethod
    def stream_seed(seed, name):
        h = 0xCBF29CE484222325
        for byte in name.encode():
            h = ((h ^ byte) * 0x100000001B3) & MASK
        return SplitMix64(seed ^ h).next()


def keep_masks(count, heads, keep_prob, seed, stream="bench"):
    """KeepMaskSampler.masks: [count][heads] of 0/1, layer-major heads."""
    rng = SplitMix64(SplitMix64.stream_seed(seed, stream))
    return [[1 if rng.unit() < keep_prob else 0 for _ in range(heads)] for _ in range(count)]


# What the attention function does on the next forward pass.
STATE = {"positions": None, "capture": None, "baseline": None, "drop": None}


def image_ablation_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    """SDPA attention in which the dropped query heads see the baseline's K/V at the image positions."""
    layer = module.layer_idx
    key = repeat_kv(key, module.num_key_value_groups)      # [1, Hq, keys, D], post-RoPE
    value = repeat_kv(value, module.num_key_value_groups)
    positions = STATE["positions"]
    if STATE["capture"] is not None:
        STATE["capture"][layer] = (key[0, :, positions].clone(), value[0, :, positions].clone())
    drop = STATE["drop"][layer] if STATE["drop"] is not None else None
    if drop is not None and len(drop):
        base_k, base_v = STATE["baseline"][layer]            # [Hq, image tokens, D]
        key, value = key.clone(), value.clone()
        rows = drop[:, None], positions[None, :]
        key[0][rows] = base_k[drop]
        value[0][rows] = base_v[drop]
    is_causal = query.shape[2] > 1 and attention_mask is None
    out = F.scaled_dot_product_attention(query, key, value, attn_mask=attention_mask, is_causal=is_causal, scale=scaling)
    return out.transpose(1, 2).contiguous(), None


def register_attention(lm):
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask
    AttentionInterface.register(ATTENTION, image_ablation_attention)
    AttentionMaskInterface.register(ATTENTION, sdpa_mask)
    lm.set_attn_implementation(ATTENTION)


def prompt_ids(tok, question, n_image_tokens, image_token_id, assistant_prefix=""):
    """The attribution prompt as HeadScope's runtime renders it for the built-in model: one user
    turn "<image>\\n" + question in the chat template, the assistant turn opened, the text around
    the image tokenized separately and the image ids spliced in."""
    text = bm.IMAGE_TOKEN + "\n" + question
    prompt = tok.apply_chat_template([{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True)
    before, after = (prompt + assistant_prefix).split(bm.IMAGE_TOKEN)
    return tok(before, add_special_tokens=False)["input_ids"] + [image_token_id] * n_image_tokens + \
        tok(after, add_special_tokens=False)["input_ids"]


def embeddings(ref, ids, image_path):
    """Input embeddings [1, T, D] with the image's projected features at the image positions."""
    with torch.no_grad():
        return bm.embed_prompt(ref.lm, ids, ref.projected(image_path), ref.image_token_id)[None]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--image", required=True)
    ap.add_argument("--question", required=True)
    ap.add_argument("--answer", required=True, help="its first token's logit is recorded")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--keep-prob", type=float, default=0.9)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--name", default="headscope-builtin")
    ap.add_argument("--reuse-prefix", action="store_true",
                    help="keep the KV cache of the prompt before the image across runs (as HeadScope's session)")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", message=".*past_key_values.*", category=FutureWarning)
    torch.set_num_threads(args.threads)

    t0 = time.perf_counter()
    ref = bm.BuiltinReference.load()
    lm = ref.lm
    register_attention(lm)
    load_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    ids = prompt_ids(ref.tok, args.question, ref.n_image_tokens, ref.image_token_id)
    positions = [i for i, t in enumerate(ids) if t == ref.image_token_id]
    STATE["positions"] = torch.tensor(positions)
    target = ref.tok(args.answer, add_special_tokens=False)["input_ids"][0]
    layers, heads = lm.config.num_hidden_layers, lm.config.num_attention_heads

    # Baseline: post-RoPE keys and values of every query head at the image positions, for a
    # mid-gray image of the image's size (the stage's --baseline blank).
    with tempfile.TemporaryDirectory() as scratch:
        blank = os.path.join(scratch, "blank.png")
        Image.new("RGB", Image.open(args.image).size, (128, 128, 128)).save(blank)
        x_blank = embeddings(ref, ids, blank)
    STATE["capture"] = {}
    with torch.no_grad():
        lm(inputs_embeds=x_blank, use_cache=False, logits_to_keep=1)
    STATE["baseline"], STATE["capture"] = STATE["capture"], None

    x = embeddings(ref, ids, args.image)          # the image is encoded once
    masks = keep_masks(args.runs, layers * heads, args.keep_prob, args.seed)
    first = positions[0]
    prefix_cache = None
    if args.reuse_prefix:
        with torch.no_grad():
            prefix_cache = lm(inputs_embeds=x[:, :first], use_cache=True).past_key_values

    def run(mask):
        """One keep-mask run: the target's logit at the last position."""
        if mask is None:
            STATE["drop"] = None
        else:
            STATE["drop"] = [torch.tensor([h for h in range(heads) if mask[layer * heads + h] == 0], dtype=torch.long)
                             for layer in range(layers)]
        with torch.no_grad():
            if prefix_cache is None:
                logits = lm(inputs_embeds=x, use_cache=False, logits_to_keep=1).logits
            else:
                # `past_key_values` (renamed `cache` in recent transformers) works across 5.x.
                logits = lm(inputs_embeds=x[:, first:], past_key_values=copy.deepcopy(prefix_cache),
                            logits_to_keep=1).logits
        return logits[0, -1, target].item()

    full_logit = run(None)                         # warm-up, unablated
    setup_s = time.perf_counter() - t0
    times, target_logits = [], []
    for repeat in range(args.repeats):
        start = time.perf_counter()
        values = [run(m) for m in masks]
        times.append(time.perf_counter() - start)
        if repeat == 0:
            target_logits = values
    rates = sorted(args.runs / t for t in times)
    print(json.dumps(dict(
        impl="transformers" + ("-prefix" if args.reuse_prefix else ""), name=args.name, threads=args.threads,
        image=os.path.abspath(args.image), question=args.question, answer=args.answer, target_token=target,
        keep_prob=args.keep_prob, seed=args.seed, runs_per_s=statistics.median(rates), best_runs_per_s=rates[-1],
        runs=args.runs, repeats=args.repeats, heads=layers * heads, wall_s=sum(times), repeat_s=times,
        load_s=load_s, setup_s=setup_s, prompt_tokens=len(ids), image_tokens=len(positions),
        first_image_position=first,
        prompt_sha256=hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest(),
        kept_heads=sum(map(sum, masks)), full_logit=full_logit, target_logits=target_logits,
        torch=torch.__version__)))


if __name__ == "__main__":
    main()
