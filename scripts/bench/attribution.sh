#!/usr/bin/env bash
# make bench, last part: keep-mask runs per second of the attribution stage's image-flow ablation on
# the built-in model, HeadScope (`headscope-bench attribution`) next to transformers
# (scripts/bench/attribution_reference.py), interleaved in the same run with the same thread count.
#
# One image: the first main-object item of a small CogShapes set generated once under
# .cache/bench/cogshapes/prepared (headscope-prepare --generate cogshapes). Each invocation times
# BENCH_ATTRIBUTION_RUNS keep-masks BENCH_REPEATS times and reports the median rate; both sides draw
# the same masks (seed 42, stream "bench") and record the target's logit per mask, which
# scripts/bench/attribution_table.py compares. Raw JSON lines go to
# .cache/bench/attribution-<UTC time>.jsonl, the reference's stderr to the .log beside it.
#
# Environment: HEADSCOPE_REFERENCE_PYTHON (default .venv-ref/bin/python; torch + transformers),
# BENCH_THREADS (2), BENCH_ROUNDS (2 rounds; the order of the two sides alternates from round to
# round), BENCH_REPEATS (3 timed repeats per invocation), BENCH_ATTRIBUTION_RUNS (20 keep-masks per
# repeat), BENCH_ATTRIBUTION_MODEL (builtin; a checkpoint folder runs the HeadScope side alone, the
# reference being the built-in model's), SWIFT, SWIFT_FLAGS (for the release builds).
set -euo pipefail
cd "$(dirname "$0")/../.."

threads=${BENCH_THREADS:-2}
rounds=${BENCH_ROUNDS:-2}
repeats=${BENCH_REPEATS:-3}
runs=${BENCH_ATTRIBUTION_RUNS:-20}
model=${BENCH_ATTRIBUTION_MODEL:-builtin}
python=${HEADSCOPE_REFERENCE_PYTHON:-.venv-ref/bin/python}
swift=${SWIFT:-swift}
read -r -a swift_flags <<< "${SWIFT_FLAGS:-}"
prepared=.cache/bench/cogshapes/prepared

echo "bench: building headscope-bench (release)" >&2
"$swift" build -c release --product headscope-bench "${swift_flags[@]}" >&2
bin=$("$swift" build -c release --show-bin-path "${swift_flags[@]}")
if [[ ! -f $prepared/items.jsonl ]]; then
  echo "bench: generating CogShapes scenes in $prepared (once)" >&2
  "$swift" build -c release --product headscope-prepare "${swift_flags[@]}" >&2
  HEADSCOPE_PROGRESS=off "$bin/headscope-prepare" --generate cogshapes --count 4 --seed 0 --output "$prepared" >&2
fi

reference=1
if [[ $model != builtin ]]; then
  echo "bench: the reference is the built-in model's; timing $model on the HeadScope side only" >&2
  reference=0
elif ! "$python" -c "import torch, transformers" >/dev/null 2>&1; then
  echo "bench: no reference Python with torch + transformers at $python (set HEADSCOPE_REFERENCE_PYTHON);" >&2
  echo "bench: running the HeadScope side only" >&2
  reference=0
fi

mkdir -p .cache/bench
stamp=$(date -u +%Y%m%dT%H%M%SZ)
results=.cache/bench/attribution-$stamp.jsonl
log=.cache/bench/attribution-$stamp.log   # the reference's stderr (transformers' warnings, tracebacks)
: > "$results"
: > "$log"
trap 'echo "bench: attribution failed; the reference'"'"'s stderr is in $log" >&2' ERR
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads

headscope() {
  "$bin/headscope-bench" attribution --model "$model" --prepared "$prepared" --threads "$threads" \
    --runs "$runs" --repeats "$repeats" | tail -1 > "$results.line"
  sed "s/^{/{\"round\": $round, /" "$results.line" >> "$results"
}
transformers() {
  "$python" scripts/bench/attribution_reference.py --image "${task[0]}" --question "${task[1]}" --answer "${task[2]}" \
    --threads "$threads" --runs "$runs" --repeats "$repeats" 2>>"$log" | tail -1 \
    | sed "s/^{/{\"round\": $round, /" >> "$results"
}

task=()
for ((round = 1; round <= rounds; round++)); do
  echo "bench: attribution round $round/$rounds" >&2
  # HeadScope first in odd rounds (the first round also names the image for the reference).
  if ((round % 2 == 1)) || ((!reference)); then
    headscope
    if ((${#task[@]} == 0)); then
      mapfile -t task < <(python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["image"]); print(d["question"]); print(d["answer"])' < "$results.line")
    fi
    if ((reference)); then transformers; fi
  else
    transformers
    headscope
  fi
done
rm -f "$results.line"

python3 scripts/bench/attribution_table.py "$results"
echo "raw results: $results (reference stderr: $log)"
