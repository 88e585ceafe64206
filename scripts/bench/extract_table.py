"""The extraction bench's two summaries (scripts/bench/extract.sh).

    <python with h5py> scripts/bench/extract_table.py agree <activations/> <answers.jsonl> <z.npy> --tag '{...}'
    python3 scripts/bench/extract_table.py table <results.jsonl>

`agree` compares one headscope-extract store (docs/activation-format.md) with the reference run
on the same items, row by row (item, step): the share of subquestions whose stored model_answer
equals the reference's parsed answer, the same for the raw generated text, and the largest
difference of the pooled z over the rows whose generated text agrees (other rows pool different
tokens). Prints one JSON line. `table` prints the Markdown table of medians (standard library
only).
"""
import argparse, json, statistics, sys
from collections import defaultdict


def agree(args):
    import h5py
    import numpy as np
    reference = [json.loads(line) for line in open(args.answers) if line.strip()]
    ref_z = np.load(args.z)
    with h5py.File(f"{args.activations}/index.h5", "r") as f:
        ids = f["item_id"].asstr()[:]
        steps = f["step"][:]
        answers = f["model_answer"].asstr()[:]
        raw = f["raw_output"].asstr()[:]
        z = f["z"][:]
    ours = {(i, int(s)): k for k, (i, s) in enumerate(zip(ids, steps))}
    same_answer = same_raw = 0
    z_diff = z_scale = 0.0
    examples = []
    for r, ref in enumerate(reference):
        k = ours.get((ref["item_id"], ref["step"]))
        if k is None:
            examples.append({"item_id": ref["item_id"], "step": ref["step"], "headscope": None, "reference": ref["answer"]})
            continue
        same_answer += answers[k] == ref["answer"]
        if raw[k] == ref["raw_output"]:
            same_raw += 1
            z_diff = max(z_diff, float(np.abs(z[k] - ref_z[r]).max()))
            z_scale = max(z_scale, float(np.abs(ref_z[r]).max()))
        elif len(examples) < args.examples:
            examples.append({"item_id": ref["item_id"], "step": ref["step"],
                             "headscope": raw[k], "reference": ref["raw_output"]})
    n = len(reference)
    record = json.loads(args.tag)
    record.update({"impl": "agreement", "subquestions": n, "headscope_rows": len(ids),
                   "answer_agreement": same_answer / n if n else None,
                   "raw_output_agreement": same_raw / n if n else None,
                   "max_abs_z_diff": z_diff, "max_abs_z": z_scale, "disagreements": examples})
    print(json.dumps(record))


def median(values):
    return statistics.median(values) if values else float("nan")


def fmt(value, digits=2):
    return "-" if value != value else f"{value:.{digits}f}"


def table(args):
    runs = defaultdict(lambda: defaultdict(list))
    agreement = defaultdict(list)
    for line in open(args.results):
        line = line.strip()
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        if r.get("bench") != "extract":
            continue
        if r["impl"] == "agreement":
            agreement[r["items"]].append(r)
        else:
            runs[r["items"]][r["impl"]].append(r)

    def per_sub(rs, key):
        return median([r[key] / r["subquestions"] for r in rs])

    print("| items | subquestions | HeadScope s/subq | transformers s/subq | speed ratio | transformers s/subq (generate loop only) "
          "| peak RSS MB HeadScope | transformers | answer agreement | raw text agreement | max abs z diff (agreeing rows) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    sizes = sorted(runs)
    walls = {}
    for items in sizes:
        hs, ref = runs[items].get("headscope", []), runs[items].get("transformers", [])
        subs = (hs or ref)[0]["subquestions"]
        a, b = per_sub(hs, "wall_seconds"), per_sub(ref, "wall_seconds")
        walls[items] = (subs, median([r["wall_seconds"] for r in hs]), median([r["wall_seconds"] for r in ref]))
        agree_rows = agreement.get(items, [])
        answer = median([r["answer_agreement"] for r in agree_rows if r["answer_agreement"] is not None])
        raw = median([r["raw_output_agreement"] for r in agree_rows if r["raw_output_agreement"] is not None])
        zdiff = max([r["max_abs_z_diff"] for r in agree_rows], default=float("nan"))
        print(f"| {items} | {subs} | {fmt(a)} | {fmt(b)} | **{fmt(b / a)}** | {fmt(per_sub(ref, 'run_seconds'))} "
              f"| {fmt(median([r['peak_rss_mb'] for r in hs]), 0)} | {fmt(median([r['peak_rss_mb'] for r in ref]), 0)} "
              f"| {fmt(answer, 3)} | {fmt(raw, 3)} | {zdiff:.1e} |")
    print()
    print(f"rounds per size: " + ", ".join(f"{items}: {len(runs[items].get('headscope', []))} HeadScope, "
                                         f"{len(runs[items].get('transformers', []))} transformers" for items in sizes))
    print("s/subq: median whole-process wall time (model load included on both sides) / subquestions.")
    if len(sizes) >= 2:
        small, large = walls[sizes[0]], walls[sizes[-1]]
        extra = large[0] - small[0]
        if extra > 0:
            hs, ref = (large[1] - small[1]) / extra, (large[2] - small[2]) / extra
            print(f"marginal s/subq from {sizes[0]} to {sizes[-1]} items (load cancels on both sides): "
                  f"HeadScope {fmt(hs)}, transformers {fmt(ref)}, ratio {fmt(ref / hs if hs > 0 else float('nan'))}")
    for items in sizes:
        for r in agreement.get(items, [])[-1:]:
            for d in r["disagreements"]:
                print(f"  differs ({items} items): {d['item_id']} step {d['step']}: "
                      f"HeadScope {json.dumps(d['headscope'])} vs transformers {json.dumps(d['reference'])}")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("agree")
    a.add_argument("activations")
    a.add_argument("answers")
    a.add_argument("z")
    a.add_argument("--tag", default="{}")
    a.add_argument("--examples", type=int, default=5)
    t = sub.add_parser("table")
    t.add_argument("results")
    args = parser.parse_args()
    agree(args) if args.command == "agree" else table(args)


if __name__ == "__main__":
    main()
