#!/usr/bin/env bash
# Runs the wrk scripts against a fresh presenced (rate limit off) and prints requests/s
# with p50/p99 latency, /healthz of the same server first as the ceiling.
#
#   bench/run.sh [--store memory|redis] [--duration 10s] [--connections 64] [--threads 2]
#                [--server-threads N] [--repeat 1] [--webhooks] [--warmup SECONDS]
#
# --webhooks starts bench/webhook_sink.py and gives presenced --webhook-url to it: what
# occupancy tracking costs each request (docs/webhooks.md). --warmup runs heartbeats,
# unreported, first: every tab has joined (and every record's webhook gone out) before
# anything is measured.
#
# --store redis starts a redis-server of its own (no persistence) on a free port.
#
# wrk and the server share the machine's cores: compare ratios within one run (heartbeat
# vs /healthz), repeat, and quote medians (docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10s connections=64 threads=2 server_threads="" repeat=1 users=200 store=memory
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --server-threads) server_threads=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --users) users=$2; shift 2 ;;
    --store) store=$2; shift 2 ;;
    --webhooks) webhooks=1; shift ;;
    --warmup) warmup=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

bin=build/presenced
[ -x "$bin" ] || { echo "build first: make build" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: make deps" >&2; exit 1; }

work=$(mktemp -d)
server_pid="" redis_pid=""
cleanup() {
  for pid in $server_pid $redis_pid ${sink_pid:-}; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

secret=bench-secret-for-local-loopback-runs-only
for i in $(seq 1 "$users"); do
  "$bin" token --jwt-secret "$secret" --user "$((1000 + i))" --name "User $i" --tenant 1 --ttl 86400
done > "$work/tokens"

# Synthetic users hold many tabs each: the per-user tab cap is off, as the rate limit is.
args=(--jwt-secret "$secret" --listen 127.0.0.1:0 --rate-limit 0 --max-user-tabs 0 --log-level warn)
if [ "$store" = redis ]; then
  redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning &
  redis_pid=$!
  for _ in $(seq 1 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  args+=(--store "redis://127.0.0.1:$redis_port")
fi
[ -n "$server_threads" ] && args+=(--threads "$server_threads")
if [ -n "${webhooks:-}" ]; then
  sink_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  python3 "$PWD/bench/webhook_sink.py" "$sink_port" > "$work/sink.log" 2>&1 &
  sink_pid=$!
  args+=(--webhook-url "http://127.0.0.1:$sink_port/hooks" --webhook-secret bench-webhook-secret-0123)
fi
"$bin" "${args[@]}" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/server.log" && break
  sleep 0.1
done
port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$work/server.log" | sed 's/.*://')
url="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -sf "$url/readyz" >/dev/null && break; sleep 0.1; done

export PRESENCED_BENCH_TOKENS="$work/tokens" PRESENCED_BENCH_DIR="$PWD/bench"

# requests/s, p50 and p99 from wrk's --latency output
summarize() {
  awk -v name="$1" '
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = $2 }
    /^ +99%/ { p99 = $2 }
    /Non-2xx/ { bad = $NF }
    END { printf "%-10s %10.0f req/s   p50 %8s   p99 %8s%s\n", name, rps, p50, p99, (bad ? "   NON-2XX: " bad : "") }'
}

run() {
  local name=$1 script=$2
  if [ -n "$script" ]; then
    wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$script" "$url" 2>&1 | summarize "$name"
  else
    wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url/healthz" 2>&1 | summarize "$name"
  fi
}

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, store $store${webhooks:+, webhooks on}, wrk -t$threads -c$connections -d$duration, server threads: ${server_threads:-default}, $users users"
if [ -n "${warmup:-}" ]; then
  wrk -t"$threads" -c"$connections" -d"${warmup}s" -s bench/heartbeat.lua "$url" >/dev/null 2>&1
  sleep 1  # the webhook sink finishes the joins' deliveries
fi
for round in $(seq 1 "$repeat"); do
  [ "$repeat" -gt 1 ] && echo "## round $round"
  run healthz ""
  run heartbeat bench/heartbeat.lua
  run viewers bench/viewers.lua
  run mix bench/mix.lua
done
