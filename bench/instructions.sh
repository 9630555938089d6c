#!/usr/bin/env bash
# Instructions per request (callgrind), for /healthz and each wrk script: a figure that,
# unlike requests/s on a shared 2-core machine, does not move from run to run. The
# per-user tab cap is set high rather than off, so that its ledger is measured.
#   bench/instructions.sh [SECONDS]        PRESENCED_BIN=other/presenced: another build
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-6}
bin=${PRESENCED_BIN:-build/presenced}  # another build to compare: PRESENCED_BIN=path
command -v valgrind >/dev/null || { echo "valgrind is missing" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for i in $(seq 1 200); do
  "$bin" token --jwt-secret bench-secret-for-local-loopback-runs-only --user "$((1000 + i))" --name "User $i" --tenant 1 --ttl 86400
done > "$work/tokens"
export PRESENCED_BENCH_TOKENS="$work/tokens" PRESENCED_BENCH_DIR="$PWD/bench"

# The server under callgrind: its log and output file named by $1.
serve() {
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.$1" "$bin" --jwt-secret bench-secret-for-local-loopback-runs-only \
    --listen 127.0.0.1:0 --rate-limit 0 --max-user-tabs 1000000 --threads 1 --log-level warn > "$work/log.$1" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$work/log.$1" && break; sleep 0.2; done
  port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$work/log.$1" | sed 's/.*://')
}
total_of() { callgrind_annotate "$work/cg.$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'; }

# Start and stop alone, to take out of every figure: the requests a run manages vary
# with the machine's load, and with them the share of the startup in a per-request figure.
serve idle
kill -INT "$pid"; wait "$pid" || true
startup=$(total_of idle)

measure() {
  local name=$1 script=$2
  serve "$name"
  local args=(-t1 -c8 -d"${seconds}s") url="http://127.0.0.1:$port"
  if [ -n "$script" ]; then args+=(-s "$script"); else url+=/healthz; fi
  local requests
  requests=$(wrk "${args[@]}" "$url" | awk '/requests in/ {print $1}')
  kill -INT "$pid"; wait "$pid" || true
  printf "%-10s %8d requests  %7.0f instructions per request (startup and stop of %d taken out)\n" "$name" \
    "$requests" "$(echo "($(total_of "$name") - $startup) / $requests" | bc -l)" "$startup"
}

measure healthz ""
measure heartbeat bench/heartbeat.lua
measure viewers bench/viewers.lua
