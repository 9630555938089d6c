#!/usr/bin/env bash
# WebSocket fan-out on a fresh presenced (embedded store, rate limit off):
#   1. latency: N subscribers on one record, isolated changes, time to the last one;
#   2. idle: the memory an idle, subscribed socket costs the server.
#
#   bench/fanout.sh [SUBSCRIBERS...]      default: 1000 10000
#   IDLE_SOCKETS=19000 bench/fanout.sh    sockets for the idle measure (default 10000)
#
# The open-file limit of these machines is 20,000 per process (hard), which bounds the
# idle measure; both presenced and the tool raise their soft limit to it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/presenced tool=build/bench/fanout
[ -x "$bin" ] && [ -x "$tool" ] || { echo "build first: make build" >&2; exit 1; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
idle_sockets=${IDLE_SOCKETS:-10000}

work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

start_server() {
  "$bin" --jwt-secret bench-secret --listen 127.0.0.1:0 --rate-limit 0 --log-level warn "$@" > "$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$work/server.log" && break; sleep 0.1; done
  port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$work/server.log" | sed 's/.*://')
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

subscriber=$("$bin" token --jwt-secret bench-secret --user 1 --name Watcher --tenant 1 --ttl 86400)
trigger=$("$bin" token --jwt-secret bench-secret --user 2 --name Editor --tenant 1 --ttl 86400)

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, open files: soft $(ulimit -Sn) hard $(ulimit -Hn)"
for n in "${sizes[@]}"; do
  start_server
  echo "## latency, $n subscribers on one record"
  "$tool" latency --port "$port" --token "$subscriber" --trigger-token "$trigger" --subscribers "$n" --trials 50
  stop_server
done

# Sockets on few records (the usual case: many tabs on the same records), then one
# record per socket (each also costs the record's channel).
for records in 100 "$idle_sockets"; do
  start_server
  echo "## idle sockets"
  "$tool" idle --port "$port" --token "$subscriber" --sockets "$idle_sockets" --pid "$server_pid" --records "$records"
  stop_server
done
