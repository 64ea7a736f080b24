#!/usr/bin/env bash
# Bulk-send benchmark: twowayd (durable store, one transceiver bind, window 100) bound to the
# SMSC simulator on loopback. Imports N subscribers with `twowayctl consent-import`, then sends
# one campaign text to all of them with `twowayctl send --kind campaign --to-file`, and prints
# consent rows imported per second, recipients queued per second (the command's own time) and
# submit_sm acknowledged per second (from the start of the send until the last submit_sm_resp).
#
#   scripts/bench-bulk.sh [--recipients N] [--window N] [--no-receipts]
# (--no-receipts: the simulator sends no delivery receipts, so only the sending side is measured)
#   TWOWAY_BIN=other/build scripts/bench-bulk.sh    # the binaries of another build
set -euo pipefail
cd "$(dirname "$0")/.."
recipients=20000 window=100 receipts=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-receipts) receipts=(--no-dlr); shift ;;
    --recipients) recipients=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    *) echo "usage: $0 [--recipients N] [--window N] [--no-receipts]" >&2; exit 2 ;;
  esac
done

bin=${TWOWAY_BIN:-build/release}
if [ -z "${TWOWAY_BIN:-}" ]; then
  bash scripts/install-deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)" --target twowayd twowayctl twoway-smsc-sim >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/twoway-bench-bulk.XXXXXX")
sim_pid='' daemon_pid=''
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/tools/twoway-smsc-sim" --port 0 --port-file "$work/sim.port" \
  --system-id twoway --password bench --to 15550001111 --mo 0 --window "$window" ${receipts[@]+"${receipts[@]}"} \
  --max-seconds 3600 --json-out "$work/report.json" >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do [ -s "$work/sim.port" ] && break; sleep 0.05; done
[ -s "$work/sim.port" ] || { echo "the simulator did not start" >&2; cat "$work/sim.log" >&2; exit 1; }

cat >"$work/twoway.yaml" <<YAML
organization:
  name: Bench Shop
  prefix: Bench
  support_email: help@bench.example
smscs:
  - name: sim
    host: 127.0.0.1
    port: $(cat "$work/sim.port")
    system_id: twoway
    password: bench
    window: $window
numbers:
  - number: "+15550001111"
    smsc: sim
default_region: US
storage:
  path: $work/state
admin:
  socket: $work/admin.sock
conversations:
  quiet_hours:
    enabled: false
logging:
  level: warn
YAML
"$bin/daemon/twowayd" --config "$work/twoway.yaml" --foreground >"$work/twowayd.log" 2>&1 &
daemon_pid=$!
ctl() { "$bin/tools/twowayctl" --socket "$work/admin.sock" "$@"; }
for _ in $(seq 200); do ctl status >/dev/null 2>&1 && break; sleep 0.05; done

python3 - "$recipients" "$work" <<'PY'
import sys
n, work = int(sys.argv[1]), sys.argv[2]
with open(f"{work}/consent.csv", "w") as f, open(f"{work}/list.txt", "w") as g:
    for i in range(n):
        number = f"+1650{2000000 + i:07d}"
        f.write(f"{number},subscribed\n")
        g.write(number + "\n")
PY

now() { date +%s.%N; }
submitted() {
  ctl metrics | awk '$1 == "twoway_outbound_submitted_total" { s += $2 } END { print s + 0 }'
}
t0=$(now)
ctl --json consent-import "$work/consent.csv" >"$work/import.json"
t1=$(now)
base=$(submitted)
t2=$(now)
ctl --json send --kind campaign --to-file "$work/list.txt" "Bench: spring sale, 20% off today" \
  >"$work/send.json"
t3=$(now)
for _ in $(seq 36000); do
  [ "$(( $(submitted) - base ))" -ge "$recipients" ] && break
  sleep 0.1
done
t4=$(now)
done_count=$(( $(submitted) - base ))
ctl metrics >"$work/metrics.txt"
# twowayd's CPU time (user + system, clock ticks) over the whole run.
cpu_ticks=$(awk '{ print $14 + $15 }' "/proc/$daemon_pid/stat")

python3 - "$work" "$recipients" "$window" "$t0" "$t1" "$t2" "$t3" "$t4" "$done_count" \
  "$cpu_ticks" "$(getconf CLK_TCK)" "${receipts[*]-}" <<'PY'
import json, re, sys
work, n, window = sys.argv[1], int(sys.argv[2]), sys.argv[3]
t0, t1, t2, t3, t4 = map(float, sys.argv[4:9])
done = int(sys.argv[9])
imp = json.loads(open(f"{work}/import.json").read().splitlines()[-1])
snd = json.loads(open(f"{work}/send.json").read().splitlines()[-1])
print(f"{n} recipients, one transceiver bind, window {window}, durable store"
      + (", no receipts" if sys.argv[12] else ""))
print(f"consent-import: {imp.get('changed')} changed in {t1 - t0:.2f} s: {n / (t1 - t0):,.0f} rows/s")
print(f"send --to-file: {snd.get('queued')} queued, {snd.get('held')} held, "
      f"{snd.get('refused')} refused in {t3 - t2:.2f} s: {snd.get('queued', 0) / (t3 - t2):,.0f} queued/s")
print(f"submit_sm acknowledged: {done} in {t4 - t2:.2f} s from the start of the send: "
      f"{done / (t4 - t2):,.0f} submit_sm/s")
text = open(f"{work}/metrics.txt").read()
def value(name):
    m = re.search(r"^" + re.escape(name) + r" ([0-9.e+]+)$", text, re.M)
    return float(m.group(1)) if m else None
commits, items = value("twoway_commit_batch_size_count"), value("twoway_commit_batch_size_sum")
cpu = value("twoway_engine_writer_cpu_seconds_total")
if commits:
    print(f"engine: {commits:,.0f} commits, {items / commits:.1f} items each on average, "
          f"writer CPU {cpu:.2f} s; twowayd CPU {int(sys.argv[10]) / int(sys.argv[11]):.2f} s "
          f"over the whole run (import, send, submit, receipts)")
PY
