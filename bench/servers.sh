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

# bench_token USER NAME: a token for USER of tenant 1, signed with the bench secret.
bench_token() { "$bin" token --jwt-secret "$bench_secret" --user "$1" --name "$2" --tenant 1; }

# fill_redis_room PORT TABS RATE LEAD_S: record flow/room (key $room_key) on the Redis at
# $redis_port becomes TABS tabs, each its own user, in presenced's own entries (one real
# heartbeat to the node at PORT gives one): tab i expires LEAD_S + i/RATE seconds from now
# (RATE 0: all at LEAD_S; bench/fill_room.py).
room_key='tenant_1_record_presence:flow:room'
fill_redis_room() {
  curl -sf -X POST -H "Authorization: Bearer $(bench_token 1 Seed)" -H 'Content-Type: application/json' \
    -d '{"tab_id":"seed","mode":"view","dirty":false}' "http://127.0.0.1:$1/api/v1/presence/flow/room/heartbeat" >/dev/null
  local template
  template=$(redis-cli -p "$redis_port" HGET "$room_key" seed)
  redis-cli -p "$redis_port" DEL "$room_key" >/dev/null
  bench/fill_room.py "$room_key" "$template" "$2" "$3" "$4" 90 > "$work/fill.resp"
  redis-cli -p "$redis_port" --pipe < "$work/fill.resp" >/dev/null
}
