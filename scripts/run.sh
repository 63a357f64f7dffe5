#!/usr/bin/env bash
# Runs Prongsai on the sample agency (อบต.ปากช่อง, 2565), installing what it needs first:
# creates the sample agency and its accounts once (when the data directory is empty), then serves
# on 127.0.0.1:8080 and prints the URL and the sample accounts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh run
source scripts/env.sh
DATA="${PRONGSAI_DATA:-data}"
LISTEN="${PRONGSAI_LISTEN:-127.0.0.1:8080}"
cargo build --locked --release -p prongsai-sync-server
SERVER=target/release/prongsai-server
ACCOUNTS="$DATA/sample-accounts.json"
if [ ! -f "$DATA/prongsai.sqlite3" ]; then
  mkdir -p "$DATA"
  umask 077
  "$SERVER" sample --data "$DATA" > "$ACCOUNTS.tmp"
  mv "$ACCOUNTS.tmp" "$ACCOUNTS"
fi
echo
echo "Prongsai sync server: http://$LISTEN/  (data in $DATA)"
if [ -f "$ACCOUNTS" ]; then
  echo "Sample accounts of อบต.ปากช่อง (also in $ACCOUNTS):"
  python3 - "$ACCOUNTS" <<'PY' 2>/dev/null || cat "$ACCOUNTS"
import json, sys
for a in json.load(open(sys.argv[1])):
    print(f"  {a['username']:<10} {a['password']:<16} {a['role']:<14} {a['division'] or ''}")
PY
fi
echo
echo "Try: curl -s -X POST http://$LISTEN/api/login -H 'content-type: application/json' \\"
echo "       -d '{\"username\":\"winai\",\"password\":\"<password above>\"}'"
echo
exec "$SERVER" serve --data "$DATA" --listen "$LISTEN"
