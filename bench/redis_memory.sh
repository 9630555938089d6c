#!/usr/bin/env bash
# Redis memory per tab in presenced's layout: a fresh redis-server, a presenced on it,
# N tabs registered through the HTTP API (bench/fill.lua), and INFO memory before/after.
#   bench/redis_memory.sh [TABS] [TABS_PER_RECORD]      (FILL_SECONDS=15: long enough for TABS)
set -euo pipefail
cd "$(dirname "$0")/.."
tabs=${1:-100000} per_record=${2:-1}
bin=build/presenced
work=$(mktemp -d)
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning &
redis_pid=$!
server_pid=""
trap 'kill $server_pid $redis_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
for i in $(seq 1 200); do
  "$bin" token --jwt-secret bench-secret-for-local-loopback-runs-only --user "$((1000 + i))" --name "User $i" --tenant 1 --ttl 86400
done > "$work/tokens"
"$bin" --jwt-secret bench-secret-for-local-loopback-runs-only --listen 127.0.0.1:0 --rate-limit 0 --max-user-tabs 0 --presence-ttl 3600 --log-level warn \
  --store "redis://127.0.0.1:$redis_port" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/server.log" && break; sleep 0.1; done
port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$work/server.log" | sed 's/.*://')
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done

used() { redis-cli -p "$redis_port" info memory | awk -F: '/^used_memory:/ {print $2+0}'; }
before=$(used)
PRESENCED_BENCH_TOKENS="$work/tokens" PRESENCED_BENCH_DIR="$PWD/bench" PRESENCED_BENCH_FILL="$tabs" \
  PRESENCED_BENCH_PER_RECORD="$per_record" wrk -t1 -c8 -d"${FILL_SECONDS:-15}s" -s bench/fill.lua "http://127.0.0.1:$port" > /dev/null
after=$(used)
keys=$(redis-cli -p "$redis_port" dbsize)
stored=$(redis-cli -p "$redis_port" eval \
  "local n = 0 for _, k in ipairs(redis.call('KEYS', 'tenant_*')) do n = n + redis.call('HLEN', k) end return n" 0)
echo "$stored tabs in $keys keys ($per_record per record): used_memory +$((after - before)) bytes," \
  "$(( (after - before) / stored )) bytes per tab"
