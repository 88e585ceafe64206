#!/usr/bin/env bash
# Renders a HeadScope report in headless Chromium, fails on console or load errors, and writes a
# screenshot. Not part of CI (Chromium is a 124 MB download, 414 MB installed, Debian 12).
#
#   scripts/render-report.sh [REPORT_HTML] [SCREENSHOT_PNG]
#   defaults: runs/cogshapes-demo-small/report/index.html, <report dir>/screenshot.png
#   WIDTH, HEIGHT: the window (default 1280 x 2600; the screenshot is the window, from the top)
#
# Installs the Debian package `chromium` when it is missing and we are root. Network access is
# refused inside the browser (every host resolves to nothing), so a report that tried to fetch
# anything would show up as a load error.
set -euo pipefail
cd "$(dirname "$0")/.."
html=${1:-runs/cogshapes-demo-small/report/index.html}
out=${2:-$(dirname "$html")/screenshot.png}
[[ -f "$html" ]] || { echo "render: no report at $html (run \`make report\`)" >&2; exit 1; }

browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$browser" ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    echo "render: installing chromium (about 124 MB download)" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
    browser=$(command -v chromium)
  else
    echo "render: chromium is missing: sudo apt-get install --no-install-recommends chromium" >&2; exit 1
  fi
fi

url="file://$(cd "$(dirname "$html")" && pwd)/$(basename "$html")"
log=$(mktemp); dom=$(mktemp)
trap 'rm -f "$log" "$dom"' EXIT
flags=(--headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-extensions
       --enable-logging=stderr --v=0 --host-resolver-rules="MAP * ~NOTFOUND"
       --window-size="${WIDTH:-1280},${HEIGHT:-2600}")
mkdir -p "$(dirname "$out")"
"$browser" "${flags[@]}" --screenshot="$out" "$url" 2>"$log" >/dev/null || { cat "$log" >&2; exit 1; }
"$browser" "${flags[@]}" --dump-dom "$url" 2>>"$log" >"$dom" || { cat "$log" >&2; exit 1; }

# Console messages (errors from the page) and failed loads are failures; Chromium's own chatter
# about D-Bus, GPU and the like is not.
if grep -E 'CONSOLE|net::ERR_|Failed to load|Not allowed to load' "$log" >&2; then
  echo "render: the report logged errors while loading (above)" >&2; exit 1
fi
for id in dataset accuracy probes interventions attribution provenance; do
  grep -q "<section id=\"$id\"" "$dom" || { echo "render: section #$id missing from the rendered page" >&2; exit 1; }
done
[[ -s "$out" ]] && head -c 8 "$out" | od -An -tx1 | grep -q "89 50 4e 47" \
  || { echo "render: no PNG screenshot written to $out" >&2; exit 1; }
echo "render: ok, $(grep -o '<svg' "$dom" | wc -l) charts; screenshot $out ($(stat -c %s "$out") bytes)"
