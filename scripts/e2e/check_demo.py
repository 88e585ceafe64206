"""Consistency checks of a finished demo run, computed independently of HeadScope's Swift code.

Usage: python check_demo.py runs/<pipeline>

Reads the artifacts with the standard library, h5py and numpy (the test venv) and checks that
  - the manifests chain: every input a stage recorded from an upstream stage (its manifest,
    or a file it read) has the SHA-256 of that file in this run, and each stage finished;
  - the activation shards hold one row per prepared subquestion (position policy `mean`), and
    the index's row tables list the prepared (item, step, function) in order;
  - the engine's answers equal the transformers reference's on the first questions
    (Tests/Fixtures/builtin/demo-answers.json);
  - the probe files agree: each function's top heads are its highest-scoring heads in
    scores.h5, `above_threshold` is the number of heads over the threshold;
  - the intervention table's functions are the probed functions that have test subquestions;
  - the report shows every function, and the numbers in its tables (label counts, accuracy,
    probe counts and score ranges, intervention deltas, attribution correlation) equal the
    values recomputed here from the artifacts.
Exits non-zero with one line per failed check.
"""
import hashlib
import html.parser
import json
import math
import os
import sys

import h5py
import numpy as np

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def fixed(x, digits=3):
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"


def signed(x):
    return "n/a" if not math.isfinite(x) else f"{x:+.3f}"


class Rows(html.parser.HTMLParser):
    """Collects table rows carrying data-table: {(table, key attrs...): [cell texts]}."""

    def __init__(self):
        super().__init__()
        self.rows, self.current, self.cell, self.depth = [], None, None, 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-table" in a:
            self.current = {"attrs": a, "cells": []}
        elif tag in ("td", "th") and self.current is not None:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.current is not None and self.cell is not None:
            self.current["cells"].append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.current is not None:
            self.rows.append(self.current)
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data

    def find(self, table, **keys):
        for row in self.rows:
            a = row["attrs"]
            if a.get("data-table") == table and all(a.get("data-" + k) == v for k, v in keys.items()):
                return row["cells"]
        return None


def check_reference_answers(model_answers):
    """The engine's answers equal transformers' on the same prompts: the reference answers of the
    small demo's first questions (Tests/Fixtures/builtin/demo-answers.json, written by
    scripts/fixtures/builtin_answers.py for the committed weights)."""
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    fixture = load(os.path.join(root, "Tests/Fixtures/builtin/demo-answers.json"))
    for name, digest in fixture["weights_sha256"].items():
        if sha256(os.path.join(root, "data/builtin-model", name)) != digest:
            check(False, f"Tests/Fixtures/builtin/demo-answers.json was made with another {name}: "
                         "rerun scripts/fixtures/builtin_answers.py")
            return
    compared = 0
    for row in fixture["answers"]:
        key = (row["item_id"], row["step"])
        if key not in model_answers:
            continue  # a larger demo than the fixture's (or another pipeline): compare what is shared
        compared += 1
        check(model_answers[key] == row["answer"],
              f"{key}: headscope-extract answered {model_answers[key]!r}, transformers {row['answer']!r}")
    check(compared > 0 or not model_answers, "no demo row matches the reference answers' items (another seed?)")
    print(f"check: {compared} answers equal to the transformers reference")


def main(run):
    stages = {"prepare": "prepared", "extract": "activations", "probe": "probes",
              "intervene": "interventions", "attribute": "attribution", "report": "report"}
    manifests = {}
    for stage, directory in stages.items():
        path = os.path.join(run, directory, "manifest.json")
        check(os.path.exists(path), f"{path}: missing")
        if os.path.exists(path):
            m = load(path)
            manifests[stage] = m
            check(m["stage"] == stage, f"{path}: stage {m['stage']}, expected {stage}")
            check(m.get("finished_at"), f"{path}: not finished")

    # 1. The chain: recorded hashes of upstream manifests and files are this run's.
    directories = set(stages.values())
    links = 0
    for stage, m in manifests.items():
        for entry in m.get("inputs", []):
            parts = os.path.normpath(entry["path"]).split(os.sep)
            if entry.get("manifest_sha256") and parts[-1] in directories:
                target = os.path.join(run, parts[-1], "manifest.json")
                check(entry["manifest_sha256"] == sha256(target), f"{stage}: recorded {entry['role']} manifest hash differs from {target}")
                links += 1
            elif len(parts) >= 2 and parts[-2] in directories:
                target = os.path.join(run, parts[-2], parts[-1])
                check(os.path.exists(target) and entry["sha256"] == sha256(target),
                      f"{stage}: recorded {entry['role']} hash differs from {target}")
                links += 1
    expected_links = {"extract": {"prepared"}, "probe": {"activations-manifest", "activations-index"},
                      "intervene": {"prepared-manifest", "prepared-items", "probes-manifest", "functional-heads", "probe-scores"},
                      "attribute": {"prepared"},
                      "report": {"prepare-manifest", "extract-manifest", "probe-manifest", "intervene-manifest", "attribute-manifest"}}
    for stage, roles in expected_links.items():
        recorded = {e["role"] for e in manifests.get(stage, {}).get("inputs", [])}
        check(roles <= recorded, f"{stage}: inputs {sorted(roles - recorded)} not recorded")

    # 2. Prepared items and the activation store.
    items = [json.loads(line) for line in open(os.path.join(run, "prepared/items.jsonl"), encoding="utf-8") if line.strip()]
    steps = [(it["id"], k, s["function"]) for it in items for k, s in enumerate(it["steps"])]
    shards_dir = os.path.join(run, "activations/shards")
    shard_rows = 0
    for name in sorted(os.listdir(shards_dir)):
        with h5py.File(os.path.join(shards_dir, name), "r") as f:
            check(f["z"].shape[0] == f.attrs["rows"], f"{name}: z has {f['z'].shape[0]} rows, attribute rows {f.attrs['rows']}")
            shard_rows += f["z"].shape[0]
    check(shard_rows == len(steps), f"shards hold {shard_rows} rows, prepared has {len(steps)} subquestions")
    with h5py.File(os.path.join(run, "activations/index.h5"), "r") as f:
        check(f["z"].shape[0] == len(steps), f"index z has {f['z'].shape[0]} rows, expected {len(steps)}")
        stored = list(zip(f["item_id"].asstr()[:], f["step"][:].tolist(), f["function"].asstr()[:]))
        check(stored == steps, "index rows are not the prepared (item, step, function) in order")
        functions_col = f["function"].asstr()[:]
        correct_col = f["correct"][:] == 1
        layers, heads = int(f.attrs["num_layers"]), int(f.attrs["num_heads"])
        model_answers = dict(zip(zip(f["item_id"].asstr()[:], f["step"][:].tolist()), f["model_answer"].asstr()[:]))
    check_reference_answers(model_answers)

    # 3. Probes: top sets and threshold counts against the score arrays.
    fh = load(os.path.join(run, "probes/functional_heads.json"))
    rank_by, top_k, threshold = fh["rank_by"], fh["top_k"], fh["threshold"]
    probe_stats = {}
    with h5py.File(os.path.join(run, "probes/scores.h5"), "r") as s:
        by_function = {s["probes"][g].attrs["function"]: s["probes"][g][rank_by][:] for g in s["probes"]}
    for entry in fh["functions"]:
        fn = entry["function"]
        grid = by_function.get(fn)
        check(grid is not None and grid.shape == (layers, heads), f"scores.h5: no {layers}x{heads} {rank_by} for {fn}")
        if grid is None:
            continue
        top = entry["top"]
        check(len(top) == top_k, f"{fn}: {len(top)} top heads, top_k {top_k}")
        for h in top:
            check(abs(grid[h["layer"], h["head"]] - h["score"]) < 1e-12, f"{fn}: top head {h} score differs from scores.h5")
        kth = sorted(grid.ravel(), reverse=True)[top_k - 1]
        check(all(h["score"] >= kth - 1e-12 for h in top), f"{fn}: top set is not the {top_k} best heads")
        check(len(entry["above_threshold"]) == int((grid > threshold).sum()), f"{fn}: above_threshold count differs from scores.h5")
        best = np.unravel_index(int(np.argmax(grid)), grid.shape)
        probe_stats[fn] = {"functional_heads": str(len(top)), "above_threshold": str(int((grid > threshold).sum())),
                           "min_score": fixed(float(grid.min())), "mean_score": fixed(float(grid.mean())),
                           "max_score": fixed(float(grid.max())), "best": f"L{best[0]} H{best[1]}"}

    # 4. Interventions: the table's functions are the probed functions with test subquestions.
    table = load(os.path.join(run, "interventions/summary.json"))
    table_functions = {r["function"] for r in table["rows"] if r["kind"] not in ("chain-base", "chain-ablate")}
    test_functions = {s["function"] for it in items if it["split"] == "test" for s in it["steps"]}
    probed = {e["function"] for e in fh["functions"]}
    check(table_functions == probed & test_functions,
          f"intervention functions {sorted(table_functions)} != probed with test subquestions {sorted(probed & test_functions)}")

    # 5. The report.
    page = open(os.path.join(run, "report/index.html"), encoding="utf-8").read()
    rows = Rows()
    rows.feed(page)
    check("<script" not in page, "report contains a script")
    check("https://" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", ""), "report refers to the network")
    labels = load(os.path.join(run, "prepared/taxonomy.json"))["labels"]
    for label in labels:
        count = sum(1 for _, _, f in steps if f == label)
        check(rows.find("labels", function=label) == [label, str(count)], f"report: label count of {label}: {rows.find('labels', function=label)}, expected {count}")
        n = int((functions_col == label).sum())
        c = int((correct_col & (functions_col == label)).sum())
        expected = [label, str(c), str(n), fixed(c / n) if n else "n/a"]
        check(rows.find("accuracy", function=label) == expected, f"report: accuracy of {label}: {rows.find('accuracy', function=label)}, expected {expected}")
    for fn, st in probe_stats.items():
        cells = rows.find("probes", function=fn)
        expected = [fn, st["functional_heads"], st["above_threshold"], st["min_score"], st["mean_score"], st["max_score"], st["best"]]
        check(cells is not None and cells[:7] == expected, f"report: probe row of {fn}: {cells}, expected {expected}")
        check(rows.find("overlap", function=fn) is not None, f"report: no overlap row for {fn}")
    for fn in table_functions:
        top = next(r for r in table["rows"] if r["function"] == fn and r["kind"] == "ablate-top")
        cells = rows.find("intervention-overview", function=fn)
        expected = [fn, str(top["n"]), str(top["heads"]), signed(top["delta"]),
                    f"[{signed(top['delta_ci_low'])}, {signed(top['delta_ci_high'])}]", top["verdict"]]
        check(cells is not None and cells[:6] == expected, f"report: intervention row of {fn}: {cells}, expected {expected}")
        for r in table["rows"]:
            if r["function"] == fn:
                cells = rows.find("interventions", function=fn, condition=r["condition"])
                check(cells is not None and cells[5] == fixed(r["value"]) and cells[8] == signed(r["delta"]),
                      f"report: condition {r['condition']} of {fn}: {cells}")
    attribution = load(os.path.join(run, "attribution/summary.json"))
    check(f'data-key="mean_held_out_correlation">{fixed(attribution["mean_held_out_correlation"])}<' in page,
          "report: mean held-out correlation differs from attribution/summary.json")
    for image in attribution["images"]:
        cells = rows.find("attribution-images", image=image["image_id"])
        check(cells is not None and cells[4] == fixed(image["held_out_correlation"]), f"report: attribution row of {image['image_id']}: {cells}")
    for stage in ["prepare", "extract", "probe", "intervene", "attribute"]:
        check(f'data-missing="{stage}"' not in page, f"report: stage {stage} shown as missing")
        check(rows.find("chain", stage=stage) is not None or stage == "prepare", f"report: no input-chain row for {stage}")
    check("NO: re-run the stage" not in page, "report: the input chain shows a mismatch")

    print(f"checked {len(manifests)} manifests, {links} recorded inputs, {shard_rows} store rows, "
          f"{len(fh['functions'])} probed functions, {len(table_functions)} intervention functions, {len(table['rows'])} table rows")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
