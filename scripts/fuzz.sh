#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time.
# usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
seconds="${1:-60}"
cmake --preset fuzz >/dev/null
# Only the fuzz targets (and the SMPP library they link), not the whole tree.
targets=$(for f in fuzz/fuzz_*.cpp; do basename "$f" .cpp; done)
cmake --build --preset fuzz -j "$(nproc)" --target $targets
status=0
for target in build/fuzz/fuzz/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target")
  corpus="build/fuzz/corpus/$name"
  mkdir -p "$corpus"
  # Committed seeds (fuzz/corpus/NAME/) and a dictionary (fuzz/NAME.dict) where a target has them;
  # new inputs go to the build tree's corpus only.
  extra=()
  [ -f "fuzz/$name.dict" ] && extra+=(-dict="fuzz/$name.dict")
  seeds=()
  [ -d "fuzz/corpus/$name" ] && seeds+=("fuzz/corpus/$name")
  echo "fuzz: $name for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 -artifact_prefix="build/fuzz/$name-" \
      "${extra[@]}" "$corpus" "${seeds[@]}" 2>"build/fuzz/$name.log"; then
    echo "fuzz: $name FAILED (see build/fuzz/$name.log)"; tail -40 "build/fuzz/$name.log"; status=1
  else
    grep -E "stat::number_of_executed_units|Done" "build/fuzz/$name.log" | tail -2
  fi
done
exit $status
