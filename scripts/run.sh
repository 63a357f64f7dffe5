#!/usr/bin/env bash
# Runs Prongsai on the sample agency (อบต.ปากช่อง, 2565), installing what it needs first:
# creates the sample agency and its accounts once (when the data directory is empty), serves on
# 127.0.0.1:8080, and opens the field app signed in as สมชาย (staff, สำนักปลัด) where a display
# exists. The app's sign-in comes from a session file the server issues, never a password on a
# command line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh run
source scripts/env.sh
DATA="${PRONGSAI_DATA:-data}"
LISTEN="${PRONGSAI_LISTEN:-127.0.0.1:8080}"
APP_USER="${PRONGSAI_APP_USER:-somchai}"
bash scripts/build-frontend.sh
cargo build --locked --release -p prongsai-sync-server -p prongsai-app
SERVER=target/release/prongsai-server
APP=target/release/prongsai-app
ACCOUNTS="$DATA/sample-accounts.json"
if [ ! -f "$DATA/prongsai.sqlite3" ]; then
  mkdir -p "$DATA"
  (umask 077; "$SERVER" sample --data "$DATA" > "$ACCOUNTS.tmp")
  mv "$ACCOUNTS.tmp" "$ACCOUNTS"
fi
# The app's own data directory, with a session issued for the sample staff user (once).
APP_DATA="$DATA/app-$APP_USER"
if [ ! -f "$APP_DATA/session.json" ]; then
  mkdir -p "$APP_DATA"
  (umask 077; "$SERVER" user session --data "$DATA" --username "$APP_USER" --server "http://$LISTEN/" \
    --device "run command" > "$APP_DATA/session.json.tmp")
  mv "$APP_DATA/session.json.tmp" "$APP_DATA/session.json"
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

"$SERVER" serve --data "$DATA" --listen "$LISTEN" &
SERVER_PID=$!
APP_PID=
trap 'kill $SERVER_PID $APP_PID 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  curl -fsS "http://$LISTEN/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
echo
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "Opening the field app signed in as $APP_USER (its data: $APP_DATA)."
  PRONGSAI_APP_DATA="$APP_DATA" "$APP" &
  APP_PID=$!
else
  echo "No display here, so the app was not opened. On a machine with a desktop, run:"
  echo "  PRONGSAI_APP_DATA=$APP_DATA $APP"
  echo "(or with no PRONGSAI_APP_DATA, and sign in with an account above and server http://$LISTEN/)."
fi
echo "Stop with Ctrl-C."
wait "$SERVER_PID"
