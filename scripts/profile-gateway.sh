#!/usr/bin/env bash
# Where twowayd spends its time under one of bench-compare's workloads: runs
# `scripts/bench-compare.sh --only twoway --workloads W`, attaches `perf record` (DWARF call
# graphs) to the twowayd it starts once the load is on, and prints each thread's share of the
# samples and, for the busiest thread (the store's writer under every workload so far), the
# functions that hold the most samples, callees included.
#
#   scripts/profile-gateway.sh a            # workload (a), 200,000 MO from 10,000 numbers
#   scripts/profile-gateway.sh d 0.3 5      # a campaign to 300,000, perf from 5 s after start
#   scripts/profile-gateway.sh --help
#
# Arguments: WORKLOAD (a, b or d) [SCALE, default 1] [DELAY seconds before recording, default
# 4] [SECONDS recorded, default 8]. The perf data, the benchmark's report and its log stay in
# the printed folder. Needs perf (Debian's linux-perf, not installed by install-deps.sh).
# perf itself costs CPU: the throughput printed by a profiled run is below an unprofiled one.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  a | b | d) ;;
  -h | --help | *)
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    [ "${1:-}" = -h ] || [ "${1:-}" = --help ]
    exit
    ;;
esac
workload=$1
scale=${2:-1}
delay=${3:-4}
seconds=${4:-8}
command -v perf >/dev/null || {
  echo "profile-gateway: perf is not installed (apt-get install linux-perf)" >&2
  exit 1
}
bin=${TWOWAY_BIN:-build/release}
if [ -z "${TWOWAY_BIN:-}" ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)" --target twowayd twowayctl twoway-smsc-sim >/dev/null
fi
if pgrep -x twowayd >/dev/null; then
  echo "profile-gateway: another twowayd is running; stop it first (perf follows one process)" >&2
  exit 1
fi
out=$(mktemp -d /tmp/twoway-profile-XXXXXX)
TWOWAY_BIN=$bin bash scripts/bench-compare.sh --only twoway --workloads "$workload" \
  --scale "$scale" --out "$out/bench.md" --plot "$out/bench.png" --json "$out/bench.json" \
  >"$out/bench.log" 2>&1 &
bench=$!
pid=
for _ in $(seq 1 600); do
  pid=$(pgrep -x twowayd | head -1 || true)
  [ -n "$pid" ] && break
  sleep 0.1
done
if [ -z "$pid" ]; then
  wait "$bench" || true
  echo "profile-gateway: twowayd did not start; see $out/bench.log" >&2
  exit 1
fi
sleep "$delay"
perf record -F 400 --call-graph dwarf,16384 -p "$pid" -o "$out/perf.data" -- sleep "$seconds" \
  >"$out/perf-record.log" 2>&1 || true
wait "$bench"
echo "== the run (profiled, so slower than bench-compare alone)"
grep '^| twowayd' "$out/bench.md" || true
echo
echo "== samples per thread (twowayd)"
perf report -i "$out/perf.data" --no-children --sort pid --stdio -g none 2>/dev/null |
  grep '%' | head -8
busiest=$(perf report -i "$out/perf.data" --no-children --sort pid --stdio -g none 2>/dev/null |
  grep '%' | head -1 | sed 's/.*% *\([0-9]*\):.*/\1/')
echo
echo "== the busiest thread ($busiest): functions by samples, callees included (share of all)"
perf report -i "$out/perf.data" --tid "$busiest" --children --sort symbol --stdio -g none \
  2>/dev/null | grep '%' | grep 'twoway::\|mdb_\|fdatasync\|futex\|malloc\|free' |
  grep -v '_M_invoke\|__invoke\|_Function_handler\|std::function' | head -25 | cut -c1-140
echo
echo "perf data, report and log: $out"
