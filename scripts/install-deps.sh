#!/usr/bin/env bash
# Installs the Debian packages twoway needs to build, test and run, idempotently:
# only what is missing is installed, and `apt-get update` runs at most once.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build ccache
  libboost-dev libboost-program-options-dev
  liblmdb-dev lmdb-utils
  libspdlog-dev libyaml-cpp-dev nlohmann-json3-dev
  libphonenumber-dev libicu-dev python3 python3-phonenumbers
  libssl-dev libcurl4-openssl-dev libsystemd-dev
  libnats-dev nats-server   # cluster mode: the NATS C client, and the server its tests run
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev clang-format
  socat libnet-smpp-perl python3-aiosmtpd
  curl prometheus   # the metrics tests scrape with curl and lint with promtool (in prometheus)
  dpkg-dev file lintian man-db bsdextrautils
  kannel gnuplot-nox   # scripts/bench-compare.sh: Kannel side by side, and its plot
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
# scripts/bench-compare.sh runs its own bearerbox and smsbox on free ports with a config of its
# own: the service the kannel package starts is not wanted on a build machine.
if printf '%s\n' "${missing[@]}" | grep -qx kannel && [ -d /run/systemd/system ]; then
  "${sudo_cmd[@]}" systemctl disable --now kannel >/dev/null 2>&1 || true
fi
