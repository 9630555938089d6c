# Sourced by the WebSocket benchmarks: presenced and redis-server on free loopback ports,
# a scratch directory ($work), and everything stopped and removed on exit. Needs $bin
# (the presenced binary). other_pid: a second server the caller keeps.

work=$(mktemp -d)
server_pid="" other_pid="" redis_pid=""
cleanup() {
  for pid in $server_pid $other_pid $redis_pid; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

bench_secret=bench-secret-for-local-loopback-runs-only

# start_server LOG [FLAGS...]: a presenced with the rate and user limits off; sets
# server_pid and port.
start_server() {
  local log=$1
  shift
  "$bin" --jwt-secret "$bench_secret" --listen 127.0.0.1:0 --rate-limit 0 --max-user-tabs 0 --max-sockets-per-user 0 --log-level warn "$@" > "$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
  port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$log" | sed 's/.*://')
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

# start_redis: a redis-server without persistence; sets redis_pid and redis_port.
start_redis() {
  redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning > /dev/null &
  redis_pid=$!
  for _ in $(seq 1 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
}
stop_redis() { kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; redis_pid=""; }
