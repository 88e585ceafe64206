"""Reference timings for `make bench`: a Qwen2.5-VL-3B-sized random-weight model in transformers.

Creates (once) a random-weight Qwen2_5_VLForConditionalGeneration under .cache/bench/<name>/ with
the decoder width of Qwen2.5-VL-3B-Instruct (d 2048, 16 query heads / 2 KV heads of 128, FFN
11008, vocabulary 151936, tied embeddings, M-RoPE [16, 24, 24]) and its real vision tower (32
blocks of width 1280, 16 heads, SwiGLU 3420, window 112 px, full attention at 7/15/23/31, merger
to 2048), stored bf16 (both implementations compute in fp32). The decoder has `--layers` of the
real 36 layers (default 8): 36 layers are 3.75 B parameters, 15 GB in fp32 per implementation,
more than this 23 GB machine can hold next to its other work. Then times prefill (tokens/s) on
the CPU with the given thread count, printing one JSON line: one forward pass over 8 text
tokens, the image's (side / 28)^2 image-pad tokens and the remaining text tokens, logits at every
position. Token ids and pixels come from the same SplitMix64 stream as `headscope-bench engine`
(seed 1: text ids, then the [3, side, side] image by Box-Muller), the image flattened to patches
as the processor flattens it (the processor itself is not timed), so both runs see the same
input and their `first_token` (argmax at the last position) should agree.

    python scripts/bench/qwen_reference.py --name qwen25vl-3b --threads 2
    python -c "import sys; sys.path.insert(0, 'scripts/bench'); import qwen_reference as q; q.build('.cache/bench/qwen25vl-3b')"
"""
import argparse, json, os, statistics, time

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LAYERS = int(os.environ.get("BENCH_QWEN_LAYERS", 8))

TEXT_3B = dict(vocab_size=151936, hidden_size=2048, intermediate_size=11008, num_hidden_layers=36,
               num_attention_heads=16, num_key_value_heads=2, rms_norm_eps=1e-6, max_position_embeddings=128000,
               rope_parameters={"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [16, 24, 24]},
               tie_word_embeddings=True, bos_token_id=151643, eos_token_id=151645)
VISION_3B = dict(depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16, out_hidden_size=2048,
                 in_channels=3, patch_size=14, spatial_merge_size=2, temporal_patch_size=2, window_size=112,
                 fullatt_block_indexes=[7, 15, 23, 31], hidden_act="silu", tokens_per_second=2)


def build(folder, layers=LAYERS):
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration
    text = dict(TEXT_3B, num_hidden_layers=layers)
    config = Qwen2_5_VLConfig(text_config=text, vision_config=VISION_3B, image_token_id=151655, video_token_id=151656,
                              vision_start_token_id=151652, vision_end_token_id=151653, tie_word_embeddings=True)
    torch.manual_seed(0)
    # Built directly in bf16 (half the memory of fp32); the initialiser's normal draws are seeded.
    torch.set_default_dtype(torch.bfloat16)
    model = Qwen2_5_VLForConditionalGeneration(config)
    torch.set_default_dtype(torch.float32)
    model.save_pretrained(folder)


MASK = (1 << 64) - 1


class SplitMix64:
    """The generator of Sources/headscope-bench/SgemmCommand.swift."""
    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def normals(self, n):
        import numpy as np
        raw = np.array([self.next() >> 40 for _ in range(2 * n)], dtype=np.float32) / np.float32(1 << 24)
        u, v = np.maximum(raw[0::2], np.float32(1e-7)), raw[1::2]
        return np.sqrt(np.float32(-2) * np.log(u)) * np.cos(np.float32(2 * np.pi) * v)


def patches(image, patch, merge, temporal):
    """[3, H, W] -> [H/p * W/p, 3 * temporal * p * p] in Qwen2VLImageProcessor's order."""
    c, h, w = image.shape
    gh, gw = h // patch, w // patch
    x = image.reshape(c, gh // merge, merge, patch, gw // merge, merge, patch)
    x = x.transpose(1, 4, 2, 5, 0, 3, 6)[:, :, :, :, :, None]   # bh, bw, mh, mw, c, t, y, x
    x = x.repeat(temporal, axis=5)
    return x.reshape(gh * gw, c * temporal * patch * patch)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", default="qwen25vl-3b")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--text-tokens", type=int, default=64)
    ap.add_argument("--image-size", type=int, default=224)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--model", help="checkpoint folder (default .cache/bench/<name>, built when missing)")
    args = ap.parse_args()
    folder = args.model or os.path.join(ROOT, ".cache/bench", args.name)
    if not os.path.exists(os.path.join(folder, "config.json")):
        build(folder)
    torch.set_num_threads(args.threads)
    from transformers import Qwen2_5_VLForConditionalGeneration
    t = time.perf_counter()
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(folder, dtype=torch.float32).eval()
    load = time.perf_counter() - t
    cfg = model.config
    vc = cfg.vision_config
    grid = args.image_size // vc.patch_size
    n_image = (grid // vc.spatial_merge_size) ** 2
    rng = SplitMix64(1)
    text_vocab = min(cfg.text_config.vocab_size, 151643, cfg.image_token_id)
    text = torch.tensor([[rng.next() % text_vocab for _ in range(args.text_tokens)]])
    ids = torch.cat([text[:, :8], torch.full((1, n_image), cfg.image_token_id), text[:, 8:]], dim=1)
    side = args.image_size
    image = rng.normals(3 * side * side).reshape(3, side, side)
    pixels = torch.from_numpy(patches(image, vc.patch_size, vc.spatial_merge_size, vc.temporal_patch_size).copy())
    inputs = dict(input_ids=ids, attention_mask=torch.ones_like(ids), pixel_values=pixels,
                  image_grid_thw=torch.tensor([[1, grid, grid]]), mm_token_type_ids=(ids == cfg.image_token_id).int())
    prefill = []
    with torch.inference_mode():
        for _ in range(args.repeats):
            t = time.perf_counter()
            out = model(**inputs)
            prefill.append(time.perf_counter() - t)
    print(json.dumps(dict(impl="transformers", name=args.name, threads=args.threads, tokens=int(ids.shape[1]),
                          image_tokens=n_image, image_size=args.image_size,
                          text_layers=cfg.text_config.num_hidden_layers, load_s=load,
                          prefill_s=statistics.median(prefill), prefill_best_s=min(prefill),
                          prefill_tokens_per_s=ids.shape[1] / statistics.median(prefill),
                          first_token=int(out.logits[0, -1].argmax()))))


if __name__ == "__main__":
    main()
