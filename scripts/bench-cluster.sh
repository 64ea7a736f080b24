#!/usr/bin/env bash
# Cluster benchmark: MO acknowledged end to end by 1, 2 and 3 twowayd nodes (durable stores)
# sharing one nats-server with JetStream, each node with its own transceiver bind (window
# 100) to the SMSC simulator, which spreads MO over the binds; and, for the cost of the
# JetStream round trip, one node without a cluster in the same run. All on this machine's
# loopback, so a floor, not a ceiling: every process shares the same two cores.
#
#   scripts/bench-cluster.sh [--mo N] [--senders N] [--nodes "0 1 2 3"]
#   (0 = a single node without a cluster)
#   TWOWAY_BIN=other/build scripts/bench-cluster.sh    # the binaries of another build
set -euo pipefail
cd "$(dirname "$0")/.."
mo=100000 senders=10000 node_counts="0 1 2 3"
while [ $# -gt 0 ]; do
  case "$1" in
    --mo) mo=$2; shift 2 ;;
    --senders) senders=$2; shift 2 ;;
    --nodes) node_counts=$2; shift 2 ;;
    *) echo "usage: $0 [--mo N] [--senders N] [--nodes \"0 1 2 3\"]" >&2; exit 2 ;;
  esac
done

bin=${TWOWAY_BIN:-build/release}
if [ -z "${TWOWAY_BIN:-}" ]; then
  bash scripts/install-deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)" --target twowayd twoway-smsc-sim >/dev/null
fi
nats_server=$(command -v nats-server || echo /usr/sbin/nats-server)

work=$(mktemp -d "${TMPDIR:-/tmp}/twoway-cluster-bench.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The time staff wait for one change (`consent NUMBER unsubscribed`, 200 numbers asked in
# turn on the first node's admin socket): straight into the store on a single node; in a
# cluster published to the customer's partition, applied by its owner from the log, and
# forwarded when that owner is another node. Prints "p50 p99" in milliseconds.
staff_latency() {
  python3 - "$1" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb")
times = []
for i in range(200):
    t0 = time.perf_counter()
    f.write(f"consent +1650999{i:04d} unsubscribed --source admin\n".encode())
    f.flush()
    answer = json.loads(f.readline())
    times.append((time.perf_counter() - t0) * 1000)
    if not answer.get("ok"):
        sys.exit(f"staff change refused: {answer}")
times.sort()
print(f"{times[len(times) // 2]:.1f} {times[int(len(times) * 0.99)]:.1f}")
PY
}

# One run: $1 nodes (0: one node, no cluster). Prints a table row.
run() {
  local nodes=$1 dir="$work/run$1" n
  mkdir -p "$dir"
  local nats_port=''
  pids=()
  if [ "$nodes" -gt 0 ]; then
    nats_port=$(free_port)
    "$nats_server" -js -a 127.0.0.1 -p "$nats_port" -sd "$dir/nats" >"$dir/nats.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
      python3 -c "import socket; socket.create_connection(('127.0.0.1',$nats_port),1)" 2>/dev/null && break
      sleep 0.05
    done
  fi
  "$bin/tools/twoway-smsc-sim" --port 0 --port-file "$dir/sim.port" \
    --system-id twoway --password bench --to 15550001111 \
    --mo "$mo" --from-count "$senders" --from-prefix 1650 --rate 0 --window 100 \
    --exit-when-done --max-seconds 600 --json-out "$dir/report.json" >"$dir/sim.log" 2>&1 &
  local sim_pid=$!
  for _ in $(seq 100); do [ -s "$dir/sim.port" ] && break; sleep 0.05; done
  local count=$((nodes > 0 ? nodes : 1)) daemons=()
  for n in $(seq "$count"); do
    mkdir -p "$dir/n$n"
    {
      cat <<YAML
organization:
  name: Bench Shop
  prefix: Bench
  support_email: help@bench.example
smscs:
  - name: sim
    host: 127.0.0.1
    port: $(cat "$dir/sim.port")
    system_id: twoway
    password: bench
    window: 100
numbers:
  - number: "+15550001111"
    smsc: sim
default_region: US
storage:
  path: $dir/n$n/state
admin:
  socket: $dir/n$n/admin.sock
logging:
  level: warn
YAML
      if [ "$nodes" -gt 0 ]; then
        cat <<YAML
cluster:
  nats: ["nats://127.0.0.1:$nats_port"]
  node: n$n
  partitions: 64
  replicas: 1
YAML
      fi
    } >"$dir/n$n/twoway.yaml"
    "$bin/daemon/twowayd" --config "$dir/n$n/twoway.yaml" --foreground >"$dir/n$n/log" 2>&1 &
    daemons+=($!)
    pids+=($!)
  done
  wait "$sim_pid" || true
  local cpu=0 p
  for p in "${daemons[@]}"; do
    # utime + stime of the daemon, in seconds.
    cpu=$(python3 -c "import os; f=open('/proc/$p/stat').read().rsplit(')',1)[1].split(); print($cpu + (int(f[11])+int(f[12]))/os.sysconf('SC_CLK_TCK'))")
  done
  local staff
  staff=$(staff_latency "$dir/n1/admin.sock")
  # The nodes stop first (they hand their partitions over through NATS), then the server.
  for p in "${daemons[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${daemons[@]}"; do wait "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  python3 - "$dir/report.json" "$nodes" "$cpu" $staff <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["mo"]
staff_p50, staff_p99 = sys.argv[4], sys.argv[5]
seconds = r["pdus_acked"] / r["acked_per_s"] if r["acked_per_s"] else 0
rate = r["acked"] / seconds if seconds else 0
cpu = float(sys.argv[3])
label = "1 node, no cluster" if sys.argv[2] == "0" else f"{sys.argv[2]} node(s), JetStream"
print(f"| {label} | {r['acked']} of {r['messages']} | {rate:,.0f} | "
      f"{cpu / r['acked'] * 1e6 if r['acked'] else 0:,.0f} | {staff_p50} / {staff_p99} |")
PY
}

echo "$mo MO from $senders numbers, simulator window 100 per bind, $(nproc) cores, $(date -u +%F)"
echo
echo "| twowayd | MO acknowledged | MO/s | daemon CPU µs per MO | staff change p50 / p99 ms |"
echo "|---|---|---|---|---|"
for n in $node_counts; do run "$n"; done
