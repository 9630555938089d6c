#!/usr/bin/env bash
# The Pusher endpoint (docs/pusher.md) on a fresh presenced, rate limit off:
#   1. fan-out: N sockets on one channel, events triggered through the HTTP API one at a
#      time, time to the last subscriber (embedded store);
#   2. across nodes: 1,000 subscribers on node B of a Redis store, triggers on node A;
#   3. idle: the memory an idle Pusher connection costs the server (bare, and subscribed);
#   4. the HTTP API's triggers per second (wrk, one signed request replayed: a signature
#      holds for 600 s), on the embedded store and on Redis, no subscriber.
#
#   bench/pusher.sh [SUBSCRIBERS...]      default: 1000 10000
#   IDLE_SOCKETS=19000 bench/pusher.sh    sockets for the idle measure (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/presenced tool=build/bench/pusher_fanout
[ -x "$bin" ] && [ -x "$tool" ] || { echo "build first: make build" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: make deps" >&2; exit 1; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
idle_sockets=${IDLE_SOCKETS:-10000}

. bench/servers.sh
app=(--pusher-app bench:bench-key:bench-secret-0123)

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, open files: soft $(ulimit -Sn) hard $(ulimit -Hn)"
for n in "${sizes[@]}"; do
  start_server "$work/server.log" "${app[@]}"
  echo "## fan-out, $n subscribers on one channel"
  "$tool" latency --port "$port" --subscribers "$n" --trials 50
  stop_server
done

start_redis
start_server "$work/a.log" --store "redis://127.0.0.1:$redis_port" "${app[@]}"
other_pid=$server_pid node_a=$port
start_server "$work/b.log" --store "redis://127.0.0.1:$redis_port" "${app[@]}"
echo "## across nodes: 1000 subscribers on node B, triggers on node A, one Redis"
"$tool" latency --port "$port" --trigger-port "$node_a" --subscribers 1000 --trials 50
stop_server
kill "$other_pid"; wait "$other_pid" 2>/dev/null || true; other_pid=""

for channels in 0 100; do
  start_server "$work/server.log" "${app[@]}"
  echo "## idle Pusher connections"
  "$tool" idle --port "$port" --sockets "$idle_sockets" --pid "$server_pid" --channels "$channels"
  stop_server
done

# One signed trigger, as the pusher SDK signs it (docs/pusher.md, "The HTTP API").
body='{"name":"tick","channels":["bench"],"data":"{\"n\":1}"}'
md5=$(printf '%s' "$body" | md5sum | cut -d' ' -f1)
query="auth_key=bench-key&auth_timestamp=$(date +%s)&auth_version=1.0&body_md5=$md5"
signature=$(printf 'POST\n/apps/bench/events\n%s' "$query" | openssl dgst -sha256 -hmac bench-secret-0123 | sed 's/.*= //')
cat > "$work/trigger.lua" <<LUA
wrk.method = "POST"
wrk.body = [[$body]]
wrk.headers["Content-Type"] = "application/json"
LUA
for store in memory redis; do
  if [ "$store" = memory ]; then start_server "$work/server.log" "${app[@]}"
  else start_server "$work/server.log" --store "redis://127.0.0.1:$redis_port" "${app[@]}"; fi
  url="http://127.0.0.1:$port/apps/bench/events?$query&auth_signature=$signature"
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d "$body" "$url")" = 200 ] ||
    { echo "the signed trigger is refused" >&2; exit 1; }
  echo "## HTTP API triggers per second, $store store, no subscriber (wrk -t2 -c32 -d10s)"
  wrk -t2 -c32 -d10s --latency -s "$work/trigger.lua" "$url" > "$work/wrk.txt"
  grep -E "Requests/sec|50%|99%" "$work/wrk.txt"
  ! grep -q "Non-2xx" "$work/wrk.txt" || { grep "Non-2xx" "$work/wrk.txt"; echo "triggers were refused" >&2; exit 1; }
  stop_server
done
stop_redis
