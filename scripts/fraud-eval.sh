#!/usr/bin/env bash
# The fraud rules, measured three ways (BENCHMARKS.md, "Fraud on traffic it did not
# write"): `vouch simulate-fraud` on its own month of traffic, then two files of
# traffic written from a brief that named only kinds of behaviour, by two authors who
# never saw the rules (eval/fraud/ and eval/fraud/holdout/). Each prints a table per
# case; a run below the bar (recall 90%, false positives 2%) says so and goes on.
set -uo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p vouch
mkdir -p target/fraud-eval
python3 eval/fraud/traffic.py --seed 7 > target/fraud-eval/traffic.json
python3 eval/fraud/holdout/traffic.py --seed 11 > target/fraud-eval/holdout.json
status=0
target/release/vouch simulate-fraud || status=1
target/release/vouch evaluate-fraud --traffic target/fraud-eval/traffic.json || status=1
target/release/vouch evaluate-fraud --traffic target/fraud-eval/holdout.json || status=1
exit $status
