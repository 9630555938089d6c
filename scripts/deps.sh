#!/usr/bin/env bash
# Installs every build, test and benchmark dependency from Debian's packages.
# Idempotent and quick when everything is present: apt-get runs only for what is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libspdlog-dev libfmt-dev libcli11-dev libgtest-dev libgmock-dev
  libhiredis-dev redis-server redis-tools wrk curl ca-certificates faketime openssl
  clang-14 libclang-rt-14-dev chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm may come from elsewhere than Debian (NodeSource packs npm into nodejs):
# only what is missing as a command is asked of apt.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "deps: installing ${missing[*]}"
# Another apt process may hold the dpkg lock for a while: wait for it instead of failing.
for attempt in 1 2 3 4 5 6; do
  if $sudo apt-get update -qq && \
     DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    exit 0
  fi
  echo "deps: apt-get failed (attempt $attempt), retrying in 10 s" >&2
  sleep 10
done
exit 1
