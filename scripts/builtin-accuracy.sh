#!/usr/bin/env bash
# `make accuracy`: the built-in model's held-out accuracy through HeadScope's own engine and the
# deterministic judge, checked against its targets (scripts/e2e/check_builtin_accuracy.py; exits
# non-zero below target). CogShapes scenes of a seed the model was not trained on (seed 7) are
# generated through the archive route, every subquestion is answered by the release
# `headscope-extract` with context `none` (the training prompt), and the stored verdicts are scored.
#
# Environment: ACCURACY_SEED (8), ACCURACY_SCENES (60: about 160 questions, 550 subquestions),
# ACCURACY_DIR (.cache/accuracy), BIN (.build/release),
# HEADSCOPE_TEST_PYTHON (.venv-test/bin/python, with h5py).
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${ACCURACY_SEED:-8}
scenes=${ACCURACY_SCENES:-60}
bin=${BIN:-.build/release}
python=${HEADSCOPE_TEST_PYTHON:-.venv-test/bin/python}
dir=${ACCURACY_DIR:-.cache/accuracy}/s$seed-n$scenes
if [[ $seed == 7 ]]; then
  echo "accuracy: seed 7 is the training seed; pick another ACCURACY_SEED" >&2; exit 2
fi
mkdir -p "$dir"
"$bin/headscope-prepare" --generate cogshapes --seed "$seed" --count "$scenes" --output "$dir/prepared"
# Always answered afresh: the answers are what is under test (and the weights may have changed).
rm -rf "$dir/activations"
"$bin/headscope-extract" --prepared "$dir/prepared" --output "$dir/activations" --model builtin \
  --context none --positions mean
"$python" scripts/e2e/check_builtin_accuracy.py "$dir/activations" "$dir/prepared"
