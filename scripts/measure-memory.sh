#!/usr/bin/env bash
# Measures the server's resident memory as agencies come and go: N agencies (each the sample's 11
# documents), one login each, then rounds of loading every agency's status and waiting for the idle
# repos to stop. A measurement, not a test. Usage: N=20 BIN=target/release/prongsai-server scripts/measure-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/prongsai-server}
N=${N:-20}
DIR=$(mktemp -d)
FIX=core/fixtures/pakchong-2565.json
for i in $(seq 1 $N); do
  $BIN agency create --data $DIR --id a$i --name "agency $i" --fixture $FIX >/dev/null 2>&1
  echo "password-$i" | $BIN user add --data $DIR --agency a$i --username u$i --display-name u$i --role viewer --password-stdin >/dev/null 2>&1
done
$BIN serve --data $DIR --listen 127.0.0.1:18181 --repo-idle-secs 5 > $DIR/out 2>$DIR/err &
PID=$!
sleep 1
rss() { awk '/VmRSS/ {r=$2} /Threads/ {t=$2} END {print r " threads=" t}' /proc/$PID/status; }
repos() { curl -s localhost:18181/metrics | awk '/^prongsai_agency_repos_running/ {print $2}'; }
echo "agencies=$N rss_start_kb=$(rss)"
declare -a TOK
for i in $(seq 1 $N); do
  TOK[$i]=$(curl -s -X POST localhost:18181/api/login -H 'content-type: application/json' -d "{\"username\":\"u$i\",\"password\":\"password-$i\"}" | python3 -c "import sys,json;print(json.load(sys.stdin)['token'])")
done
echo "rss_after_logins_kb=$(rss) repos=$(repos)"
sleep 8
echo "rss_after_login_repos_idle_kb=$(rss) repos=$(repos)"
for round in $(seq 1 ${ROUNDS:-3}); do
  for i in $(seq 1 $N); do curl -s -o /dev/null "localhost:18181/api/agencies/a$i/years/2565/status?token=${TOK[$i]}"; done
  echo "round=$round rss_loaded_kb=$(rss) repos=$(repos)"
  sleep 8
  echo "round=$round rss_after_idle_stop_kb=$(rss) repos=$(repos)"
done
kill $PID
rm -rf $DIR
