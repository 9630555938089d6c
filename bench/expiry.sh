#!/usr/bin/env bash
# What an expiry costs Redis (issue #24): a room of TABS tabs (default 10,000, each its
# own user) watched by two nodes, a subscriber on each, while RATE tabs a second (default
# 100) stop renewing and expire, measured over WINDOW seconds (default 30; the nodes'
# reads of the whole room a third of the TTL apart, for the host app's tabs, fall inside
# it as they would in production). Prints, per expiry:
#   - Redis commands: EVALSHA calls and the commands the scripts ran (INFO commandstats),
#   - bytes Redis sent (INFO stats total_net_output_bytes: script replies and pub/sub,
#     what the nodes read).
#
#   bench/expiry.sh
#   BIN=/path/to/other/presenced bench/expiry.sh     another build, for a before and after
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-build/presenced} watch=build/bench/watch
[ -x "$bin" ] && [ -x "$watch" ] || { echo "build first: make build" >&2; exit 1; }
tabs=${TABS:-10000} rate=${RATE:-100} window=${WINDOW:-30} lead_s=20
. bench/servers.sh
cli() { redis-cli -p "$redis_port" "$@"; }

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, $bin: $tabs tabs, $rate expiring/s, ${window} s"
start_redis
start_server "$work/a.log" --store "redis://127.0.0.1:$redis_port"
other_pid=$server_pid node_a=$port
start_server "$work/b.log" --store "redis://127.0.0.1:$redis_port"
node_b=$port
# The room: tab i last seen so that it expires lead_s + i/RATE seconds from now.
fill_redis_room "$node_a" "$tabs" "$rate" "$lead_s"
filled=$(date +%s)

"$watch" --port "$node_a" --token "$(bench_token 2 WatcherA)" > "$work/watch_a" 2>&1 & watch_a=$!
"$watch" --port "$node_b" --token "$(bench_token 3 WatcherB)" > "$work/watch_b" 2>&1 & watch_b=$!
trap 'kill $watch_a $watch_b 2>/dev/null || true; cleanup' EXIT
sleep $(( lead_s + 2 - ($(date +%s) - filled) ))  # past the first expiries

stats() { cli INFO stats | tr -d '\r' | sed -n 's/^total_net_output_bytes://p'; }
cli CONFIG RESETSTAT >/dev/null
bytes0=$(stats) hlen0=$(cli HLEN "$room_key")
sleep "$window"
bytes1=$(stats) hlen1=$(cli HLEN "$room_key")
cli INFO commandstats | tr -d '\r' | grep -v 'config\|info' > "$work/commands"
expired=$(( hlen0 - hlen1 ))
left_a=$(awk '$1=="presence_diff"{s+=$2} END{print s+0}' "$work/watch_a")
left_b=$(awk '$1=="presence_diff"{s+=$2} END{print s+0}' "$work/watch_b")
echo "expired in the window: $expired (leaves heard so far: node A $left_a, node B $left_b)"
[ "$expired" -gt 0 ] || { echo "nothing expired" >&2; exit 1; }
awk -F'[:=,]' -v n="$expired" '/^cmdstat_/ { name=substr($1, 9); calls[name]=$3; total+=$3 }
  END { printf "commands per expiry: %.3f (", total/n
        sep=""; for (c in calls) { printf "%s%s %.3f", sep, c, calls[c]/n; sep=", " }; print ")" }' "$work/commands"
echo "bytes Redis sent per expiry: $(( (bytes1 - bytes0) / expired ))"
