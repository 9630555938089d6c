#!/usr/bin/env bash
# A large room (bench/room.cpp), on the embedded store and on Redis with two nodes
# sharing the room, and beside each size the loopback floor: the same number of bare
# sends over loopback TCP, the kernel's share.
#
#   bench/room.sh [VIEWERS...]      default: 1000 5000 10000
#   CHANGES=30 bench/room.sh        changes per run (default 30)
#   BIN=/path/to/presenced bench/room.sh   another build (a before and after)
#
# N viewers cost the tool N sockets and the servers N (one node) or N/2 each (two): the
# open-file limit here is 20,000 per process.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-build/presenced} tool=build/bench/room floor=build/bench/loopback_floor
[ -x "$bin" ] && [ -x "$tool" ] && [ -x "$floor" ] || { echo "build first: make build" >&2; exit 1; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 5000 10000)
changes=${CHANGES:-30}
. bench/servers.sh
room_flags=()  # default flags: a room of 10,000 is served by them (docs/operations.md)

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, open files: soft $(ulimit -Sn) hard $(ulimit -Hn)"
for n in "${sizes[@]}"; do
  echo "## $n viewers, embedded store"
  start_server "$work/server.log" "${room_flags[@]}"
  "$tool" --ports "$port" --pids "$server_pid" --secret "$bench_secret" --viewers "$n" --changes "$changes"
  stop_server
  echo "## the loopback floor for $n"
  "$floor" "$(( n < 9990 ? n : 9990 ))" --writers 2 --reader 1

  echo "## $n viewers, Redis, two nodes (half on each; the changes on the first)"
  start_redis
  start_server "$work/a.log" --store "redis://127.0.0.1:$redis_port" "${room_flags[@]}"
  other_pid=$server_pid node_a=$port
  start_server "$work/b.log" --store "redis://127.0.0.1:$redis_port" "${room_flags[@]}"
  "$tool" --ports "$node_a,$port" --pids "$other_pid,$server_pid" --secret "$bench_secret" --viewers "$n" --changes "$changes"
  stop_server
  kill "$other_pid"; wait "$other_pid" 2>/dev/null || true; other_pid=""
  stop_redis
done
