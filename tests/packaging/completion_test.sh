#!/usr/bin/env bash
# twowayctl's bash completion as a user at a shell gets it, against the real twowayd and
# twoway-smsc-sim on loopback (ephemeral port, temporary directory): the commands, their
# options and values, the numbers of the inbox and the SMSC names from the running daemon,
# and nothing (silently, at once) when the socket cannot be reached.
# usage: completion_test.sh TWOWAYD TWOWAYCTL TWOWAY_SMSC_SIM COMPLETION_FILE
set -euo pipefail
twowayd=$1
ctl=$2
sim=$3
completion=$4

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
failed=0
fail() {
  echo "FAIL: $*"
  failed=1
}

# Waits (bounded) until COMMAND succeeds; false if it never does within 30 s.
wait_until() {
  local deadline=$((SECONDS + 30))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# Three customers text the gateway once each; the simulator records who.
"$sim" --port 0 --port-file "$work/sim.port" --system-id twoway --password pw \
  --to 15550001111 --mo 3 --from-count 3 --from-prefix 1650 --texts <(printf 'Hello\n') \
  --records "$work/records" --max-seconds 120 >"$work/sim.log" 2>&1 &
pids+=($!)
wait_until test -s "$work/sim.port" || { echo "FAIL: the simulator did not start"; exit 1; }

cat >"$work/twoway.yaml" <<YAML
smscs:
  - name: sim
    host: 127.0.0.1
    port: $(cat "$work/sim.port")
    system_id: twoway
    password: pw
numbers:
  - number: "+15550001111"
    smsc: sim
storage:
  path: $work/state
  durability: relaxed
admin:
  socket: $work/admin.sock
  group: ""
YAML
"$twowayd" --config "$work/twoway.yaml" 2>"$work/twowayd.log" &
pids+=($!)

inbox_numbers() {
  "$ctl" --socket "$work/admin.sock" --json inbox 2>/dev/null | grep -o '"number":"[^"]*"' |
    cut -d'"' -f4 | sort
}
have_three() { [ "$(inbox_numbers | wc -l)" -eq 3 ]; }
if ! wait_until have_three; then
  cat "$work/twowayd.log"
  echo "FAIL: the three texts did not reach the inbox"
  exit 1
fi
# The customers as the simulator sent them (E.164 in the inbox).
expected=$(grep -o '"from":"[0-9]*"' "$work/records" | cut -d'"' -f4 | sed 's/^/+/' | sort -u)
[ "$(wc -l <<<"$expected")" -eq 3 ] || fail "the simulator did not record three senders: $expected"
[ "$(inbox_numbers)" = "$expected" ] || fail "the inbox is not the simulator's senders"

# complete WORD...: what TAB offers with the cursor on the last word, one per line, sorted.
complete_words() {
  bash -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _twowayctl
    printf "%s\n" "${COMPREPLY[@]}" | sed "/^$/d" | sort' _ "$completion" "$@" 2>"$work/stderr"
  [ ! -s "$work/stderr" ] || fail "completion wrote to stderr: $(cat "$work/stderr")"
}
expect() {  # expect "WANTED LINES" WORD...
  local wanted=$1
  shift
  local got
  got=$(complete_words "$@")
  [ "$got" = "$wanted" ] || fail "completing '$*' gave [$(echo $got)], expected [$(echo $wanted)]"
}
s=(--socket "$work/admin.sock")
first=$(head -1 <<<"$expected")

commands=$(complete_words "$ctl" "")
for c in status inbox thread reply consent consent-import consent-log send settings smsc watch \
  export help; do
  grep -qx -- "$c" <<<"$commands" || fail "command $c is not offered"
done
expect $'consent\nconsent-import\nconsent-log' "$ctl" con
expect "--socket" "$ctl" --so
expect $'--archived\n--before\n--flagged\n--limit\n--unread' "$ctl" "${s[@]}" inbox --
expect "$expected" "$ctl" "${s[@]}" thread ""
expect "$expected" "$ctl" "${s[@]}" reply --override-quiet-hours ""
expect "$first" "$ctl" "${s[@]}" consent-log "$first"
expect "$expected" "$ctl" --timeout 5 "${s[@]}" archive +1650
expect "" "$ctl" "${s[@]}" unarchive ""  # nothing is archived yet
expect $'subscribed\nunsubscribed' "$ctl" "${s[@]}" consent "$first" ""
expect $'admin\nimport\ntext' "$ctl" "${s[@]}" consent "$first" --source ""
expect $'keep\nopt-out' "$ctl" "${s[@]}" revocation "$first" ""
expect $'campaign\nflow' "$ctl" "${s[@]}" send --kind ""
# Bulk: files after --to-file and consent-import, no inbox numbers once the file names them.
printf '+16502530000\n' >"$work/list.txt"
expect "$work/list.txt" "$ctl" "${s[@]}" send --kind campaign --to-file "$work/li"
expect "" "$ctl" "${s[@]}" send --kind campaign --to-file "$work/list.txt" ""
expect "$work/list.txt" "$ctl" "${s[@]}" consent-import "$work/li"
expect $'admin\nimport' "$ctl" "${s[@]}" consent-import "$work/list.txt" --source ""
expect $'list\nreconnect\nresume\nsuspend' "$ctl" "${s[@]}" smsc ""
expect "sim" "$ctl" "${s[@]}" smsc suspend ""
expect "" "$ctl" "${s[@]}" smsc list ""
expect $'inbound,consent' "$ctl" "${s[@]}" watch --events inbound,co
expect $'quiet_hours.enabled\nquiet_hours.end\nquiet_hours.start' "$ctl" "${s[@]}" settings quiet
# The config names the socket as well as --socket does.
expect "$expected" "$ctl" --config "$work/twoway.yaml" thread ""

# An archived conversation moves to unarchive's list.
"$ctl" "${s[@]}" archive "$first" >/dev/null
expect "$first" "$ctl" "${s[@]}" unarchive ""

# No daemon there: no numbers, no message, no wait for a timeout.
start=$SECONDS
expect "" "$ctl" --socket "$work/nothing.sock" thread ""
expect "" "$ctl" --socket "$work/nothing.sock" smsc resume ""
expect $'keep\nopt-out' "$ctl" --socket "$work/nothing.sock" revocation +16500000001 ""
((SECONDS - start < 10)) || fail "completing against a missing socket took $((SECONDS - start)) s"

if [ "$failed" -ne 0 ]; then
  echo "completion_test: FAILED"
  exit 1
fi
echo "completion_test: all completions as expected"
