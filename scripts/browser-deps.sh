#!/usr/bin/env bash
# What the browser tests need: Debian's Chromium and the pinned playwright-core
# (e2e/package-lock.json). Called by .ci/run; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || true
  apt-get install -y -qq chromium fonts-noto-core >/dev/null
fi
command -v chromium >/dev/null 2>&1 || { echo "FAIL: chromium is not installed" >&2; exit 1; }
if ! command -v node >/dev/null 2>&1; then
  apt-get install -y -qq nodejs npm >/dev/null
fi
npm ci --prefix e2e --no-audit --no-fund --silent
