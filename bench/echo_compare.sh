#!/usr/bin/env bash
# presenced's Pusher endpoint beside laravel-echo-server (npm 1.6.3, the socket.io server
# Laravel Echo's "socket.io" broadcaster talks to), on the same machine, in one run: the
# time from a triggered event to the last of N subscribers of one public channel, twice:
# with build/bench/pusher_fanout's epoll reader (--socketio 1 for laravel-echo-server),
# whose cost is the least, and with one Node process of `ws` / socket.io-client 2 sockets
# (bench/echo_compare.mjs), as a page's library would read them. Soketi and Reverb do not
# install here (Soketi's uWebSockets.js is a GitHub dependency, not an npm package; Reverb
# is a Composer package, and Packagist is not a registry these machines reach).
#
#   bench/echo_compare.sh [SUBSCRIBERS...]     default: 1000 10000
# laravel-echo-server and socket.io-client 2 are installed from npm into build/bench-echo.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/presenced
[ -x "$bin" ] && [ -x build/bench/pusher_fanout ] || { echo "build first: make build" >&2; exit 1; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
modules=build/bench-echo
if [ ! -d "$modules/node_modules/laravel-echo-server" ]; then
  mkdir -p "$modules"
  npm install --prefix "$modules" --no-save --no-audit --no-fund laravel-echo-server@1.6.3 socket.io-client@2.5.0 >/dev/null
fi
export ECHO_MODULES=$PWD/$modules/node_modules
ulimit -n "$(ulimit -Hn)"

. bench/servers.sh
start_redis  # laravel-echo-server keeps presence members in Redis even when nothing uses them
echo_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/laravel-echo-server.json" <<JSON
{"authHost": "http://127.0.0.1", "authEndpoint": "/broadcasting/auth",
 "clients": [{"appId": "bench", "key": "bench-key"}],
 "database": "redis", "databaseConfig": {"redis": {"port": "$redis_port", "host": "127.0.0.1"}, "sqlite": {}},
 "devMode": false, "host": "127.0.0.1", "port": "$echo_port", "protocol": "http",
 "socketio": {"pingInterval": 600000, "pingTimeout": 600000},
 "sslCertPath": "", "sslKeyPath": "", "sslCertChainPath": "", "sslPassphrase": "",
 "subscribers": {"http": true, "redis": false}, "apiOriginAllow": {"allowCors": false}}
JSON

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, node $(node --version), laravel-echo-server 1.6.3"
for n in "${sizes[@]}"; do
  start_server "$work/server.log" --pusher-app bench:bench-key:bench-secret-0123
  echo "## $n subscribers, presenced, epoll reader"
  build/bench/pusher_fanout latency --port "$port" --subscribers "$n" --trials 50 || echo "presenced: failed at $n"
  echo "## $n subscribers, presenced, Node client"
  node bench/echo_compare.mjs presenced "$port" "$n" || echo "presenced: failed at $n"
  stop_server
  (cd "$work" && exec node "$ECHO_MODULES/laravel-echo-server/bin/server.js" start --config=laravel-echo-server.json \
     > "$work/echo.log" 2>&1) &
  other_pid=$!
  for _ in $(seq 1 100); do curl -s "http://127.0.0.1:$echo_port/" >/dev/null 2>&1 && break; sleep 0.1; done
  echo "## $n subscribers, laravel-echo-server, epoll reader"
  timeout 600 build/bench/pusher_fanout latency --socketio 1 --port "$echo_port" --subscribers "$n" --trials 50 \
    || echo "laravel-echo-server: failed at $n"
  echo "## $n subscribers, laravel-echo-server, Node client"
  timeout 600 node bench/echo_compare.mjs echo-server "$echo_port" "$n" || echo "laravel-echo-server: failed at $n"
  kill "$other_pid" 2>/dev/null || true; wait "$other_pid" 2>/dev/null || true; other_pid=""
done
