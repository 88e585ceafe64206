"""Summarises scripts/bench/attribution.sh's results (JSON lines from `headscope-bench attribution`
and scripts/bench/attribution_reference.py): medians of keep-mask runs/s, their ratio, and whether
the two computed the same thing (same prompt, masks and target; the target's logit per mask).
Standard library only.

    python3 scripts/bench/attribution_table.py .cache/bench/attribution-<time>.jsonl
"""
import json, statistics, sys

# Largest |logit difference| still counted as agreement: both compute in fp32 with different
# summation orders over 30 layers; the engine's logits match transformers' within 1e-4 on the
# golden fixtures, and a target logit is of order 10-30.
TOLERANCE = 1e-3


def median(values):
    return statistics.median(values) if values else float("nan")


def fmt(x, p=2):
    return "n/a" if x != x else f"{x:.{p}f}"


def main(path):
    lines = [json.loads(line) for line in open(path) if line.strip().startswith("{")]
    swift = [r for r in lines if r["impl"] == "headscope"]
    ref = [r for r in lines if r["impl"] == "transformers"]
    if not swift:
        print("no headscope-bench attribution results in", path)
        return 1
    s_rate, r_rate = median([r["runs_per_s"] for r in swift]), median([r["runs_per_s"] for r in ref])
    first = swift[0]
    agreement, problems = "n/a", []
    if ref:
        for key in ("prompt_sha256", "target_token", "kept_heads", "heads", "runs"):
            values = {r[key] for r in swift + ref}
            if len(values) > 1:
                problems.append(f"{key} differs: {sorted(values)}")
        diffs = [abs(a - b) for s in swift for r in ref for a, b in zip(s["target_logits"], r["target_logits"])]
        full = [abs(s["full_logit"] - r["full_logit"]) for s in swift for r in ref]
        worst = max(diffs + full)
        agreement = f"max abs diff {worst:.2e} ({'agree' if worst <= TOLERANCE and not problems else 'DISAGREE'})"
    print("| model | prompt tokens (image) | heads | runs x repeats | HeadScope runs/s (per invocation) "
          "| transformers runs/s (per invocation) | ratio | target logit agreement |")
    print("|---|---|---|---|---|---|---|---|")
    per = lambda rows: ", ".join(fmt(r["runs_per_s"]) for r in rows) or "n/a"
    ratio = s_rate / r_rate if r_rate == r_rate and r_rate else float("nan")
    print(f"| {first['name']} | {first['prompt_tokens']} ({first['image_tokens']}) | {first['heads']} "
          f"| {first['runs']} x {first['repeats']} | {fmt(s_rate)} ({per(swift)}) | {fmt(r_rate)} ({per(ref)}) "
          f"| {fmt(ratio)} | {agreement} |")
    print()
    print("runs/s: keep-mask runs (baseline K/V of a blank image at the image positions for the heads a "
          "mask drops, last-position logits) per second; median over invocations, each the median of "
          "its repeats. Ratio: HeadScope / transformers (higher: HeadScope faster). HeadScope reuses "
          f"the cached prompt before the image ({first['first_image_position']} tokens) and recomputes "
          f"the remaining {first['prompt_tokens'] - first['first_image_position']} positions per run; "
          "the reference recomputes the whole prompt. Agreement: the target token's logit for the same "
          f"mask, every HeadScope invocation against every reference one (and the unablated run); "
          f"tolerance {TOLERANCE:g}.")
    for p in problems:
        print("MISMATCH:", p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
