#!/usr/bin/env bash
# Heartbeat throughput of the Redis store against the embedded store, measured in
# alternation (embedded, Redis, embedded, Redis, ...) so that both see the same machine,
# and the median of the per-round ratios.
#   bench/compare_stores.sh [ROUNDS] [DURATION]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5} duration=${2:-10s}
ratios=()
for round in $(seq 1 "$rounds"); do
  mem=$(bash bench/run.sh --store memory --duration "$duration" --server-threads 1 --threads 1 2>/dev/null | awk '/^heartbeat/ {print $2}')
  red=$(bash bench/run.sh --store redis --duration "$duration" --server-threads 1 --threads 1 2>/dev/null | awk '/^heartbeat/ {print $2}')
  ratio=$(echo "scale=3; $red / $mem" | bc)
  ratios+=("$ratio")
  echo "round $round: embedded $mem req/s, redis $red req/s, ratio $ratio"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print "median ratio " a[int((NR+1)/2)]}'
