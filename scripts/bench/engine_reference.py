"""Reference timings for `make bench`: the same LLaVA-architecture checkpoint in transformers.

Creates (once) a random-weight LLaVA checkpoint at real dimensions under .cache/bench/<name>/
(CLIP ViT-B/16 at 224 px + a TinyLlama-1.1B-shaped decoder, GQA 32/4, stored bf16 to halve the
file; both implementations compute in fp32), then times prefill (tokens/s) and greedy decode
(ms/token) on the CPU with the given thread count, printing one JSON line.

    python scripts/bench/engine_reference.py --name llava-1b --threads 2
"""
import argparse, json, os, statistics, time

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

SHAPES = {
    # CLIP ViT-B/16 + TinyLlama-1.1B geometry.
    "llava-1b": dict(
        vision=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                    image_size=224, patch_size=16, projection_dim=512),
        text=dict(hidden_size=2048, intermediate_size=5632, num_hidden_layers=22, num_attention_heads=32,
                  num_key_value_heads=4, vocab_size=32000, rope_theta=10000.0, max_position_embeddings=2048)),
    # The built-in model's geometry at reduced vocab (DINOv2-S is tested elsewhere; here CLIP-S-like).
    "llava-tiny": dict(
        vision=dict(hidden_size=384, intermediate_size=1536, num_hidden_layers=12, num_attention_heads=6,
                    image_size=224, patch_size=14, projection_dim=384),
        text=dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
                  num_key_value_heads=3, vocab_size=49152, rope_theta=100000.0, max_position_embeddings=2048)),
}


def build(name, folder):
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration
    shape = SHAPES[name]
    config = LlavaConfig(vision_config=CLIPVisionConfig(**shape["vision"]), text_config=LlamaConfig(**shape["text"]),
                         image_token_index=shape["text"]["vocab_size"] - 1, vision_feature_layer=-2,
                         vision_feature_select_strategy="default", projector_hidden_act="gelu")
    torch.manual_seed(0)
    model = LlavaForConditionalGeneration(config).to(torch.bfloat16)
    model.save_pretrained(folder)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", default="llava-1b", choices=sorted(SHAPES))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--text-tokens", type=int, default=64)
    ap.add_argument("--decode-tokens", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    folder = os.path.join(ROOT, ".cache/bench", args.name)
    if not os.path.exists(os.path.join(folder, "config.json")):
        build(args.name, folder)
    torch.set_num_threads(args.threads)
    from transformers import LlavaForConditionalGeneration
    model = LlavaForConditionalGeneration.from_pretrained(folder, dtype=torch.float32).eval()
    cfg = model.config
    n_image = (cfg.vision_config.image_size // cfg.vision_config.patch_size) ** 2
    g = torch.Generator().manual_seed(1)
    text = torch.randint(0, cfg.text_config.vocab_size - 2, (1, args.text_tokens), generator=g)
    ids = torch.cat([text[:, :8], torch.full((1, n_image), cfg.image_token_index), text[:, 8:]], dim=1)
    pixels = torch.randn(1, 3, cfg.vision_config.image_size, cfg.vision_config.image_size, generator=g)
    from transformers import StoppingCriteria, StoppingCriteriaList

    class StepClock(StoppingCriteria):
        """Timestamps each generated token (called once per step): the pure per-step decode time."""
        def __init__(self):
            self.times = []

        def __call__(self, input_ids, scores, **kwargs):
            self.times.append(time.perf_counter())
            return torch.zeros(input_ids.shape[0], dtype=torch.bool)

    prefill, decode, steps = [], [], []
    with torch.inference_mode():
        for _ in range(args.repeats):
            t = time.perf_counter()
            model(input_ids=ids, pixel_values=pixels)
            prefill.append(time.perf_counter() - t)
            clock = StepClock()
            t = time.perf_counter()
            out = model.generate(input_ids=ids, pixel_values=pixels, max_new_tokens=args.decode_tokens + 1,
                                 min_new_tokens=args.decode_tokens + 1, do_sample=False,
                                 stopping_criteria=StoppingCriteriaList([clock]))
            total = time.perf_counter() - t
            decode.append((total - prefill[-1]) / args.decode_tokens)
            steps.append((clock.times[-1] - clock.times[0]) / (len(clock.times) - 1))
    print(json.dumps(dict(impl="transformers", name=args.name, threads=args.threads, tokens=int(ids.shape[1]),
                          image_tokens=n_image, prefill_s=statistics.median(prefill),
                          prefill_tokens_per_s=ids.shape[1] / statistics.median(prefill),
                          decode_ms_per_token=1000 * statistics.median(decode),
                          decode_step_ms=1000 * statistics.median(steps),
                          first_token=int(out[0, ids.shape[1]]))))


if __name__ == "__main__":
    main()
