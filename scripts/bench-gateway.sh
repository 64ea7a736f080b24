#!/usr/bin/env bash
# End-to-end benchmark: twowayd (durable store) bound to the SMSC simulator on loopback. The
# simulator pushes MO as fast as its window allows, from many numbers, in its built-in mix
# (plain and UCS-2 texts, STOP/HELP/START, long messages in parts, an MMS notification); the
# keyword answers go out as MT and come back as receipts. Prints MO messages and deliver_sm
# PDUs acknowledged per second and how the engine grouped the work into commits.
#
#   scripts/bench-gateway.sh [--mo N] [--senders N] [--window N] [--unanswered N]
#   TWOWAY_BIN=other/build scripts/bench-gateway.sh    # the binaries of another build
set -euo pipefail
cd "$(dirname "$0")/.."
mo=100000 senders=10000 window=200 unanswered=100
while [ $# -gt 0 ]; do
  case "$1" in
    --mo) mo=$2; shift 2 ;;
    --senders) senders=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --unanswered) unanswered=$2; shift 2 ;;
    *) echo "usage: $0 [--mo N] [--senders N] [--window N] [--unanswered N]" >&2; exit 2 ;;
  esac
done

# TWOWAY_BIN: the build folder of another build to measure (e.g. an earlier commit's).
bin=${TWOWAY_BIN:-build/release}
if [ -z "${TWOWAY_BIN:-}" ]; then
  bash scripts/install-deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)" --target twowayd twoway-smsc-sim >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/twoway-bench.XXXXXX")
sim_pid='' daemon_pid=''
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/tools/twoway-smsc-sim" --port 0 --port-file "$work/sim.port" \
  --system-id twoway --password bench --to 15550001111 \
  --mo "$mo" --from-count "$senders" --from-prefix 1650 --rate 0 --window "$window" \
  --exit-when-done --max-seconds 600 --json-out "$work/report.json" >"$work/sim.log" 2>&1 &
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
    window: 100
    max_unanswered_inbound: $unanswered
numbers:
  - number: "+15550001111"
    smsc: sim
default_region: US
storage:
  path: $work/state
admin:
  socket: $work/admin.sock
logging:
  level: warn
YAML
"$bin/daemon/twowayd" --config "$work/twoway.yaml" --foreground >"$work/twowayd.log" 2>&1 &
daemon_pid=$!

wait "$sim_pid" || true
sim_pid=''
metrics=$(python3 - "$work/admin.sock" <<'PY' || true
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"metrics\n")
data = b""
while not data.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(data.decode())
PY
)
kill -INT "$daemon_pid" 2>/dev/null || true
wait "$daemon_pid" || true
daemon_pid=''

python3 - "$work/report.json" "$metrics" "$mo" "$senders" "$window" "$unanswered" <<'PY'
import json, re, sys
report = json.load(open(sys.argv[1]))
mo = report["mo"]
print(f"{sys.argv[3]} MO from {sys.argv[4]} numbers, simulator window {sys.argv[5]}, "
      f"max_unanswered_inbound {sys.argv[6]}")
# The simulator's rate counts deliver_sm PDUs (parts too) from the bind to the last answer.
pdus = mo["pdus_acked"]
seconds = pdus / mo["acked_per_s"] if mo["acked_per_s"] else 0
print(f"MO messages acknowledged: {mo['acked']} of {mo['messages']} ({mo['failed']} failed, "
      f"{mo['redelivered']} redelivered), {pdus} deliver_sm in {seconds:.2f} s: "
      f"{mo['acked'] / seconds if seconds else 0:,.0f} messages/s, "
      f"{mo['acked_per_s']:,.0f} deliver_sm/s")
print(f"MT received by the simulator: {report['mt']['received']}, receipts acknowledged: "
      f"{report['dlr']['acked']}")
try:
    text = json.loads(sys.argv[2]).get("metrics", "")
except ValueError:
    text = ""
def value(name):
    m = re.search(r"^" + re.escape(name) + r" ([0-9.e+]+)$", text, re.M)
    return float(m.group(1)) if m else None
commits, items = value("twoway_commit_batch_size_count"), value("twoway_commit_batch_size_sum")
cpu = value("twoway_engine_writer_cpu_seconds_total")
if commits:
    print(f"engine: {commits:,.0f} commits, {items / commits:.1f} items each on average, "
          f"writer CPU {cpu:.2f} s")
PY
