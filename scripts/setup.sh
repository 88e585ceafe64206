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
echo "setup: ok"
