"""Held-out accuracy of the built-in model through HeadScope's engine, checked against its targets.

    check_builtin_accuracy.py <activations dir> <prepared dir> [--split train|test]

Reads the judged rows `headscope-extract` stored (the engine's greedy answers and the deterministic
judge's verdicts) and the prepared items (question kinds), prints accuracy per function label, per
question kind and per skill, then which answers the counting skills gave for each gold count (a
collapse to the prior, or a side confused with the other, shows there), and exits non-zero when a
target is missed:

- shape and counting subquestions: at least 85%;
- left/right subquestions ("How many objects are to the left of ...?"): at least 75%;
- every function label clearly above chance: the lower end of its 95% Wilson interval above the
  accuracy of always giving that label's most frequent gold answer (a chance level that knows the
  answer distribution, stricter than 1 / number of options).

Only the prepared split given by --split (default: every row) is scored; the built-in model is
trained on seed 7, so a different seed makes every scene held out.
"""
import argparse, collections, json, math, os, sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "builtin"))
from cogshapes_skills import subquestion_skill  # noqa: E402

TARGETS = {"shape": 0.85, "count": 0.85, "left/right": 0.75}


def wilson(k, n, z=1.96):
    """95% Wilson score interval of k successes in n trials."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def table(title, groups, chance=None):
    lines = [f"| {title} | n | accuracy | 95% interval |" + (" chance |" if chance else ""),
             "|---|---:|---:|---|" + ("---:|" if chance else "")]
    for name in sorted(groups):
        ok = groups[name]
        lo, hi = wilson(sum(ok), len(ok))
        row = f"| {name} | {len(ok)} | {100 * np.mean(ok):.0f}% | {100 * lo:.0f}-{100 * hi:.0f}% |"
        if chance:
            row += f" {100 * chance[name]:.0f}% |"
        lines.append(row)
    return "\n".join(lines)


def confusion(title, pairs):
    """Markdown table: one row per gold answer, one column per model answer (counts of rows)."""
    golds = sorted({g for g, _ in pairs}, key=sort_key)
    given = sorted({a for _, a in pairs}, key=sort_key)
    tally = collections.Counter(pairs)
    lines = [f"| {title}: gold \\ answer | " + " | ".join(a or "(none)" for a in given) + " |",
             "|---|" + "---:|" * len(given)]
    for g in golds:
        lines.append(f"| {g} | " + " | ".join(str(tally[(g, a)] or "") for a in given) + " |")
    return "\n".join(lines)


def sort_key(answer):
    """Numbers in numeric order first, then words."""
    return (0, int(answer), "") if answer.isdigit() else (1, 0, answer)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("activations")
    ap.add_argument("prepared")
    ap.add_argument("--split", choices=["train", "test"], help="score only this prepared split")
    args = ap.parse_args()

    kinds = {}
    for line in open(os.path.join(args.prepared, "items.jsonl"), encoding="utf-8"):
        item = json.loads(line)
        kinds[item["id"]] = item.get("tags", {}).get("task", "?")
    with h5py.File(os.path.join(args.activations, "index.h5"), "r") as f:
        def strings(name):
            return [s.decode() if isinstance(s, bytes) else s for s in f[name][()]]
        attrs = dict(f.attrs)
        rows = list(zip(strings("item_id"), strings("function"), strings("subquestion"),
                        strings("reference_answer"), strings("split"), f["correct"][()].astype(bool),
                        strings("model_answer")))
    if attrs.get("context_policy") not in ("none", b"none"):
        sys.exit(f"accuracy check: the store was extracted with context policy {attrs.get('context_policy')!r}; "
                 "the targets are for context `none` (rerun headscope-extract with --context none)")
    if args.split:
        rows = [r for r in rows if r[4] == args.split]
    if not rows:
        sys.exit("accuracy check: no rows to score")

    by_function, by_kind, by_skill = (collections.defaultdict(list) for _ in range(3))
    answers = collections.defaultdict(collections.Counter)
    given = collections.defaultdict(list)  # skill -> (gold, model answer)
    for item_id, function, subquestion, gold, _, ok, model_answer in rows:
        skill = subquestion_skill(subquestion)
        by_function[function].append(ok)
        by_kind[kinds.get(item_id, "?")].append(ok)
        by_skill[skill].append(ok)
        answers[function][gold.strip().lower()] += 1
        given[skill].append((gold.strip().lower(), model_answer.strip().lower()))
    chance = {f: answers[f].most_common(1)[0][1] / sum(answers[f].values()) for f in answers}

    print(f"built-in model, {len(rows)} held-out subquestions, judge {attrs.get('judge')}, "
          f"model {attrs.get('model_id')}\n")
    print(table("function", by_function, chance) + "\n")
    print(table("question kind", by_kind) + "\n")
    print(table("skill", by_skill) + "\n")
    for skill in ("count", "left/right"):
        if given[skill]:
            print(confusion(skill, given[skill]) + "\n")

    failures = []
    for skill, target in TARGETS.items():
        ok = by_skill.get(skill, [])
        if not ok:
            failures.append(f"no {skill} subquestions were scored")
        elif np.mean(ok) < target:
            failures.append(f"{skill}: {100 * np.mean(ok):.1f}% < target {100 * target:.0f}% (n={len(ok)})")
    for function, ok in sorted(by_function.items()):
        lo, _ = wilson(sum(ok), len(ok))
        if lo <= chance[function]:
            failures.append(f"{function}: {100 * np.mean(ok):.1f}% (95% lower bound {100 * lo:.1f}%) "
                            f"is not clearly above chance {100 * chance[function]:.1f}%")
    if failures:
        print("accuracy check FAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("accuracy check passed: " + ", ".join(f"{s} >= {100 * t:.0f}%" for s, t in TARGETS.items())
          + ", every function above chance")


if __name__ == "__main__":
    main()
