#!/usr/bin/env bash
# Survival under kill -9 and SMSC faults, through the real twowayd (release build, durable
# store) and twoway-smsc-sim on loopback; the rounds, the checks and the figures are in
# scripts/soak.py. Exits non-zero on any loss, consent regression or duplicate over the bound.
#
#   scripts/soak.sh [--rounds N] [--mo N] [--rate R] [--window W] [--senders N] [--seed S]
#                   [--dup-bound N] [--keep-going] [--keep]
#   scripts/soak.sh --faults [--mo N] [--down-seconds S] [--kill-in-faults] [--seed S]
#   scripts/soak.sh --help                            # every flag
#   TWOWAY_BIN=other/build scripts/soak.sh            # the binaries of another build
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${TWOWAY_BIN:-build/release}
if [ -z "${TWOWAY_BIN:-}" ]; then
  bash scripts/install-deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)" --target twowayd twoway-smsc-sim >/dev/null
fi
exec python3 scripts/soak.py --bin "$bin" "$@"
