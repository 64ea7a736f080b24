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
demo="${TWOWAY_DEMO_DIR:-$root/.demo}"  # tests run the demo in a directory of their own
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
  quiet_hours:
    enabled: false                # the demo's replies go at any hour of the customers' day
  auto_responder:
    mode: non_consented
    message: "{{organization.prefix}}: thanks for your message! Reply START to subscribe."
YAML

ctl="$bin/tools/twowayctl --socket $demo/admin.sock"
cat <<TXT

twowayd is starting against the SMSC simulator on 127.0.0.1:$port (state in $demo); the
simulator's customers (+16500000001 to +16500000006) text in over the next seconds.
Press Ctrl-C to stop.

TXT
"$bin/daemon/twowayd" --config "$demo/twoway.yaml" --foreground &
daemon_pid=$!
# Ctrl-C (or a TERM to this script) stops twowayd gracefully, then the simulator; so does an
# early exit of this script.
trap 'kill -INT $daemon_pid 2>/dev/null || true' INT TERM
trap 'kill -INT $daemon_pid 2>/dev/null || true; kill $sim_pid 2>/dev/null || true' EXIT

# Suggestions on the demo's own data: once the simulator's texts are in (no new one for two
# seconds; at most a minute), a customer who is subscribed (a reply goes out) and one who is not
# (the reply is refused).
suggest() {
  local count last="" steady=0 picked=""
  for _ in $(seq 600); do
    kill -0 "$daemon_pid" 2>/dev/null || return 0
    count=$($ctl metrics 2>/dev/null | awk '$1 == "twoway_inbound_messages_total" { print $2 }') ||
      count=""  # not listening yet
    if [ -n "$count" ] && [ "$count" != 0 ] && [ "$count" = "$last" ]; then
      steady=$((steady + 1))
    else
      steady=0
    fi
    last=$count
    if [ "$steady" -ge 20 ]; then
      picked=$($ctl --json inbox --limit 50 2>/dev/null | /usr/bin/python3 -c '
import json, sys
conversations = json.load(sys.stdin).get("conversations", [])
subscribed = [c["number"] for c in conversations if c.get("consent") == "subscribed"]
other = [(c["number"], c.get("consent") or "none") for c in conversations
         if c.get("consent") != "subscribed"]
if subscribed and other:
    print(subscribed[0], other[0][0], other[0][1])
' 2>/dev/null) || picked=""
      [ -n "$picked" ] && break
    fi
    sleep 0.1
  done
  [ -n "${picked:-}" ] || { echo "(the simulator's texts did not arrive: see $demo/sim.log)"; return 0; }
  read -r subscriber other other_consent <<<"$picked"
  cat <<TXT

The customers' texts are in. In another terminal, try:

  $ctl status
  $ctl inbox
  $ctl thread $subscriber
  $ctl reply $subscriber "Thanks, we are on it!"
      ($subscriber is subscribed: the reply goes out; \`thread\` shows it and its receipt)
  $ctl reply $other "Hello?"
      (refused with the reason: $other's consent is "$other_consent"; replies go to subscribers only)
  $ctl stats
  $ctl watch

or the raw protocol:  echo inbox | socat - UNIX-CONNECT:$demo/admin.sock
Press Ctrl-C to stop.

TXT
}
suggest

status=0
wait $daemon_pid || status=$?
if kill -0 $daemon_pid 2>/dev/null; then wait $daemon_pid || status=$?; fi
exit $status
