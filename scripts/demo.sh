#!/usr/bin/env bash
# The README's run command: builds twowayd and the bundled SMSC simulator, then runs the
# gateway in the foreground against the simulator on loopback, with its state and admin socket
# under .demo/. The simulator sends a short mix of customer texts. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target twowayd twoway-smsc-sim twowayctl

bin="$root/build/release"
demo="$root/.demo"
mkdir -p "$demo"
rm -f "$demo/sim.port"

# The simulator: 24 texts from 6 customers, two a second, receipts for every reply.
"$bin/tools/twoway-smsc-sim" --port 0 --port-file "$demo/sim.port" \
  --system-id twoway --password demo --to 15550001111 \
  --mo 24 --from-count 6 --from-prefix 1650 --rate 2 --max-seconds 86400 \
  >"$demo/sim.log" 2>&1 &
sim_pid=$!
trap 'kill $sim_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$demo/sim.port" ] && break; sleep 0.1; done
port=$(cat "$demo/sim.port")

cat >"$demo/twoway.yaml" <<YAML
# Demo configuration written by scripts/demo.sh: the bundled simulator on loopback.
organization:
  name: Demo Shop
  prefix: DemoShop
  support_email: help@demoshop.example
smscs:
  - name: sim
    host: 127.0.0.1
    port: $port
    system_id: twoway
    password: demo
    window: 10
numbers:
  - number: "+15550001111"
    smsc: sim
default_region: US
storage:
  path: $demo/state
admin:
  socket: $demo/admin.sock
conversations:
  auto_responder:
    mode: non_consented
    message: "{{organization.prefix}}: thanks for your message! Reply START to subscribe."
YAML

ctl="$bin/tools/twowayctl --socket $demo/admin.sock"
cat <<TXT

twowayd is starting against the SMSC simulator on 127.0.0.1:$port (state in .demo/).
In another terminal, try:

  $ctl status
  $ctl inbox
  $ctl thread +16500000000
  $ctl reply +16500000000 "Thanks, we are on it!"
  $ctl stats
  $ctl watch

or the raw protocol:  echo inbox | socat - UNIX-CONNECT:$demo/admin.sock
Press Ctrl-C to stop.

TXT
"$bin/daemon/twowayd" --config "$demo/twoway.yaml" --foreground &
daemon_pid=$!
# Ctrl-C (or a TERM to this script) stops twowayd gracefully, then the simulator.
trap 'kill -INT $daemon_pid 2>/dev/null || true' INT TERM
status=0
wait $daemon_pid || status=$?
if kill -0 $daemon_pid 2>/dev/null; then wait $daemon_pid || status=$?; fi
exit $status
