#!/usr/bin/env bash
# Creates .venv-ref: the reference implementation (PyTorch CPU + transformers, scikit-learn, gguf)
# for `make bench` and for regenerating golden fixtures (scripts/fixtures/*.py). Not needed by
# `make test`: the fixtures are committed. Idempotent; about 1.5 minutes the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-ref
stamp="$venv/.requirements.sha256"
want=$(cat scripts/requirements-reference.txt | sha256sum | cut -d' ' -f1)
if [[ -x "$venv/bin/python" && "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then exit 0; fi
echo "reference: creating $venv (PyTorch CPU, transformers, scikit-learn, gguf)"
"${PYTHON:-python3}" -m venv "$venv"
# The CPU build of torch; plain `torch` would pull gigabytes of CUDA wheels.
"$venv/bin/pip" install -q --disable-pip-version-check "torch==2.13.0+cpu" -r scripts/requirements-reference.txt
echo "$want" > "$stamp"
