#!/usr/bin/env bash
# The manual pages as a reader gets them: each one renders with man(1) without a single warning
# from groff, has the sections a manual page has, and names what it documents; twoway.yaml(5)
# lists every key `twowayd --describe-config` prints.
# usage: man_pages_test.sh TWOWAYD PAGE...   (exit 77: man(1) is not installed)
set -euo pipefail
twowayd=$1
shift
if ! command -v man >/dev/null; then
  echo "SKIP: man is not installed (apt-get install man-db)"
  exit 77
fi
failed=0
fail() {
  echo "FAIL: $*"
  failed=1
  page_failed=1
}

for page in "$@"; do
  name=$(basename "$page")
  page_failed=0
  [ -s "$page" ] || { fail "$name: missing or empty"; continue; }
  warnings=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>&1 >/dev/null || true)
  [ -z "$warnings" ] || fail "$name: man --warnings says: $warnings"
  text=$(MANWIDTH=80 LC_ALL=C.UTF-8 man -l "$page" 2>/dev/null | col -bx)
  for section in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
    grep -q "^$section\$" <<<"$text" || fail "$name: no $section section"
  done
  title=${name%.*}
  grep -qE "^ +$title +- " <<<"$text" || fail "$name: NAME does not start with '$title - '"
  if [ -f "$page.gz" ]; then
    # The installed copy: gzip -n (no name or time stamp), the same text.
    [ "$(gzip -dc "$page.gz")" = "$(cat "$page")" ] || fail "$name.gz differs from $name"
    gzip -lv "$page.gz" >/dev/null
    [ "$(od -An -tx1 -j4 -N4 "$page.gz" | tr -d ' ')" = 00000000 ] ||
      fail "$name.gz carries a time stamp (gzip without -n)"
  fi
  case $name in
    twoway.yaml.5)
      # Every key twowayd knows, as --describe-config lists them, is on the rendered page.
      keys=$("$twowayd" --describe-config | cut -d' ' -f1)
      [ "$(wc -l <<<"$keys")" -gt 50 ] || fail "twowayd --describe-config printed too few keys"
      while read -r key; do
        grep -qF -- "$key" <<<"$text" || fail "$name: key $key is missing"
      done <<<"$keys"
      ;;
    twowayd.8)
      for option in --config --check-config --describe-config --log-level --version; do
        grep -qF -- "$option" <<<"$text" || fail "$name: option $option is missing"
      done
      ;;
  esac
  [ "$page_failed" -ne 0 ] || echo "ok: $name"
done
exit $failed
