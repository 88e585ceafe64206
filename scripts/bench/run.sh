#!/usr/bin/env bash
# make bench: the engine next to transformers on the same machine, same thread count, same run.
#
# For each shape (llava-1b: CLIP ViT-B/16 + a TinyLlama-1.1B-shaped decoder; llava-tiny: the
# built-in model's decoder shape) it builds the random-weight reference checkpoint once under
# .cache/bench/<name>/ (with the reference Python), then measures, interleaved: the sgemm roof,
# headscope-bench engine, and scripts/bench/engine_reference.py. Prints a table of medians and
# writes the raw JSON lines to .cache/bench/results-<UTC time>.jsonl.
#
# qwen25vl-3b: a random-weight Qwen2.5-VL model with the 3B decoder width and the real vision tower
# (scripts/bench/qwen_reference.py builds it once; BENCH_QWEN_LAYERS decoder layers, default 8 of
# the real 36, since 36 layers are 15 GB in fp32 per implementation); prefill only, one
# BENCH_QWEN_IMAGE x BENCH_QWEN_IMAGE image (default 224: 64 image tokens) + the text tokens.
#
# Environment: HEADSCOPE_REFERENCE_PYTHON (default .venv-ref/bin/python, made by `make bench`; a Python with torch
# and transformers), BENCH_THREADS (2), BENCH_REPEATS (3 timed repeats per invocation),
# BENCH_ROUNDS (2 alternating rounds per shape), BENCH_SHAPES ("llava-1b llava-tiny qwen25vl-3b"),
# BENCH_TEXT_TOKENS (64), BENCH_DECODE_TOKENS (16). Without a reference Python only the Swift
# side runs, on checkpoints that already exist.
set -euo pipefail
cd "$(dirname "$0")/../.."

threads=${BENCH_THREADS:-2}
repeats=${BENCH_REPEATS:-3}
rounds=${BENCH_ROUNDS:-2}
shapes=${BENCH_SHAPES:-llava-1b llava-tiny qwen25vl-3b}
qwen_image=${BENCH_QWEN_IMAGE:-224}
text_tokens=${BENCH_TEXT_TOKENS:-64}
decode_tokens=${BENCH_DECODE_TOKENS:-16}
python=${HEADSCOPE_REFERENCE_PYTHON:-.venv-ref/bin/python}
bench=${HEADSCOPE_BENCH:-$(swift build -c release --product headscope-bench --show-bin-path)/headscope-bench}

if [[ ! -x "$bench" ]]; then
  echo "bench: $bench is missing; run: swift build -c release --product headscope-bench" >&2; exit 1
fi
reference=1
if ! "$python" -c "import torch, transformers" >/dev/null 2>&1; then
  echo "bench: no reference Python with torch + transformers at $python (set HEADSCOPE_REFERENCE_PYTHON);"
  echo "bench: running the Swift side only"
  reference=0
fi

mkdir -p .cache/bench
results=.cache/bench/results-$(date -u +%Y%m%dT%H%M%SZ).jsonl
: > "$results"
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads

for shape in $shapes; do
  folder=.cache/bench/$shape
  if [[ ! -f $folder/config.json ]]; then
    if ((reference)); then
      echo "bench: building the $shape reference checkpoint in $folder (once)"
      if [[ $shape == qwen* ]]; then
        "$python" -c "import sys; sys.path.insert(0, 'scripts/bench'); import qwen_reference as q; q.build('$folder')"
      else
        "$python" -c "import sys; sys.path.insert(0, 'scripts/bench'); import engine_reference as e; e.build('$shape', '$folder')"
      fi
    else
      echo "bench: $folder is missing and there is no reference Python to build it; skipping $shape" >&2
      continue
    fi
  fi
  for ((round = 1; round <= rounds; round++)); do
    echo "bench: $shape round $round/$rounds" >&2
    "$bench" sgemm --threads "$threads" | sed "s/^{/{\"shape\": \"$shape\", /" >> "$results"
    if [[ $shape == qwen* ]]; then
      # Prefill only; one model in memory at a time (the Swift run ends before the reference starts).
      "$bench" engine --model "$folder" --name "$shape" --threads "$threads" --text-tokens "$text_tokens" \
        --image-size "$qwen_image" --repeats "$repeats" | sed "s/^{/{\"shape\": \"$shape\", /" >> "$results"
      if ((reference)); then
        "$python" scripts/bench/qwen_reference.py --name "$shape" --threads "$threads" --text-tokens "$text_tokens" \
          --image-size "$qwen_image" --repeats "$repeats" 2>/dev/null | tail -1 | sed "s/^{/{\"shape\": \"$shape\", /" >> "$results"
      fi
      continue
    fi
    "$bench" engine --model "$folder" --name "$shape" --threads "$threads" --text-tokens "$text_tokens" \
      --decode-tokens "$decode_tokens" --repeats "$repeats" | sed "s/^{/{\"shape\": \"$shape\", /" >> "$results"
    if ((reference)); then
      "$python" scripts/bench/engine_reference.py --name "$shape" --threads "$threads" --text-tokens "$text_tokens" \
        --decode-tokens "$decode_tokens" --repeats "$repeats" 2>/dev/null | tail -1 | sed "s/^{/{\"shape\": \"$shape\", /" >> "$results"
    fi
  done
done

python3 scripts/bench/table.py "$results"
echo "raw results: $results"
