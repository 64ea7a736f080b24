#!/usr/bin/env bash
# The Debian packages as an operator gets them: builds both with the README's command
# (`cmake --workflow --preset deb`), checks what each holds (paths, modes, conffiles, manual
# pages, completion, the unit's binaries, hardening of every program, systemd-analyze verify
# and security on the unit), runs the twoway
# postinst against an extracted tree with the system tools stubbed (user creation, the
# conffile's group and mode, the password file, dpkg-statoverride respected), and runs lintian.
# Nothing is installed on this machine.
# usage: deb_test.sh SOURCE_DIR VERSION     (exit 77 when dpkg-deb or lintian is missing)
set -euo pipefail
src=$1
version=$2
for tool in dpkg-deb lintian readelf; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed (scripts/install-deps.sh installs it)"
    exit 77
  fi
done

# Lintian tags accepted, each for its reason (also listed in the README). None today: every
# error and every warning fails the test; informational notes are printed, not failed.
accepted=()

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() {
  echo "FAIL: $*"
  failed=1
}
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  "$@" >/dev/null 2>&1 || fail "$what"
}

echo "== cmake --workflow --preset deb"
(cd "$src" && cmake --workflow --preset deb) >"$work/build.log" 2>&1 || {
  tail -40 "$work/build.log"
  echo "FAIL: cmake --workflow --preset deb"
  exit 1
}
arch=$(dpkg --print-architecture)
main_deb="$src/build/deb/twoway_${version}_${arch}.deb"
tools_deb="$src/build/deb/twoway-tools_${version}_${arch}.deb"
for deb in "$main_deb" "$tools_deb"; do
  [ -f "$deb" ] || { echo "FAIL: $deb was not built"; ls "$src/build/deb"; exit 1; }
done

# --- what each package holds -------------------------------------------------------------
listing() { dpkg-deb -c "$1" | awk '{ sub(/^\./, "", $6); print $1, $2, $6 }'; }
listing "$main_deb" >"$work/main.list"
listing "$tools_deb" >"$work/tools.list"
has() {  # has LIST MODE PATH
  grep -q "^$2 root/root $3\$" "$work/$1.list" || fail "$1: no $3 with mode $2 ($(grep " $3\$" "$work/$1.list" || echo absent))"
}
lacks() { ! grep -q " $2\$" "$work/$1.list" || fail "$1 must not hold $2"; }

has main -rwxr-xr-x /usr/sbin/twowayd
has main -rwxr-xr-x /usr/bin/twowayctl
has main -rw-r--r-- /lib/systemd/system/twowayd.service
has main -rw-r--r-- /usr/lib/sysusers.d/twoway.conf
has main -rw-r--r-- /etc/twoway/twoway.yaml  # as Debian ships files; the postinst makes it 0640
has main -rw-r--r-- /usr/share/man/man8/twowayd.8.gz
has main -rw-r--r-- /usr/share/man/man1/twowayctl.1.gz
has main -rw-r--r-- /usr/share/man/man5/twoway.yaml.5.gz
has main -rw-r--r-- /usr/share/bash-completion/completions/twowayctl
has main -rw-r--r-- /usr/share/doc/twoway/copyright
has main -rw-r--r-- /usr/share/doc/twoway/changelog.gz
lacks main /usr/bin/twoway-smsc-sim
lacks main /usr/bin/twoway-pdu
has tools -rwxr-xr-x /usr/bin/twoway-smsc-sim
has tools -rwxr-xr-x /usr/bin/twoway-pdu
has tools -rw-r--r-- /usr/share/man/man1/twoway-smsc-sim.1.gz
has tools -rw-r--r-- /usr/share/man/man1/twoway-pdu.1.gz
has tools -rw-r--r-- /usr/share/doc/twoway-tools/copyright
has tools -rw-r--r-- /usr/share/doc/twoway-tools/changelog.gz
lacks tools /usr/sbin/twowayd
if grep -E ' /usr/local/| /usr/etc/' "$work/main.list" "$work/tools.list"; then
  fail "a package holds /usr/local or /usr/etc paths"
fi

# --- control fields and scripts ----------------------------------------------------------
field() { dpkg-deb -f "$1" "$2"; }
[ "$(field "$main_deb" Package)" = twoway ] || fail "the main package is not named twoway"
[ "$(field "$tools_deb" Package)" = twoway-tools ] || fail "the tools package is not named twoway-tools"
for deb in "$main_deb" "$tools_deb"; do
  [ "$(field "$deb" Version)" = "$version" ] || fail "$(basename "$deb"): version is not $version"
  grep -q 'libc6' <<<"$(field "$deb" Depends)" || fail "$(basename "$deb"): no shared library dependencies"
  [ "$(field "$deb" Description | wc -l)" -ge 5 ] || fail "$(basename "$deb"): no extended description"
  [ "$(field "$deb" Section)" = net ] || fail "$(basename "$deb"): section is not net"
done
grep -q 'systemd' <<<"$(field "$main_deb" Depends)" || fail "twoway does not depend on systemd (sysusers)"

root="$work/root"
dpkg-deb -x "$main_deb" "$root"
dpkg-deb -x "$tools_deb" "$root"
dpkg-deb -e "$main_deb" "$work/control"
[ "$(cat "$work/control/conffiles")" = /etc/twoway/twoway.yaml ] ||
  fail "conffiles is not exactly /etc/twoway/twoway.yaml: $(cat "$work/control/conffiles")"
for script in postinst prerm postrm; do
  [ -x "$work/control/$script" ] || { fail "no executable $script"; continue; }
  check "$script: sh -n" sh -n "$work/control/$script"
  # systemctl only for daemon-reload; starting and stopping go through deb-systemd-invoke.
  if grep -n 'systemctl' "$work/control/$script" | grep -v '^[0-9]*: *#' | grep -v 'daemon-reload'; then
    fail "$script calls systemctl for more than daemon-reload"
  fi
  ! grep -q '@[A-Z_]*@' "$work/control/$script" || fail "$script has an unsubstituted @VARIABLE@"
done
grep -q 'deb-systemd-helper' "$work/control/postinst" || fail "postinst does not use deb-systemd-helper"
grep -q 'deb-systemd-invoke' "$work/control/prerm" || fail "prerm does not use deb-systemd-invoke"
grep -q 'deb-systemd-helper purge' "$work/control/postrm" || fail "postrm does not purge the unit state"

# --- the unit, the sysusers file and the shipped config fit together ---------------------
unit="$root/lib/systemd/system/twowayd.service"
for key in ExecStart ExecStartPre; do
  line=$(grep "^$key=" "$unit" | head -1)
  binary=${line#*=}
  binary=${binary%% *}
  [ -x "$root$binary" ] || fail "the unit's $key runs $binary, which the package does not hold"
  config=$(sed -n 's/.*--config \([^ ]*\).*/\1/p' <<<"$line")
  [ -f "$root$config" ] || fail "the unit's $key reads $config, which the package does not hold"
done
grep -q '^User=twoway$' "$unit" || fail "the unit does not run as twoway"
# systemd's own checks on the packaged unit, its programs taken from the extracted tree.
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$work/unit"
  kill_bin=/bin/kill
  [ -x "$kill_bin" ] || kill_bin=$(type -P kill)
  sed "s|/usr/sbin/twowayd|$root/usr/sbin/twowayd|g; s|/bin/kill|$kill_bin|g" "$unit" \
    >"$work/unit/twowayd.service"
  systemd-analyze verify --man=no "$work/unit/twowayd.service" >"$work/verify.out" 2>&1 ||
    fail "systemd-analyze verify: $(cat "$work/verify.out")"
  exposure=$(systemd-analyze security --offline=true "$work/unit/twowayd.service" 2>&1 | tail -1)
  grep -Eq 'exposure level for twowayd.service: [0-9.]+ (SAFE|OK)' <<<"$exposure" ||
    fail "systemd-analyze security does not rate the unit OK: $exposure"
  echo "systemd-analyze: ${exposure#→ }"
fi
grep -q '^u twoway ' "$root/usr/lib/sysusers.d/twoway.conf" || fail "sysusers does not create the user twoway"
grep -q '^g twoway-admin ' "$root/usr/lib/sysusers.d/twoway.conf" || fail "sysusers does not create twoway-admin"
shipped="$root/etc/twoway/twoway.yaml"
grep -q '^ *password_file: /etc/twoway/smsc-password' "$shipped" || fail "the shipped config does not use /etc/twoway/smsc-password"
! grep -q '^ *password:' "$shipped" || fail "the shipped config holds an inline password"
grep -qF "$version" <<<"$("$root/usr/sbin/twowayd" --version)" || fail "twowayd --version does not say $version"
"$root/usr/bin/twoway-pdu" encode '{"command":"enquire_link","sequence_number":9}' |
  grep -qx 00000010000000150000000000000009 || fail "the packaged twoway-pdu does not encode"
# The shipped config is valid once its password file holds a password.
printf 'secret\n' >"$work/smsc-password"
sed "s|/etc/twoway/smsc-password|$work/smsc-password|" "$shipped" >"$work/twoway.yaml"
"$root/usr/sbin/twowayd" --check-config --config "$work/twoway.yaml" >"$work/check.out" 2>&1 ||
  fail "twowayd --check-config refuses the shipped config: $(cat "$work/check.out")"
# Empty (as the postinst creates it), it is refused with the key named.
: >"$work/smsc-password"
if "$root/usr/sbin/twowayd" --check-config --config "$work/twoway.yaml" >"$work/check.out" 2>&1; then
  fail "twowayd --check-config accepts an empty password file"
fi
grep -q 'smscs\[0\].password_file' "$work/check.out" || fail "the empty password file is not named: $(cat "$work/check.out")"

# --- hardening: every program is PIE with full RELRO, a stack protector and fortified calls --
for binary in usr/sbin/twowayd usr/bin/twowayctl usr/bin/twoway-smsc-sim usr/bin/twoway-pdu; do
  f="$root/$binary"
  # (into variables first: grep -q closing a pipe early would fail readelf under pipefail)
  header=$(readelf -h "$f") segments=$(readelf -lW "$f") dynamic=$(readelf -dW "$f")
  symbols=$(readelf --dyn-syms -W "$f") sections=$(readelf -SW "$f")
  grep -q 'Type:.*DYN' <<<"$header" || fail "$binary is not PIE"
  grep -q GNU_RELRO <<<"$segments" || fail "$binary has no RELRO"
  grep -Eq 'BIND_NOW|FLAGS.*NOW' <<<"$dynamic" || fail "$binary is not linked with -z now"
  grep -q '__stack_chk_fail' <<<"$symbols" || fail "$binary has no stack protector"
  grep -q '__[a-z_]*_chk@' <<<"$symbols" || fail "$binary calls no fortified function"
  ! grep -Eq '\.debug_info|\.comment' <<<"$sections" || fail "$binary is not stripped as dh_strip does"
done

# --- the postinst, run against the extracted tree with the system tools stubbed ----------
stubs="$work/stubs"
mkdir -p "$stubs"
for tool in systemd-sysusers deb-systemd-helper deb-systemd-invoke systemctl chown; do
  printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$tool" "$work" >"$stubs/$tool"
done
# dpkg-statoverride: an override exists only for paths listed in $work/overrides.
printf '#!/bin/sh\nfor a; do last=$a; done\necho "dpkg-statoverride $*" >>"%s/calls"\ngrep -qx "$last" "%s/overrides" 2>/dev/null\n' \
  "$work" "$work" >"$stubs/dpkg-statoverride"
chmod +x "$stubs"/*
run_postinst() { PATH="$stubs:$PATH" DPKG_ROOT="$root" sh "$work/control/postinst" "$@"; }
calls() { cat "$work/calls" 2>/dev/null; }

chmod 0644 "$root/etc/twoway/twoway.yaml"  # as a conffile may be after dpkg replaced it
: >"$work/calls"
run_postinst configure || fail "postinst configure failed"
grep -q "^systemd-sysusers --root=$root twoway.conf\$" "$work/calls" || fail "postinst does not run systemd-sysusers: $(calls)"
grep -qx "chown root:twoway $root/etc/twoway/twoway.yaml" "$work/calls" || fail "postinst does not give the config to group twoway: $(calls)"
grep -qx "chown root:twoway $root/etc/twoway/smsc-password" "$work/calls" || fail "postinst does not give the password file to group twoway"
[ "$(stat -c %a "$root/etc/twoway/twoway.yaml")" = 640 ] || fail "the config is not 0640 after postinst"
[ -f "$root/etc/twoway/smsc-password" ] && [ ! -s "$root/etc/twoway/smsc-password" ] ||
  fail "postinst did not create an empty /etc/twoway/smsc-password"
[ "$(stat -c %a "$root/etc/twoway/smsc-password")" = 640 ] || fail "the password file is not 0640"
grep -q '^deb-systemd-helper update-state twowayd.service' "$work/calls" || fail "postinst does not register the unit"
! grep -q '^deb-systemd-invoke' "$work/calls" || fail "a first install starts the service (the credentials come first)"
! grep -q '^systemctl' "$work/calls" || fail "postinst calls systemctl although DPKG_ROOT is set"

# An upgrade keeps the password and respects the admin's dpkg-statoverride.
echo 's3cret' >"$root/etc/twoway/smsc-password"
echo /etc/twoway/twoway.yaml >"$work/overrides"
chmod 0600 "$root/etc/twoway/twoway.yaml"
: >"$work/calls"
run_postinst configure 0.0.9 || fail "postinst configure (upgrade) failed"
[ "$(cat "$root/etc/twoway/smsc-password")" = s3cret ] || fail "an upgrade overwrote the password file"
[ "$(stat -c %a "$root/etc/twoway/twoway.yaml")" = 600 ] || fail "postinst overrode the admin's dpkg-statoverride"
! grep -q "chown .*twoway.yaml" "$work/calls" || fail "postinst chowned a file with a statoverride"

# Purge removes the password file the postinst made, and nothing of the store.
mkdir -p "$root/var/lib/twoway" && echo data >"$root/var/lib/twoway/data.mdb"
: >"$work/calls"
PATH="$stubs:$PATH" DPKG_ROOT="$root" sh "$work/control/postrm" purge || fail "postrm purge failed"
[ ! -e "$root/etc/twoway/smsc-password" ] || fail "purge kept /etc/twoway/smsc-password"
[ -f "$root/var/lib/twoway/data.mdb" ] || fail "purge removed the store"
grep -q '^deb-systemd-helper purge twowayd.service' "$work/calls" || fail "postrm purge does not purge the unit state"

# --- lintian --------------------------------------------------------------------------------
echo "== lintian"
suppress=()
if [ "${#accepted[@]}" -gt 0 ]; then suppress=(--suppress-tags "$(IFS=,; echo "${accepted[*]}")"); fi
if ! lintian --fail-on error,warning --display-info "${suppress[@]}" "$main_deb" "$tools_deb" \
  >"$work/lintian.out" 2>&1; then
  fail "lintian reports errors or warnings"
fi
cat "$work/lintian.out"

if [ "$failed" -ne 0 ]; then
  echo "deb_test: FAILED"
  exit 1
fi
echo "deb_test: both packages check out (lintian: $(grep -c '^[EW]:' "$work/lintian.out" || true) errors or warnings)"
