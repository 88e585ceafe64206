"""Benchmark of the probe stage: headscope-probe against the papers' scikit-learn loop.

Two subcommands, driven by scripts/bench/probe.sh:

  make-data DIR      writes DIR/index.h5 + DIR/shards/*.h5 (h5py, the documented schema
                     headscope-activations/1): 28 layers x 28 heads, head_dim 128, 8 functions,
                     2,000 rows (400 chains of 5 subquestions, 85% judged correct, 20% of the
                     chains held out in the `split` column). z is Gaussian with a label signal of
                     varied strength planted in 6 heads per function, so scores span chance to
                     near 1. Seeded: the same data every time.
  sklearn SCORES STORE [--sample N]
                     refits probes of headscope-probe's run with the papers' code path, a Python
                     loop of LogisticRegression(C=1, max_iter=1000) fits, on exactly the rows
                     headscope-probe used (read from scores.h5: train_rows/labels,
                     test_rows/labels) with the same features [z ; layer mean]. A loop over all
                     28*28*8 = 6,272 probes takes long here, so by default N probes drawn with a
                     fixed seed are timed and the time per fit is extrapolated to all of them
                     (said so in the output). Prints the seconds, and the largest differences of
                     scores and coefficients between the two; also refits a few probes to
                     tol=1e-10 to show where the exact optimum lies.
"""
import argparse
import json
import math
import pathlib
import sys
import time

import h5py
import numpy as np

FUNCTIONS = ["Low-Level Vision Reception", "High-Level Vision Reception", "Vision Knowledge Recall",
             "Language Knowledge Recall", "Semantic Understanding", "Math Reasoning", "Inference",
             "Decision-Making"]


def make_data(directory, layers=28, heads=28, head_dim=128, chains=400, steps=5, shards=4, seed=42):
    directory = pathlib.Path(directory)
    (directory / "shards").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n = chains * steps
    items = np.repeat([f"item-{i:04d}" for i in range(chains)], steps)
    step = np.tile(np.arange(steps, dtype=np.int32), chains)
    functions = np.array([FUNCTIONS[k] for k in rng.integers(0, len(FUNCTIONS), size=n)])
    correct = (rng.random(n) < 0.85).astype(np.int8)
    test_chains = set(rng.choice(chains, size=chains // 5, replace=False).tolist())
    split = np.array(["test" if int(i.split("-")[1]) in test_chains else "train" for i in items])
    # Planted signal: per function, 6 heads with strengths from faint to strong.
    plants = []
    for f in range(len(FUNCTIONS)):
        cells = rng.choice(layers * heads, size=6, replace=False)
        for cell, strength in zip(cells, [0.3, 0.5, 0.8, 1.2, 2.0, 3.0]):
            direction = rng.normal(size=head_dim)
            plants.append((f, cell // heads, cell % heads, strength * direction / np.linalg.norm(direction)))
    bounds = np.linspace(0, n, shards + 1).astype(int)
    attrs = {"schema_version": "headscope-activations/1", "tool_version": "bench", "model_id": "synthetic-bench",
             "model_sha256": "", "prompt_template": "headscope-subquestion-v1", "context_policy": "none",
             "position_policy": "mean", "judge": "normalized-match-v1"}
    geometry = {"num_layers": layers, "num_heads": heads, "head_dim": head_dim}
    str_dt = h5py.string_dtype("utf-8")
    function_index = {name: k for k, name in enumerate(FUNCTIONS)}
    f_of_row = np.array([function_index[x] for x in functions])
    layout = h5py.VirtualLayout(shape=(n, layers, heads, head_dim), dtype="f4")

    def tables(h5, sl):
        h5.create_dataset("item_id", data=items[sl].astype(object), dtype=str_dt)
        h5["step"] = step[sl]
        h5.create_dataset("function", data=functions[sl].astype(object), dtype=str_dt)
        h5["correct"] = correct[sl]
        h5.create_dataset("split", data=split[sl].astype(object), dtype=str_dt)
        for name in ["subquestion", "reference_answer", "model_answer", "raw_output", "image"]:
            h5.create_dataset(name, data=np.array([""] * (sl.stop - sl.start), dtype=object), dtype=str_dt)
        h5["answer_start"] = np.zeros(sl.stop - sl.start, dtype=np.int32)
        h5["answer_length"] = np.ones(sl.stop - sl.start, dtype=np.int32)
        h5["token_index"] = np.full(sl.stop - sl.start, -1, dtype=np.int32)

    for s in range(shards):
        sl = slice(int(bounds[s]), int(bounds[s + 1]))
        rows = sl.stop - sl.start
        z = rng.normal(size=(rows, layers, heads, head_dim)).astype(np.float32)
        for f, l, h, vector in plants:
            mask = f_of_row[sl] == f
            z[mask, l, h] += vector.astype(np.float32)
        name = f"shard-{s:05d}-of-{shards:05d}.h5"
        with h5py.File(directory / "shards" / name, "w") as h5:
            for k, v in {**attrs, **geometry}.items():
                h5.attrs[k] = v
            h5.attrs["shard_index"] = s
            h5.attrs["shard_count"] = shards
            h5.attrs["rows"] = rows
            h5.create_dataset("z", data=z, chunks=(min(rows, 256), 1, heads, head_dim), compression="gzip",
                              compression_opts=1, shuffle=True)
            tables(h5, sl)
        layout[sl] = h5py.VirtualSource(f"shards/{name}", "z", shape=(rows, layers, heads, head_dim))
    with h5py.File(directory / "index.h5", "w") as h5:
        for k, v in {**attrs, **geometry}.items():
            h5.attrs[k] = v
        h5.attrs["rows"] = n
        h5.create_virtual_dataset("z", layout)
        tables(h5, slice(0, n))
    print(f"wrote {directory}: {n} rows, {layers} x {heads} heads, head_dim {head_dim}, {len(FUNCTIONS)} functions")


def sklearn_loop(scores_path, store_path, sample, tight_limit=30, seed=42):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    import sklearn
    with h5py.File(scores_path, "r") as s:
        layers, heads = int(s.attrs["num_layers"]), int(s.attrs["num_heads"])
        probes = {}
        for name in s["probes"]:
            g = s["probes"][name]
            probes[name] = {k: g[k][:] for k in ["train_rows", "train_labels", "test_rows", "test_labels",
                                                   "recall", "balanced_accuracy", "auc", "weights", "bias"]}
    cells = [(name, l, h) for name in sorted(probes) for l in range(layers) for h in range(heads)]
    total = len(cells)
    rng = np.random.default_rng(seed)
    chosen = cells if sample >= total else [cells[i] for i in sorted(rng.choice(total, size=sample, replace=False))]
    by_layer = {}
    for name, l, h in chosen:
        by_layer.setdefault(l, []).append((name, h))
    fit_seconds = 0.0
    diffs = {"recall": 0.0, "balanced_accuracy": 0.0, "auc": 0.0}
    differing = {"recall": 0, "balanced_accuracy": 0, "auc": 0}
    coef_diff = 0.0
    tight_checked, tight_diff, default_gap, tight_score_diff = 0, 0.0, 0.0, 0.0
    with h5py.File(store_path, "r") as store:
        for l in sorted(by_layer):
            z = store["z"][:, l]                     # [N, H, D]: one layer, as the papers' loop reads it
            mean = z.mean(axis=1)
            for name, h in by_layer[l]:
                p = probes[name]
                features = np.concatenate([z[:, h], mean], axis=1)
                x_train, y_train = features[p["train_rows"]], p["train_labels"]
                x_test, y_test = features[p["test_rows"]], p["test_labels"]
                start = time.perf_counter()
                model = LogisticRegression(C=1, max_iter=1000, random_state=42).fit(x_train, y_train)
                decision = model.decision_function(x_test)
                fit_seconds += time.perf_counter() - start
                predicted = decision > 0
                recall = predicted[y_test == 1].mean()
                balanced = (recall + (~predicted[y_test == 0]).mean()) / 2
                ours = {"recall": p["recall"][l, h], "balanced_accuracy": p["balanced_accuracy"][l, h],
                        "auc": p["auc"][l, h]}
                theirs = {"recall": recall, "balanced_accuracy": balanced, "auc": roc_auc_score(y_test, decision)}
                for k in diffs:
                    d = abs(ours[k] - theirs[k])
                    diffs[k] = max(diffs[k], float(d))
                    differing[k] += int(d > 1e-9)
                coefficients = np.append(model.coef_[0], model.intercept_[0])
                swift = np.append(p["weights"][l, h], p["bias"][l, h])
                coef_diff = max(coef_diff, float(np.abs(coefficients - swift).max()))
                if tight_checked < tight_limit:
                    # The exact optimum (scikit-learn to tol=1e-10), untimed: what both solvers aim at.
                    tight = LogisticRegression(C=1, max_iter=100000, tol=1e-10).fit(x_train.astype(np.float64), y_train)
                    exact = np.append(tight.coef_[0], tight.intercept_[0])
                    tight_diff = max(tight_diff, float(np.abs(exact - swift).max()))
                    default_gap = max(default_gap, float(np.abs(exact - coefficients).max()))
                    exact_decision = tight.decision_function(x_test)
                    exact_predicted = exact_decision > 0
                    exact_recall = exact_predicted[y_test == 1].mean()
                    exact_scores = {"recall": exact_recall,
                                    "balanced_accuracy": (exact_recall + (~exact_predicted[y_test == 0]).mean()) / 2,
                                    "auc": roc_auc_score(y_test, exact_decision)}
                    tight_score_diff = max(tight_score_diff, max(abs(float(ours[k] - exact_scores[k])) for k in ours))
                    tight_checked += 1
    per_fit = fit_seconds / len(chosen)
    result = {
        "sklearn_version": sklearn.__version__,
        "probes_total": total, "probes_timed": len(chosen),
        "sklearn_seconds_timed": fit_seconds, "sklearn_seconds_per_fit": per_fit,
        "sklearn_seconds_all": per_fit * total, "extrapolated": len(chosen) < total,
        "max_score_diff": diffs, "probes_with_score_diff": differing,
        "max_coef_diff_vs_sklearn_default": coef_diff,
        "exact_optimum_checked": tight_checked,
        "max_coef_diff_vs_exact_optimum": tight_diff,
        "sklearn_default_gap_to_exact_optimum": default_gap,
        "max_score_diff_vs_exact_optimum": tight_score_diff,
    }
    print(json.dumps(result, indent=2, default=float))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("make-data")
    data.add_argument("directory")
    loop = sub.add_parser("sklearn")
    loop.add_argument("scores")
    loop.add_argument("store")
    loop.add_argument("--sample", type=int, default=300)
    args = parser.parse_args()
    if args.command == "make-data":
        make_data(args.directory)
    else:
        sklearn_loop(args.scores, args.store, args.sample)


if __name__ == "__main__":
    sys.exit(main())
