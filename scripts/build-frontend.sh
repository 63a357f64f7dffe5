#!/usr/bin/env bash
# Builds the Yew frontend into frontend/dist: the wasm module, wasm-bindgen's JS glue, and the
# static files (page, styles, Sarabun); beside it the device Worker's wasm (prongsai-browser: a
# tablet's browser as a field device, started by device-worker.js). The app embeds dist when src-tauri compiles; the sync
# server serves it to browsers. Files are replaced only when they changed, so an unchanged
# frontend does not make the app recompile.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
profile="${PRONGSAI_FRONTEND_PROFILE:-web}"
case "$profile" in dev) out=debug ;; *) out="$profile" ;; esac
cargo build -p prongsai-frontend -p prongsai-browser --lib --target wasm32-unknown-unknown --profile "$profile" --locked
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
for wasm in prongsai_frontend prongsai_browser; do
  wasm-bindgen --target web --no-typescript --remove-name-section --out-dir "$stage" "target/wasm32-unknown-unknown/$out/$wasm.wasm"
done
cp -r frontend/static/. "$stage/"
cp icons/icon.png "$stage/icon.png"
cp icons/icon-192.png "$stage/icon-192.png"
# The service worker keeps every file of the shell, under a version that changes with any of them.
version="$(cd "$stage" && find . -type f ! -name sw.js -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
shell="$(cd "$stage" && find . -type f ! -name sw.js ! -name index.html | sed 's|^\./||' | sort | sed 's/.*/"&"/' | paste -sd, -)"
sed -i -e "s/__VERSION__/$version/" -e "s|__SHELL__|[\"./\",$shell]|" "$stage/sw.js"
mkdir -p frontend/dist
(cd "$stage" && find . -type f) | while read -r f; do
  if ! cmp -s "$stage/$f" "frontend/dist/$f"; then
    mkdir -p "frontend/dist/$(dirname "$f")"
    cp "$stage/$f" "frontend/dist/$f"
  fi
done
echo "frontend/dist is up to date ($(du -sh frontend/dist | cut -f1))" >&2
