#!/usr/bin/env bash
# WebSocket fan-out on a fresh presenced (embedded store, rate limit off):
#   1. latency: N subscribers on one record, isolated changes, time to the last one,
#      and beside it the floor: the same number of bare sends over loopback TCP;
#   2. across nodes: 1,000 subscribers on node B of a Redis store, changes made on node A;
#   3. idle: the memory an idle socket costs the server.
#
#   bench/fanout.sh [SUBSCRIBERS...]      default: 1000 10000
#   IDLE_SOCKETS=19000 bench/fanout.sh    sockets for the idle measure (default 10000)
#
# The open-file limit of these machines is 20,000 per process (hard), which bounds the
# idle measure; both presenced and the tool raise their soft limit to it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/presenced tool=build/bench/fanout floor=build/bench/loopback_floor
[ -x "$bin" ] && [ -x "$tool" ] && [ -x "$floor" ] || { echo "build first: make build" >&2; exit 1; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
idle_sockets=${IDLE_SOCKETS:-10000}

. bench/servers.sh

subscriber=$("$bin" token --jwt-secret "$bench_secret" --user 1 --name Watcher --tenant 1 --ttl 86400)
trigger=$("$bin" token --jwt-secret "$bench_secret" --user 2 --name Editor --tenant 1 --ttl 86400)

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, open files: soft $(ulimit -Sn) hard $(ulimit -Hn)"
for n in "${sizes[@]}"; do
  start_server "$work/server.log"
  echo "## latency, $n subscribers on one record"
  "$tool" latency --port "$port" --token "$subscriber" --trigger-token "$trigger" --subscribers "$n" --trials 50
  stop_server
  # The kernel's share: the same number of bare sends (two threads, as the server's) to
  # a reader like the tool's; 9,990 pairs at most under the open-file limit.
  echo "## the loopback floor for $n"
  "$floor" "$(( n < 9990 ? n : 9990 ))" --writers 2 --reader 1
done

start_redis
start_server "$work/a.log" --store "redis://127.0.0.1:$redis_port"
other_pid=$server_pid node_a=$port
start_server "$work/b.log" --store "redis://127.0.0.1:$redis_port"
echo "## across nodes: 1000 subscribers on node B, changes on node A, one Redis"
"$tool" latency --port "$port" --trigger-port "$node_a" --token "$subscriber" --trigger-token "$trigger" \
  --subscribers 1000 --trials 50
stop_server
kill "$other_pid"; wait "$other_pid" 2>/dev/null || true; other_pid=""
stop_redis

# Bare sockets (connected, authenticated), sockets on few records (the usual case: many
# tabs on the same records), then one record per socket (each also costs a channel).
for records in 0 100 "$idle_sockets"; do
  start_server "$work/server.log"
  echo "## idle sockets"
  "$tool" idle --port "$port" --token "$subscriber" --sockets "$idle_sockets" --pid "$server_pid" --records "$records"
  stop_server
done
