#!/usr/bin/env bash
# End-to-end test of the small demo, run by .ci/run after `make test`: `make demo DEMO_SIZE=small`
# through the real release executables into a scratch directory, then
# scripts/e2e/check_demo.py (h5py/numpy from the test venv, independent of the Swift code)
# checks the artifacts and the report for consistency, and `make -q` confirms a rerun would do
# nothing. Prints the time of every make step and of the demo's stages together.
#
# Environment: KEEP=1 keeps the scratch directory; SWIFT_FLAGS and BIN pass through to make
# (e.g. a separate --scratch-path for the release build).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${HEADSCOPE_TEST_PYTHON:-.venv-test/bin/python}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/headscope-e2e.XXXXXX")
if [[ "${KEEP:-0}" == 1 ]]; then echo "e2e: scratch directory $scratch (kept)"; else trap 'rm -rf "$scratch"' EXIT; fi

name=cogshapes-demo-small
mkdir -p "$scratch/pipelines"
cp "pipelines/$name.yaml" "$scratch/pipelines/"
# The stages put their output under <project>/runs/<pipeline>, the project being the parent of the
# config's pipelines/ folder: here the scratch directory. The built-in model is found from the
# working directory (this checkout).
vars=(DEMO_SIZE=small "PIPELINE=$scratch/pipelines/$name.yaml" "RUN=$scratch/runs/$name")
[[ -n "${SWIFT_FLAGS:-}" ]] && vars+=("SWIFT_FLAGS=$SWIFT_FLAGS")
[[ -n "${BIN:-}" ]] && vars+=("BIN=$BIN")

# `make demo` in steps, so each stage is timed; the last step is `make demo` itself, which must
# find every stage done and only print the summary. After the release step, `-o` keeps make from
# rebuilding the tools before every stage (a no-op build still takes seconds).
run="$scratch/runs/$name"
total=0
timings=()
for target in setup release prepare extract probe intervene attribute report demo; do
  t0=$(date +%s.%N)
  skip=()
  [[ "$target" == setup || "$target" == release ]] || skip=(-o setup -o release)
  make --no-print-directory "$target" "${vars[@]}" "${skip[@]}"
  t1=$(date +%s.%N)
  seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  timings+=("$(printf 'e2e: %-10s %7s s' "$target" "$seconds")")
  [[ "$target" == setup || "$target" == release ]] || total=$(awk -v a="$total" -v b="$seconds" 'BEGIN { printf "%.1f", a + b }')
done
printf '%s\n' "${timings[@]}"
echo "e2e: the demo's stages took $total s (setup and the release build not counted)"

"$python" scripts/e2e/check_demo.py "$run"

# Everything is done: make must consider every stage up to date (`-o` keeps the phony setup and
# release prerequisites out of the question).
make -q --no-print-directory "$run/report/index.html" "${vars[@]}" -o setup -o release \
  || { echo "e2e: make would rerun a stage after a complete demo" >&2; exit 1; }
echo "e2e: passed"
