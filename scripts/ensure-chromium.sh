#!/usr/bin/env bash
# Install Debian's chromium (and CJK fonts for Chinese text) for the browser tests when missing.
# Without root or apt the tests that need it skip outside CI and fail in CI.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x "${CHATAPP_CHROMIUM:-/usr/bin/chromium}" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing and cannot be installed here (needs root and apt-get);" \
       "browser tests will be skipped outside CI." >&2
  exit 0
fi
echo "Installing Debian's chromium for the browser tests..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
