#!/usr/bin/env bash
# Fails when a layer of src/ includes a header of a layer above it (CMakeLists.txt states
# the layers; the layer_check_* links catch calls, this catches includes, inline code and
# types included). Each line: a layer, then the layers it may include.
set -euo pipefail
cd "$(dirname "$0")/.."
allowed=(
  "presence: presence"
  "metrics: metrics"
  "runtime: runtime metrics"
  "store: store presence metrics runtime"
  "auth: auth presence metrics runtime"
  "service: service store presence metrics runtime"
  "fanout: fanout service store presence metrics runtime"
  "http: http service auth store presence metrics runtime"
  "websocket: websocket http service store presence metrics runtime"
  "realtime: realtime websocket fanout http service auth store presence metrics runtime"
  "pusher: pusher websocket fanout http service auth store presence metrics runtime"
  "webhook: webhook store presence metrics runtime"
  "app: app realtime pusher websocket fanout http webhook service auth store presence metrics runtime"
)
bad=0
for rule in "${allowed[@]}"; do
  layer=${rule%%:*}
  may=" ${rule#*:} "
  while IFS= read -r line; do
    file=${line%%:*}
    included=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$line")
    if [[ "$may" != *" $included "* ]]; then
      echo "layering: $file includes $included/ (a $layer file may include only:$may)"
      bad=1
    fi
  done < <(grep -rHE '^#include "[a-z_]+/' "src/$layer" || true)
done
layers=$(printf '%s\n' "${allowed[@]}" | cut -d: -f1 | sort | tr '\n' ' ')
for dir in src/*/; do
  name=$(basename "$dir")
  [[ " $layers " == *" $name "* ]] || { echo "layering: src/$name is in no layer (add it to tests/layering.sh and CMakeLists.txt)"; bad=1; }
done
[ "$bad" -eq 0 ] && echo "layering: every include points down"
exit "$bad"
