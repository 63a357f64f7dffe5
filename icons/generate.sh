#!/usr/bin/env bash
# Renders every icon Tauri needs from source.svg (ImageMagick). Run after changing the source;
# the outputs are committed so that builds need no image tools.
set -euo pipefail
cd "$(dirname "$0")"
render() { convert -background none -density 384 source.svg -resize "$1x$1" -define png:color-type=6 "PNG32:$2"; }
render 512 icon.png
render 32 32x32.png
render 128 128x128.png
render 256 128x128@2x.png
for size in 30 44 71 89 107 142 150 284 310; do render "$size" "Square${size}x${size}Logo.png"; done
render 50 StoreLogo.png
render 16 /tmp/prongsai-icon-16.png
render 48 /tmp/prongsai-icon-48.png
render 64 /tmp/prongsai-icon-64.png
convert /tmp/prongsai-icon-16.png 32x32.png /tmp/prongsai-icon-48.png /tmp/prongsai-icon-64.png 128x128.png 128x128@2x.png icon.ico
render 1024 /tmp/prongsai-icon-1024.png
# ICNS: a header, then (type, length, PNG) entries.
python3 - <<'PY'
import struct
entries = [(b"ic07", "128x128.png"), (b"ic08", "128x128@2x.png"), (b"ic09", "icon.png"), (b"ic10", "/tmp/prongsai-icon-1024.png")]
body = b""
for kind, path in entries:
    data = open(path, "rb").read()
    body += kind + struct.pack(">I", len(data) + 8) + data
open("icon.icns", "wb").write(b"icns" + struct.pack(">I", len(body) + 8) + body)
PY
rm -f /tmp/prongsai-icon-*.png
