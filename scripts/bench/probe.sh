#!/usr/bin/env bash
# Probe-stage benchmark: headscope-probe (release build) against the papers' scikit-learn loop
# on the same activation store (28 layers x 28 heads, head_dim 128, 8 functions, 2,000 rows),
# with equal scores checked. See scripts/bench/probe_bench.py for what each side does.
#
#   scripts/bench/probe.sh                # data in .cache/bench/probe (built once)
#   PYTHON=... SAMPLE=300 THREADS=2 BENCH_DIR=... scripts/bench/probe.sh
#
# The scikit-learn loop over all 6,272 probes takes long, so SAMPLE probes (seeded) are timed and
# the time is extrapolated to all of them (SAMPLE=0 times them all).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-${HEADSCOPE_REFERENCE_PYTHON:-.venv-ref/bin/python}}
BENCH_DIR=${BENCH_DIR:-.cache/bench/probe}
SAMPLE=${SAMPLE:-300}
THREADS=${THREADS:-$(nproc)}
store="$BENCH_DIR/activations"
probes="$BENCH_DIR/probes"

if [[ ! -f "$store/index.h5" ]]; then
  echo "bench: writing the activation store (once) to $store"
  "$PYTHON" scripts/bench/probe_bench.py make-data "$store"
fi

echo "bench: building headscope-probe (release)"
swift build -c release --product headscope-probe >/dev/null
bin=$(swift build -c release --show-bin-path)/headscope-probe

echo "bench: headscope-probe, $THREADS thread(s), one probe per (function, layer, head), no permutations"
start=$(date +%s.%N)
HEADSCOPE_PROGRESS=off "$bin" --activations "$store" --output "$probes" --permutations 0 \
  --threads "$THREADS" | tee "$BENCH_DIR/headscope.txt"
end=$(date +%s.%N)
wall=$(echo "$end - $start" | bc -l)
train=$(sed -n 's/^training_seconds=//p' "$BENCH_DIR/headscope.txt")

echo "bench: scikit-learn loop (LogisticRegression(C=1, max_iter=1000) per probe)"
if [[ "$SAMPLE" == 0 ]]; then sample=1000000; else sample=$SAMPLE; fi
"$PYTHON" scripts/bench/probe_bench.py sklearn "$probes/scores.h5" "$store/index.h5" --sample "$sample" \
  | tee "$BENCH_DIR/sklearn.json"

"$PYTHON" - "$BENCH_DIR/sklearn.json" "$train" "$wall" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
train, wall = float(sys.argv[2]), float(sys.argv[3])
sk = r["sklearn_seconds_all"]
how = (f"extrapolated from {r['probes_timed']} of {r['probes_total']} probes" if r["extrapolated"]
       else f"all {r['probes_total']} probes")
print()
print(f"probes:               {r['probes_total']} (28 x 28 heads x 8 functions)")
print(f"headscope-probe:      {train:.1f} s training (reading layers included), {wall:.1f} s wall for the whole stage")
print(f"scikit-learn loop:    {sk:.1f} s fitting only ({how}; {r['sklearn_seconds_per_fit'] * 1e3:.1f} ms per fit)")
print(f"speed-up:             {sk / train:.1f}x (training), {sk / wall:.1f}x (whole stage vs fits alone)")
d = r["max_score_diff"]
print(f"max score difference: recall {d['recall']:.2e}, balanced accuracy {d['balanced_accuracy']:.2e}, AUC {d['auc']:.2e} "
      f"(probes differing: {r['probes_with_score_diff']})")
print(f"vs exact optimum:     max score difference {r['max_score_diff_vs_exact_optimum']:.2e} "
      f"({r['exact_optimum_checked']} probes refit by scikit-learn to tol=1e-10)")
print(f"coefficients:         max |HeadScope - sklearn default| {r['max_coef_diff_vs_sklearn_default']:.2e}; "
      f"max |HeadScope - exact optimum| {r['max_coef_diff_vs_exact_optimum']:.2e} "
      f"(sklearn default is {r['sklearn_default_gap_to_exact_optimum']:.2e} from it; {r['exact_optimum_checked']} probes)")
PY
