#!/usr/bin/env bash
# End-to-end test of the small demo, run by .ci/run after `make test`: `make demo DEMO_SIZE=small`
# through the real release executables into a scratch directory, then
# scripts/e2e/check_demo.py (h5py/numpy from the test venv, independent of the Swift code)
# checks the artifacts and the report for consistency, and `make -q` confirms a rerun would do
# nothing. Prints the time of every stage (from the manifests) and of the whole demo.
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

start=$(date +%s)
make --no-print-directory demo "${vars[@]}"
end=$(date +%s)
run="$scratch/runs/$name"

"$python" - "$run" <<'PY'
import json, sys, datetime
def t(s): return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
for d in ["prepared", "activations", "probes", "interventions", "attribution", "report"]:
    m = json.load(open(f"{sys.argv[1]}/{d}/manifest.json"))
    print(f"e2e: {m['stage']:<10} {(t(m['finished_at']) - t(m['started_at'])).total_seconds():8.1f} s")
PY
echo "e2e: make demo took $((end - start)) s in total (setup and release build included)"

"$python" scripts/e2e/check_demo.py "$run"

# Everything is done: make must consider every stage up to date (`-o` keeps the phony setup and
# release prerequisites out of the question).
make -q --no-print-directory "$run/report/index.html" "${vars[@]}" -o setup -o release \
  || { echo "e2e: make would rerun a stage after a complete demo" >&2; exit 1; }
echo "e2e: passed"
