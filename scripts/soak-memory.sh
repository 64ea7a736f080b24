#!/usr/bin/env bash
# twowayd's own memory over a long run: the release twowayd (durable store, one transceiver
# bind, window 100, every MO answered by a keyword, the setup of bench-compare's (a)) against
# twoway-smsc-sim, with RssAnon (what the process holds, LMDB's mapped file pages aside),
# RssFile and the MO acknowledged so far printed every --every seconds.
#
#   scripts/soak-memory.sh                     # 1,000,000 MO from 10,000 numbers
#   scripts/soak-memory.sh --mo 10000000       # ten million (about 20 minutes here)
#   scripts/soak-memory.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."
mo=1000000
senders=10000
every=30
map_size=$((16 << 30))
while [ $# -gt 0 ]; do
  case "$1" in
    --mo) mo=$2; shift 2 ;;
    --senders) senders=$2; shift 2 ;;
    --every) every=$2; shift 2 ;;
    --map-size) map_size=$2; shift 2 ;;
    -h | --help)
      sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
      echo "options: --mo N (1000000), --senders N (10000), --every SECONDS (30), --map-size BYTES (16 GiB)"
      exit 0 ;;
    *) echo "soak-memory: unknown option $1 (--help)" >&2; exit 64 ;;
  esac
done
bin=${TWOWAY_BIN:-build/release}
if [ -z "${TWOWAY_BIN:-}" ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)" --target twowayd twoway-smsc-sim >/dev/null
fi
work=$(mktemp -d /tmp/twoway-soak-memory-XXXXXX)
echo HOURS >"$work/texts.txt"
"$bin/tools/twoway-smsc-sim" --port 0 --port-file "$work/sim.port" --system-id soak \
  --password soak --to 15550001111 --mo "$mo" --from-count "$senders" --from-prefix 1650 \
  --window 100 --texts "$work/texts.txt" --no-dlr --exit-when-done --expect-mt "$mo" \
  --settle-seconds 2 --max-seconds 86400 --json-out "$work/sim.json" >"$work/sim.log" 2>&1 &
sim=$!
for _ in $(seq 100); do [ -s "$work/sim.port" ] && break; sleep 0.1; done
cat >"$work/twoway.yaml" <<EOF
organization:
  name: Soak Shop
  support_email: help@soak.example
smscs:
  - name: sim
    host: 127.0.0.1
    port: $(cat "$work/sim.port")
    system_id: soak
    password: soak
    bind: transceiver
    window: 100
numbers:
  - number: "+15550001111"
    smsc: sim
default_region: US
storage:
  path: $work/state
  durability: durable
  map_size: $map_size
admin:
  socket: $work/admin.sock
  group: ""
logging:
  level: warn
conversations:
  auto_responder:
    mode: all
    message: "Soak Shop: thanks, we will answer soon."
  keywords:
    custom:
      - { word: HOURS, reply: "Soak Shop: open 9-5, Monday to Saturday.", action: none }
  quiet_hours:
    enabled: false
EOF
"$bin/daemon/twowayd" --config "$work/twoway.yaml" >"$work/twowayd.log" 2>&1 &
pid=$!
trap 'kill $sim $pid 2>/dev/null || true' EXIT
echo "work folder $work, twowayd pid $pid; every ${every} s: time, MO acknowledged, RssAnon, RssFile (MiB)"
python3 - "$work/admin.sock" "$pid" "$sim" "$every" <<'EOF'
import json, os, socket, sys, time
sock, pid, sim, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
def acked():
    try:
        s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sock)
        s.sendall(b"status\n"); buf = b""
        while not buf.endswith(b"\n"):
            d = s.recv(65536)
            if not d: break
            buf += d
        s.close()
        return json.loads(buf)["smscs"][0]["binds"][0]["inbound_received"]
    except (OSError, ValueError, KeyError, IndexError):
        return "-"
def rss():
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, value = line.split(":", 1)
            if key in ("RssAnon", "RssFile"): out[key] = int(value.split()[0]) / 1024
    return out
def line(tag):
    r = rss()
    print(f"{tag} {acked()} {r.get('RssAnon', 0):.1f} {r.get('RssFile', 0):.1f}", flush=True)
while os.path.exists(f"/proc/{sim}") and os.path.exists(f"/proc/{pid}"):
    line(time.strftime("%H:%M:%S"))
    time.sleep(every)
if os.path.exists(f"/proc/{pid}"):
    line("end")
EOF
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
python3 -c 'import json,sys; print("simulator: MO acknowledged", json.load(open(sys.argv[1]))["mo"]["acked"])' "$work/sim.json"
