#!/usr/bin/env bash
# A large room on Redis that HTTP clients poll, with no WebSocket subscriber anywhere
# (the reference design's client): GET /viewers?limit=20 on one node, one connection,
# for DURATION seconds (default 10) with wrk's latency percentiles, at each size.
#
#   bench/polled_page.sh [TABS...]                    default: 1000 10000
#   BIN=/path/to/other/presenced bench/polled_page.sh  another build, for a before and after
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-build/presenced}
[ -x "$bin" ] || { echo "build first: make build" >&2; exit 1; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
duration=${DURATION:-10}
. bench/servers.sh
cli() { redis-cli -p "$redis_port" "$@"; }

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, $bin, ${duration} s a size"
for n in "${sizes[@]}"; do
  start_redis
  start_server "$work/server.log" --store "redis://127.0.0.1:$redis_port"
  fill_redis_room "$port" "$n" 0 80  # live for 80 s
  poller=$(bench_token 2 Poller)
  # The first pages read the room whole (the node then watches it for its pages, and
  # keeps it once its subscription is confirmed): timed apart, before the run.
  for i in 1 2 3; do
    curl -sf -o /dev/null -w "first pages: %{time_total} s\n" -H "Authorization: Bearer $poller" \
      "http://127.0.0.1:$port/api/v1/presence/flow/room/viewers?limit=20"
    sleep 0.5
  done
  cli CONFIG RESETSTAT >/dev/null
  echo "## $n tabs"
  PRESENCED_BENCH_TOKEN=$poller wrk -t1 -c1 -d"${duration}s" --latency -s bench/page.lua \
    "http://127.0.0.1:$port" | grep -E "Requests/sec|^ +(50|99)%|Non-2xx|Socket errors"
  cli INFO commandstats | tr -d '\r' | grep -E "cmdstat_(hgetall|hlen|evalsha):" | cut -d, -f1
  stop_server
  stop_redis
done
