#!/usr/bin/env bash
# A Prongsai cluster on this machine's loopback, for a person to try: one PostgreSQL, three
# server nodes sharing it, and HAProxy in front (deploy/haproxy.cfg), with the sample agency
# (อบต.ปากช่อง, 2565). Open http://127.0.0.1:8080/ (the dashboard) or point the field app there;
# kill a node (the PIDs are printed) and watch another take its agencies over within seconds.
# Ctrl-C stops everything. Debian 12, as root (PostgreSQL itself runs as the postgres user).
#
# PRONGSAI_CLUSTER_DIR (default cluster-data), PRONGSAI_CLUSTER_PORT (HAProxy, default 8080; the
# nodes take the next three ports, PostgreSQL the fourth).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh run cluster
source scripts/env.sh
DIR="$(realpath -m "${PRONGSAI_CLUSTER_DIR:-cluster-data}")"
PORT="${PRONGSAI_CLUSTER_PORT:-8080}"
PG_PORT=$((PORT + 4))
PG_BIN=/usr/lib/postgresql/15/bin
bash scripts/build-frontend.sh
cargo build --locked --release -p prongsai-sync-server
SERVER="$PWD/target/release/prongsai-server"

PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT INT TERM
mkdir -p "$DIR"
chmod 0755 "$DIR"
if [ ! -d "$DIR/pg" ]; then
  mkdir -p "$DIR/pg"
  chown postgres:postgres "$DIR/pg"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$DIR/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
runuser -u postgres -- "$PG_BIN/postgres" -D "$DIR/pg" -p "$PG_PORT" -k "$DIR/pg" -c listen_addresses=127.0.0.1 \
  >>"$DIR/postgres.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.1; done
DATABASE="postgres://postgres@127.0.0.1:$PG_PORT/prongsai"
ACCOUNTS="$DIR/sample-accounts.json"
if [ ! -f "$ACCOUNTS" ]; then
  "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE DATABASE prongsai" postgres
  (umask 077; "$SERVER" sample --database "$DATABASE" > "$ACCOUNTS")
fi

export PRONGSAI_LB="127.0.0.1:$PORT"
for i in 1 2 3; do
  listen="127.0.0.1:$((PORT + i))"
  export "PRONGSAI_NODE_$i=$listen"
  # application_name: pg_stat_activity says which node holds each connection.
  "$SERVER" serve --database "$DATABASE?application_name=node-$i" --listen "$listen" --node-name "node-$i" \
    --advertise "http://$listen" \
    --public-url "http://$PRONGSAI_LB" --trusted-proxy 127.0.0.1 >>"$DIR/node-$i.log" 2>&1 &
  PIDS+=($!)
  echo "node-$i: http://$listen/ (pid $!, log $DIR/node-$i.log)"
done
for i in 1 2 3; do
  var="PRONGSAI_NODE_$i"
  for _ in $(seq 1 100); do curl -fsS "http://${!var}/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
done
haproxy -db -f deploy/haproxy.cfg >>"$DIR/haproxy.log" 2>&1 &
PIDS+=($!)
echo "PostgreSQL: $DATABASE (log $DIR/postgres.log)"
echo "HAProxy:    http://$PRONGSAI_LB/  <- clients connect here"
echo "Sample accounts (also in $ACCOUNTS):"
python3 - "$ACCOUNTS" <<'PY' 2>/dev/null || cat "$ACCOUNTS"
import json, sys
for a in json.load(open(sys.argv[1])):
    print(f"  {a['username']:<10} {a['password']:<16} {a['role']:<14} {a['division'] or ''}")
PY
echo "Ctrl-C stops the cluster; its data stays in $DIR."
wait
