#!/usr/bin/env bash
# Runs scripts/demo.sh in a directory of its own and tries the commands it prints: `thread` and
# `reply` on the subscriber it names must work, the reply to the other customer must be refused
# as not subscribed. Every wait is bounded.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/twoway-demo-test-XXXXXX)
out="$work/demo.out"
demo_pid=""
cleanup() {
  if [ -n "$demo_pid" ] && kill -0 "$demo_pid" 2>/dev/null; then
    kill -TERM "$demo_pid" 2>/dev/null || true  # (a background job ignores SIGINT)
    for _ in $(seq 200); do kill -0 "$demo_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$demo_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  echo "--- demo output" >&2
  cat "$out" >&2 || true
  exit 1
}

TWOWAY_DEMO_DIR="$work/demo" setsid bash "$root/scripts/demo.sh" >"$out" 2>&1 &
demo_pid=$!

# The suggestions come once the simulator's texts are in (the build before them is a no-op
# when the tests were built).
for _ in $(seq 1800); do
  grep -q "In another terminal, try:" "$out" && break
  kill -0 "$demo_pid" 2>/dev/null || fail "the demo stopped before printing its suggestions"
  sleep 0.1
done
grep -q "In another terminal, try:" "$out" || fail "no suggestions within 3 minutes"

command_line() {  # the printed command line whose twowayctl command is $1 ($2: nth match)
  grep -E "^  \S+/twowayctl --socket \S+ $1 " "$out" | sed -n "${2:-1}p" | sed 's/^  //'
}
thread=$(command_line thread)
reply_ok=$(command_line reply 1)
reply_refused=$(command_line reply 2)
[ -n "$thread" ] && [ -n "$reply_ok" ] && [ -n "$reply_refused" ] || fail "missing suggestions"
case "$thread" in *"+16500000000"*) fail "suggests +16500000000, which never texts";; esac

eval "$thread" >"$work/thread.out" 2>&1 || fail "'$thread' failed: $(cat "$work/thread.out")"
grep -q "consent:    subscribed" "$work/thread.out" || fail "the thread is not a subscriber's"
eval "$reply_ok" >"$work/reply.out" 2>&1 || fail "'$reply_ok' failed: $(cat "$work/reply.out")"
status=0
eval "$reply_refused" >"$work/refused.out" 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "'$reply_refused' exited $status, not 1"
grep -q "not subscribed" "$work/refused.out" || fail "refusal without its reason: $(cat "$work/refused.out")"
echo "demo suggestions work: $thread / $reply_ok / $reply_refused (refused)"
