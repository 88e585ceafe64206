"""Summarises a `make bench` results file (JSON lines from headscope-bench and the reference
script) as a Markdown table of medians per shape. Standard library only.

    python3 scripts/bench/table.py .cache/bench/results-<time>.jsonl
"""
import json, statistics, sys
from collections import defaultdict


def median(values):
    return statistics.median(values) if values else float("nan")


def main(path):
    rows = defaultdict(lambda: defaultdict(list))
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            r = json.loads(line)
            rows[r["shape"]][r["impl"]].append(r)
    print("| shape | tokens | prefill tok/s Swift | transformers | ratio | decode ms/tok Swift | transformers | ratio "
          "| prefill GFLOP | achieved GFLOP/s | sgemm roof GFLOP/s | % of roof |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for shape, impls in rows.items():
        swift, ref, roof = impls.get("headscope", []), impls.get("transformers", []), impls.get("sgemm", [])
        if not swift:
            continue
        s_tps = median([r["prefill_tokens_per_s"] for r in swift])
        s_dec = median([r["decode_ms_per_token"] for r in swift])
        r_tps = median([r["prefill_tokens_per_s"] for r in ref])
        r_dec = median([r["decode_ms_per_token"] for r in ref])
        gflops = median([r["prefill_gflops"] for r in swift])
        roof_g = median([r["best_gflops"] for r in roof])
        fmt = lambda x, p=1: "n/a" if x != x else f"{x:.{p}f}"
        print(f"| {shape} | {swift[0]['tokens']} | {fmt(s_tps)} | {fmt(r_tps)} | {fmt(s_tps / r_tps, 2)} "
              f"| {fmt(s_dec)} | {fmt(r_dec)} | {fmt(s_dec / r_dec, 2)} | {fmt(swift[0]['prefill_gflop'])} "
              f"| {fmt(gflops)} | {fmt(roof_g)} | {fmt(100 * gflops / roof_g, 0)}% |")
    print()
    print("Medians over every timed repeat's median; ratio: Swift / transformers for tokens/s (higher is "
          "better), for ms/token (lower is better). Roof: median of best-of-5 sgemm 1024x4096x4096 runs.")


if __name__ == "__main__":
    main(sys.argv[1])
