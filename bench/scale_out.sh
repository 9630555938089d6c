#!/usr/bin/env bash
# Scale-out on this machine: two presenced nodes behind no balancer (wrk drives each),
# first on one redis-server, then on a Redis Cluster of three masters and three replicas.
# For each: the 80/20 mix's throughput (both nodes together), the CPU each process spent
# per request (the per-core costs docs/benchmarks.md projects from), and the time a
# change made on one node takes to reach a WebSocket subscriber on the other.
#
#   bench/scale_out.sh [--duration 10s] [--connections 32] [--subscribers 100] [--trials 50]
#
# Everything shares the machine's cores (two here): the figures say what the cluster
# costs, not how far it scales; the projection in docs/benchmarks.md does the latter.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10s connections=32 subscribers=100 trials=50 users=200
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --subscribers) subscribers=$2; shift 2 ;;
    --trials) trials=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

bin=build/presenced fanout=build/bench/fanout
[ -x "$bin" ] && [ -x "$fanout" ] || { echo "build first: make build" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: make deps" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# CPU seconds (user + system) a process has used so far.
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }

secret=bench-secret-for-local-loopback-runs-only
for i in $(seq 1 "$users"); do
  "$bin" token --jwt-secret "$secret" --user "$((1000 + i))" --name "User $i" --tenant 1 --ttl 86400
done > "$work/tokens"
subscriber_token=$("$bin" token --jwt-secret "$secret" --user 1 --name Watcher --tenant 1 --ttl 86400)
trigger_token=$("$bin" token --jwt-secret "$secret" --user 2 --name Changer --tenant 1 --ttl 86400)
export PRESENCED_BENCH_TOKENS="$work/tokens" PRESENCED_BENCH_DIR="$PWD/bench"

start_redis() {  # port [extra args...]: a redis-server in its own directory
  local port=$1; shift
  mkdir -p "$work/redis-$port"
  (cd "$work/redis-$port" && exec redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
     --loglevel warning --logfile redis.log "$@") &
  pids+=($!)
  redis_pids+=($!)
  for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
}

start_node() {  # store-url -> sets node_port, node_pid
  local log="$work/node-$RANDOM.log"
  "$bin" --jwt-secret "$secret" --listen 127.0.0.1:0 --rate-limit 0 --max-user-tabs 0 --log-level warn --threads 1 \
    --store "$1" > "$log" 2>&1 &
  node_pid=$!
  pids+=($node_pid)
  for _ in $(seq 1 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
  node_port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$log" | sed 's/.*://')
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$node_port/readyz" >/dev/null && break; sleep 0.1; done
}

measure() {  # label store-url
  local label=$1 url=$2
  start_node "$url"; local a_port=$node_port a_pid=$node_pid
  start_node "$url"; local b_port=$node_port b_pid=$node_pid
  local procs=("$a_pid" "$b_pid" "${redis_pids[@]}") before=() after=()
  for p in "${procs[@]}"; do before+=("$(cpu_of "$p")"); done
  wrk -t1 -c"$connections" -d"$duration" --latency -s bench/mix.lua "http://127.0.0.1:$a_port" > "$work/a.txt" 2>&1 &
  local wa=$!
  wrk -t1 -c"$connections" -d"$duration" --latency -s bench/mix.lua "http://127.0.0.1:$b_port" > "$work/b.txt" 2>&1
  wait $wa
  for p in "${procs[@]}"; do after+=("$(cpu_of "$p")"); done
  local requests
  requests=$(cat "$work/a.txt" "$work/b.txt" | awk '/requests in/ { n += $1 } END { print n }')
  local rps
  rps=$(cat "$work/a.txt" "$work/b.txt" | awk '/Requests\/sec/ { n += $2 } END { printf "%.0f", n }')
  local p99a p99b
  p99a=$(awk '/^ +99%/ { print $2 }' "$work/a.txt"); p99b=$(awk '/^ +99%/ { print $2 }' "$work/b.txt")
  # CPU seconds by role: the two nodes, Redis masters (the first three redis-servers:
  # redis-cli --cluster create makes the first nodes listed masters), replicas.
  local presenced_cpu=0 master_cpu=0 replica_cpu=0
  for i in "${!procs[@]}"; do
    local used
    used=$(awk -v a="${after[$i]}" -v b="${before[$i]}" 'BEGIN { print a - b }')
    if [ "$i" -lt 2 ]; then presenced_cpu=$(awk -v x="$presenced_cpu" -v y="$used" 'BEGIN { print x + y }')
    elif [ "$i" -lt 5 ]; then master_cpu=$(awk -v x="$master_cpu" -v y="$used" 'BEGIN { print x + y }')
    else replica_cpu=$(awk -v x="$replica_cpu" -v y="$used" 'BEGIN { print x + y }'); fi
  done
  grep -h "Non-2xx" "$work/a.txt" "$work/b.txt" || true
  per() { awk -v c="$1" -v n="$requests" 'BEGIN { printf "%.1f", c / n * 1e6 }'; }
  printf "%-14s mix %7s req/s (two nodes)   p99 %s / %s   CPU per request: presenced %s us, redis masters %s us, replicas %s us\n" \
    "$label" "$rps" "$p99a" "$p99b" "$(per "$presenced_cpu")" "$(per "$master_cpu")" "$(per "$replica_cpu")"
  printf "%-14s cross-node event, %s subscribers on one node, changes on the other: " "$label" "$subscribers"
  "$fanout" latency --port "$a_port" --trigger-port "$b_port" --token "$subscriber_token" \
    --trigger-token "$trigger_token" --subscribers "$subscribers" --trials "$trials" | tr '\n' ' '
  echo
  kill "$a_pid" "$b_pid"; wait "$a_pid" "$b_pid" 2>/dev/null || true
}

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, wrk -t1 -c$connections -d$duration per node, mix.lua, one server thread per node"

# One redis-server.
redis_pids=()
single=$(free_port)
start_redis "$single"
measure "one redis" "redis://127.0.0.1:$single"
for p in "${redis_pids[@]}"; do kill "$p"; done

# Three masters, three replicas.
redis_pids=()
nodes=()
for _ in 1 2 3 4 5 6; do
  port=$(free_port) bus=$(free_port)
  start_redis "$port" --cluster-enabled yes --cluster-config-file nodes.conf --cluster-port "$bus" \
    --cluster-node-timeout 2000 --repl-diskless-sync-delay 0
  nodes+=("127.0.0.1:$port")
done
redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes > "$work/create.log"
for _ in $(seq 1 100); do
  ok=0
  for n in "${nodes[@]}"; do
    redis-cli -p "${n#*:}" cluster info | grep -q "cluster_state:ok" && ok=$((ok + 1))
  done
  [ "$ok" -eq 6 ] && break
  sleep 0.2
done
measure "cluster 3+3" "redis-cluster://${nodes[0]},${nodes[1]}"
