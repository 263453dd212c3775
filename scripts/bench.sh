#!/usr/bin/env bash
# Runs the redirect and events benchmarks (see BENCHMARKS.md), installing wrk, the load
# generator the redirect benchmark drives, when it is missing.
#
# Environment: VOUCH_BENCH_SECONDS, VOUCH_BENCH_ROUNDS (redirect), VOUCH_BENCH_EVENTS
# (events).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  # The package lists are often current enough; refresh them only when that fails.
  if ! $sudo apt-get install -y wrk; then
    $sudo apt-get update
    $sudo apt-get install -y wrk
  fi
fi

cargo bench -p vouch-server --bench redirect
cargo bench -p vouch-server --bench events
cargo bench -p vouch-server --bench import
