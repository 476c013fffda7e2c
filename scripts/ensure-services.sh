#!/usr/bin/env bash
# Install what the scale-out tests start themselves: nginx (the load balancer) and
# redis-server (a Redis of their own to stop and start), when missing. They are only run by
# the tests, never as system services. Without root or apt the tests that need them skip
# outside CI and fail in CI.
set -euo pipefail
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "${missing[*]} missing and cannot be installed here (needs root and apt-get);" \
       "the scale-out tests will be skipped outside CI." >&2
  exit 0
fi
echo "Installing ${missing[*]} for the scale-out tests..."
export DEBIAN_FRONTEND=noninteractive
# Install without starting them as services (the tests run their own copies).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
