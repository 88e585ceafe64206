"""Summarises a `make bench` results file (JSON lines from headscope-bench and the reference
script) as a Markdown table of medians per shape. Standard library only.

    python3 scripts/bench/table.py .cache/bench/results-<time>.jsonl
"""
import json, statistics, sys
from collections import defaultdict


def median(values):
    return statistics.median(values) if values else float("nan")


def ratio(a, b):
    return a / b if b == b and b != 0 else float("nan")


def main(path):
    rows = defaultdict(lambda: defaultdict(list))
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            r = json.loads(line)
            rows[r["shape"]][r["impl"]].append(r)
    print("| shape | tokens | prefill tok/s Swift | transformers | ratio | decode ms/tok Swift | transformers | ratio | decode step ms Swift | transformers | ratio "
          "| prefill GFLOP | achieved GFLOP/s (median / best) | sgemm roof GFLOP/s (median / best) | % of roof (median / best) | shape roof GFLOP/s | GEMM-only time / prefill |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for shape, impls in rows.items():
        swift, ref, roof = impls.get("headscope", []), impls.get("transformers", []), impls.get("sgemm", [])
        if not swift:
            continue
        s_tps = median([r["prefill_tokens_per_s"] for r in swift])
        s_dec = median([r["decode_ms_per_token"] for r in swift if "decode_ms_per_token" in r])
        r_tps = median([r["prefill_tokens_per_s"] for r in ref])
        r_dec = median([r["decode_ms_per_token"] for r in ref if "decode_ms_per_token" in r])
        s_step = median([r["decode_step_ms"] for r in swift if "decode_step_ms" in r])
        r_step = median([r["decode_step_ms"] for r in ref if "decode_step_ms" in r])
        gflops = median([r["prefill_gflops"] for r in swift])
        roof_g = median([r["median_gflops"] for r in roof])
        best_g = max([r["prefill_best_gflops"] for r in swift])
        best_roof = max([r["best_gflops"] for r in roof], default=float("nan"))
        shape_g = median([r["linear_gemm_gflops"] for r in swift if "linear_gemm_gflops" in r])
        gemm_s = median([r["linear_gemm_s"] for r in swift if "linear_gemm_s" in r])
        prefill_s = median([r["prefill_s"] for r in swift])
        fmt = lambda x, p=1: "n/a" if x != x else f"{x:.{p}f}"
        pct = lambda x: "n/a" if x != x else f"{100 * x:.0f}%"
        print(f"| {shape} | {swift[0]['tokens']} | {fmt(s_tps)} | {fmt(r_tps)} | {fmt(ratio(s_tps, r_tps), 2)} "
              f"| {fmt(s_dec)} | {fmt(r_dec)} | {fmt(ratio(s_dec, r_dec), 2)} | {fmt(s_step)} | {fmt(r_step)} "
              f"| {fmt(ratio(s_step, r_step), 2)} | {fmt(swift[0]['prefill_gflop'])} "
              f"| {fmt(gflops)} / {fmt(best_g)} | {fmt(roof_g)} / {fmt(best_roof)} "
              f"| {pct(ratio(gflops, roof_g))} / {pct(ratio(best_g, best_roof))} "
              f"| {fmt(shape_g)} | {pct(ratio(gemm_s, prefill_s))} |")
    print()
    print("Medians over the invocations (each reports the median of its timed repeats); ratio: Swift / "
          "transformers for tokens/s (higher is better), for ms (lower is better). Decode ms/tok is the "
          "reference's estimate ((generate - prefill) / tokens); decode step ms times the steps themselves "
          "(first to last generated token). Roof: sgemm "
          "1024x4096x4096 with the same threads, run before each engine invocation; median: median of the "
          "runs' medians, best: the best single product of the run. % of roof: achieved prefill GFLOP/s "
          "(median prefill, or best prefill) over the roof (median, or best). Shape roof: the prefill's "
          "linear layers timed alone as sgemms at the model's own shapes (best of 3 each); GEMM-only "
          "time / prefill: how much of the prefill those products alone take.")


if __name__ == "__main__":
    main(sys.argv[1])
