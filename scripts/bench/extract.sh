#!/usr/bin/env bash
# make bench, extraction: headscope-extract (release) against the usual stack doing the same capture
# (scripts/bench/extract_reference.py: transformers, o_proj forward pre-hooks, greedy generate) on
# the built-in model and the same CogShapes chains; subquestions per second and peak RSS.
#
# Prepares CogShapes (seed 11) once under .cache/bench/extract/, then for each size (the first N
# items) and round, alternating which side goes first: headscope-extract --model builtin --limit N
# into a fresh output folder, then the reference on the same items, each as its own process
# measured by scripts/bench/timed.py (wall time and peak RSS of the whole process, model load
# included on both sides). After each pair, scripts/bench/extract_table.py agree compares the two
# runs' answers and pooled z. Prints a table of medians (plus the marginal cost per subquestion
# between the smallest and largest size, where load cancels) and writes the raw JSON lines to
# .cache/bench/extract-<UTC time>.jsonl.
#
# Environment: HEADSCOPE_REFERENCE_PYTHON (default .venv-ref/bin/python: torch + transformers),
# HEADSCOPE_TEST_PYTHON (default .venv-test/bin/python: h5py + numpy, for the agreement),
# BENCH_THREADS (2), BENCH_EXTRACT_ITEMS ("8 24": the sizes, in items = chains),
# BENCH_EXTRACT_ROUNDS (3 per size), BENCH_EXTRACT_MAX_NEW_TOKENS (128, headscope-extract's default).
set -euo pipefail
cd "$(dirname "$0")/../.."

threads=${BENCH_THREADS:-2}
sizes=${BENCH_EXTRACT_ITEMS:-8 24}
rounds=${BENCH_EXTRACT_ROUNDS:-3}
max_new=${BENCH_EXTRACT_MAX_NEW_TOKENS:-128}
python=${HEADSCOPE_REFERENCE_PYTHON:-.venv-ref/bin/python}
test_python=${HEADSCOPE_TEST_PYTHON:-.venv-test/bin/python}
bin=${HEADSCOPE_BIN:-$(swift build -c release --show-bin-path)}

for tool in headscope-extract headscope-prepare; do
  if [[ ! -x "$bin/$tool" ]]; then
    echo "bench: $bin/$tool is missing; run: swift build -c release --product $tool" >&2; exit 1
  fi
done
if ! "$python" -c "import torch, transformers" >/dev/null 2>&1; then
  echo "bench: no reference Python with torch + transformers at $python (set HEADSCOPE_REFERENCE_PYTHON); skipping the extraction bench" >&2
  exit 0
fi

largest=0
for n in $sizes; do ((n > largest)) && largest=$n; done
# CogShapes gives 1-4 questions per scene, so `largest` scenes hold at least `largest` items.
work=.cache/bench/extract
prepared=$work/prepared-s11-n$largest
if [[ ! -f $prepared/manifest.json ]]; then
  echo "bench: preparing CogShapes (seed 11, $largest scenes) in $prepared (once)"
  HEADSCOPE_PROGRESS=off "$bin/headscope-prepare" --generate cogshapes --seed 11 --count "$largest" --output "$prepared" >/dev/null
fi
available=$(grep -c . "$prepared/items.jsonl")
if ((available < largest)); then
  echo "bench: $prepared has $available items, fewer than $largest" >&2; exit 1
fi

# The reference reads SmolLM2 from a torch state dict converted from the GGUF file once (minutes);
# do that before anything is timed.
if [[ ! -f .cache/builtin-train/smollm2-hf/model.pt ]]; then
  echo "bench: converting SmolLM2 for the reference (once) into .cache/builtin-train/smollm2-hf"
  "$python" -c "import sys; sys.path.insert(0, 'scripts/builtin'); import builtin_model; builtin_model.load_language_model()"
fi

results=.cache/bench/extract-$(date -u +%Y%m%dT%H%M%SZ).jsonl
: > "$results"
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads HEADSCOPE_PROGRESS=off

# Both sides get $threads cores: transformers as intra-op threads, headscope-extract as workers on
# one BLAS thread each (its default on a machine with $threads cores).
# One measured run of each side on the first $n items (globals: n, round, subquestions, out).
tag() { echo "{\"bench\": \"extract\", \"impl\": \"$1\", \"items\": $n, \"subquestions\": $subquestions, \"round\": $round, \"threads\": $threads}"; }
run_headscope() {
  python3 scripts/bench/timed.py --tag "$(tag headscope)" --stdout "$out/headscope.txt" -- \
    "$bin/headscope-extract" --prepared "$prepared" --output "$out/activations" --model builtin \
    --limit "$n" --max-new-tokens "$max_new" --workers "$threads" >> "$results"
}
run_reference() {
  python3 scripts/bench/timed.py --tag "$(tag transformers)" --stdout "$out/reference.txt" -- \
    "$python" scripts/bench/extract_reference.py --prepared "$prepared" --limit "$n" --threads "$threads" \
    --max-new-tokens "$max_new" --z-out "$out/reference-z.npy" --answers-out "$out/reference-answers.jsonl" >> "$results"
}

for ((round = 1; round <= rounds; round++)); do
  for n in $sizes; do
    subquestions=$(head -n "$n" "$prepared/items.jsonl" | python3 -c 'import json, sys; print(sum(len(json.loads(l)["steps"]) for l in sys.stdin if l.strip()))')
    out=$work/run-$n
    rm -rf "$out"; mkdir -p "$out"
    echo "bench: extract, $n items ($subquestions subquestions), round $round/$rounds" >&2
    # Alternate the order so drift in the machine's load does not always favour one side.
    if ((round % 2)); then run_headscope; run_reference; else run_reference; run_headscope; fi
    "$test_python" scripts/bench/extract_table.py agree "$out/activations" "$out/reference-answers.jsonl" \
      "$out/reference-z.npy" --tag "$(tag agreement)" >> "$results"
  done
done

python3 scripts/bench/extract_table.py table "$results"
echo "raw results: $results"
