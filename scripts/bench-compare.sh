#!/usr/bin/env bash
# twowayd and Kannel side by side, on loopback, against the same SMSC simulator with the same
# flags. twowayd runs from the release build (durable store, one transceiver bind, window 100);
# Kannel is Debian's 1.4.5 (bearerbox + smsbox, file store, log level warning, an sms-service
# that answers every MO with a static text, a sendsms-user for campaigns). For each workload it
# measures MO/s acknowledged, MT/s, MO-ack and MO->reply latency (p50/p90/p99/max), the
# gateway's CPU seconds and peak RSS, and the ratio twoway/Kannel; it writes BENCHMARKS.md
# and a PNG plot (gnuplot) of throughput and p99 latency against the offered rate.
#
#   scripts/bench-compare.sh                      # every workload, full size (about 10 minutes)
#   scripts/bench-compare.sh --quick              # every workload scaled down (1-2 minutes)
#   scripts/bench-compare.sh --quick --only twoway --workloads a,b --out /tmp/b.md
#   scripts/bench-compare.sh --help               # every option
#   TWOWAY_BIN=other/build scripts/bench-compare.sh   # the binaries of another build, no build
#
# Workloads: (a) 200,000 MO from 10,000 numbers as fast as the simulator's window allows;
# (b) 100,000 MO, each from a new number; (c) fixed offered rates (--rates, default 2,000 and
# 10,000 MO/s) for --rate-seconds each; (d) a campaign to 1,000,000 subscribers: twowayd with
# `twowayctl consent-import` and `twowayctl send --kind campaign --to-file` (skipped, with the
# reason, where this build has no such commands), Kannel through its sendsms HTTP interface
# driven with 64 requests in flight.
set -euo pipefail
cd "$(dirname "$0")/.."

help=0
for a in "$@"; do
  case "$a" in
    -h | --help) help=1 ;;
  esac
done

bin=${TWOWAY_BIN:-build/release}
if [ -z "${TWOWAY_BIN:-}" ] && [ "$help" = 0 ]; then
  bash scripts/install-deps.sh
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)" --target twowayd twowayctl twoway-smsc-sim >/dev/null
fi

export TWOWAY_BENCH_BIN="$bin"
exec python3 -c "$(sed -n '/^# ---- python ----$/,$p' "$0" | tail -n +2)" "$@"

# ---- python ----
import argparse
import asyncio
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

BIN = os.environ.get("TWOWAY_BENCH_BIN", "build/release")
BOUNDS = "docs/bench-bounds.md"  # included in the report as it stands
SIM = os.path.join(BIN, "tools", "twoway-smsc-sim")
TWOWAYD = os.path.join(BIN, "daemon", "twowayd")
TWOWAYCTL = os.path.join(BIN, "tools", "twowayctl")
BEARERBOX, SMSBOX = "/usr/sbin/bearerbox", "/usr/sbin/smsbox"
NUMBER = "15550001111"  # the gateway's number: the MO destination, the MT source
REPLY = "Bench Shop: open 9-5, Monday to Saturday."
CAMPAIGN = "Bench Shop: 20% off everything this weekend. Reply STOP to opt out."
HZ = os.sysconf("SC_CLK_TCK")


def parse_args():
    p = argparse.ArgumentParser(
        prog="scripts/bench-compare.sh",
        description="twowayd and Kannel side by side against twoway-smsc-sim on loopback.")
    p.add_argument("--quick", action="store_true",
                   help="every workload scaled down (a: 20,000 MO from 1,000 numbers, b: 10,000, "
                        "c: 4 s per rate, d: 20,000 subscribers): 1-2 minutes")
    p.add_argument("--only", choices=["twoway", "kannel", "both"], default="both",
                   help="which gateway(s) to run (default both)")
    p.add_argument("--workloads", default="a,b,c,d", help="comma-separated subset of a,b,c,d")
    p.add_argument("--rates", default="2000,10000",
                   help="offered MO/s for workload c (default 2000,10000)")
    p.add_argument("--rate-seconds", type=float, default=None,
                   help="how long each rate of c is offered (default 20 s, --quick 4 s)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply every message count by this (after --quick)")
    p.add_argument("--text", default="HOURS",
                   help="the MO text (default HOURS, a keyword both gateways answer every time; "
                        "see BENCHMARKS.md)")
    p.add_argument("--out", default="BENCHMARKS.md", help="the report to write")
    p.add_argument("--plot", default=None,
                   help="the PNG to write (default docs/bench-compare.png next to BENCHMARKS.md, "
                        "else beside --out)")
    p.add_argument("--json", default=None, help="also write every figure as JSON here")
    p.add_argument("--keep", action="store_true", help="keep the work folder (logs, reports)")
    p.add_argument("--check", action="store_true",
                   help="exit 1 unless every run completed, every MO was acknowledged and "
                        "answered, and every campaign message reached the simulator (for CI)")
    a = p.parse_args()
    a.workloads = [w.strip() for w in a.workloads.split(",") if w.strip()]
    for w in a.workloads:
        if w not in "abcd" or len(w) != 1:
            p.error(f"unknown workload {w!r} (use a, b, c, d)")
    try:
        a.rates = [int(r) for r in a.rates.split(",") if r.strip()]
    except ValueError:
        p.error("--rates takes whole numbers, e.g. 2000,10000")
    if any(r <= 0 for r in a.rates):
        p.error("--rates must be positive")
    if a.rate_seconds is None:
        a.rate_seconds = 4.0 if a.quick else 20.0
    if a.plot is None:
        out_dir = os.path.dirname(os.path.abspath(a.out))
        a.plot = (os.path.join(out_dir, "docs", "bench-compare.png")
                  if os.path.basename(a.out) == "BENCHMARKS.md" and os.path.isdir(
                      os.path.join(out_dir, "docs"))
                  else os.path.splitext(a.out)[0] + ".png")
    return a


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def wait_for(pred, seconds, what):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.02)
    raise RuntimeError(f"timed out waiting for {what}")


# --- process accounting --------------------------------------------------------------------


def proc_cpu(pid):
    """utime + stime of a process, in seconds (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / HZ
    except (OSError, IndexError, ValueError):
        return None


def proc_memory_kib(pid):
    """(VmHWM, RssAnon) of a process in KiB: the peak resident set, mapped files included, and
    the anonymous memory resident now (None when it is gone)."""
    hwm = anon = None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
                elif line.startswith("RssAnon:"):
                    anon = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return hwm, anon


class Sampler:
    """CPU seconds of the gateway processes every 20 ms, so the CPU of a window of the run (from
    the first MO sent to the end) can be read back afterwards."""

    def __init__(self, pids):
        self.pids = pids
        self.samples = []  # (monotonic, cpu seconds summed)
        self.hwm = {}
        self.anon = {}  # the largest RssAnon seen, per process
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self):
        total = 0.0
        for pid in self.pids:
            c = proc_cpu(pid)
            if c is not None:
                total += c
            m = proc_memory_kib(pid)
            if m is not None:
                if m[0] is not None:
                    self.hwm[pid] = max(self.hwm.get(pid, 0), m[0])
                if m[1] is not None:
                    self.anon[pid] = max(self.anon.get(pid, 0), m[1])
        self.samples.append((time.monotonic(), total))

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(0.02)

    def stop(self):
        self._sample()
        self._stop.set()
        self._thread.join()

    def cpu_at(self, t):
        """CPU seconds at monotonic time t (linear between the two samples around it)."""
        s = self.samples
        if not s:
            return 0.0
        if t <= s[0][0]:
            return s[0][1]
        for (t0, c0), (t1, c1) in zip(s, s[1:]):
            if t0 <= t <= t1:
                return c0 if t1 == t0 else c0 + (c1 - c0) * (t - t0) / (t1 - t0)
        return s[-1][1]

    def peak_rss_mib(self):
        return sum(self.hwm.values()) / 1024.0

    def peak_anon_mib(self):
        return sum(self.anon.values()) / 1024.0


def stop_process(proc, sig=signal.SIGTERM, seconds=15):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --- the simulator -------------------------------------------------------------------------


class Sim:
    def __init__(self, work, name, *, mo, senders, rate, expect_mt, settle, max_seconds, port=0,
                 texts_file):
        self.work = work
        self.port_file = os.path.join(work, f"{name}.sim.port")
        self.report_file = os.path.join(work, f"{name}.sim.json")
        self.log = open(os.path.join(work, f"{name}.sim.log"), "w")
        self.args = [SIM, "--port", str(port), "--port-file", self.port_file,
                     "--system-id", "bench", "--password", "bench", "--to", NUMBER,
                     "--mo", str(mo), "--from-count", str(max(1, senders)),
                     "--from-prefix", "1650", "--rate", str(rate), "--window", "100",
                     "--texts", texts_file, "--no-dlr", "--exit-when-done",
                     "--expect-mt", str(expect_mt), "--settle-seconds", str(settle),
                     "--max-seconds", str(max_seconds), "--json-out", self.report_file]
        self.proc = None
        self.started = None

    def start(self):
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.started = time.monotonic()  # the simulator's clock starts as it listens
        wait_for(lambda: os.path.exists(self.port_file) and open(self.port_file).read().strip(),
                 10, "the simulator to listen")
        return int(open(self.port_file).read())

    def wait(self):
        self.proc.wait()
        self.ended = time.monotonic()
        with open(self.report_file) as f:
            return json.load(f)


# --- the gateways --------------------------------------------------------------------------


class Twowayd:
    name = "twowayd"

    def __init__(self, work):
        self.work = os.path.join(work, "twowayd")
        os.makedirs(self.work, exist_ok=True)
        self.proc = None
        self.socket = os.path.join(self.work, "admin.sock")

    def start(self, sim_port):
        cfg = os.path.join(self.work, "twoway.yaml")
        with open(cfg, "w") as f:
            f.write(f"""organization:
  name: Bench Shop
  prefix: Bench Shop
  support_email: help@bench.example
smscs:
  - name: sim
    host: 127.0.0.1
    port: {sim_port}
    system_id: bench
    password: bench
    bind: transceiver
    binds: 1
    window: 100
    reconnect_min: 100ms
numbers:
  - number: "+{NUMBER}"
    smsc: sim
default_region: US
storage:
  path: {self.work}/state
  durability: durable
admin:
  socket: {self.socket}
  group: ""
logging:
  level: warn
conversations:
  auto_responder:
    mode: all
    message: "Bench Shop: thanks, we will answer soon."
  keywords:
    custom:
      - {{ word: HOURS, reply: "{REPLY}", action: none }}
  quiet_hours:
    enabled: false
""")
        self.log = open(os.path.join(self.work, "twowayd.log"), "w")
        self.proc = subprocess.Popen([TWOWAYD, "--config", cfg, "--foreground"],
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        return [self.proc.pid]

    def ready(self):
        """Waits for the admin socket (the simulator may already be pushing MO by then)."""
        wait_for(lambda: os.path.exists(self.socket) or self.proc.poll() is not None, 30,
                 "twowayd's admin socket")
        if self.proc.poll() is not None:
            raise RuntimeError(f"twowayd exited with {self.proc.returncode}: see {self.log.name}")

    def ctl(self, *args, timeout=3600):
        return subprocess.run([TWOWAYCTL, "--socket", self.socket, "--json", "--timeout", "0",
                               *args], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)

    def campaign_support(self):
        """None when this build has bulk consent import and campaign sends from a file, else
        why not."""
        r = self.ctl("help")
        text = r.stdout
        if r.returncode != 0:
            return f"`twowayctl help` failed ({r.returncode}): {r.stderr.strip()}"
        if "consent-import" not in text:
            return "this twowayd has no `consent-import` command"
        # twowayctl's --to-file streams the file as the daemon's send-bulk upload.
        if "send-bulk" not in text:
            return "this twowayd has no `send-bulk` (`send --kind campaign --to-file`)"
        return None

    def stop(self):
        stop_process(self.proc, signal.SIGTERM, 30)


class Kannel:
    name = "Kannel"

    def __init__(self, work):
        self.work = os.path.join(work, "kannel")
        os.makedirs(self.work, exist_ok=True)
        self.bb = self.sb = None
        self.admin_port, self.box_port, self.sendsms_port = free_ports(3)

    def start(self, sim_port):
        w = self.work
        cfg = os.path.join(w, "kannel.conf")
        with open(cfg, "w") as f:
            f.write(f"""group = core
admin-port = {self.admin_port}
admin-password = bench
status-password = bench
smsbox-port = {self.box_port}
box-allow-ip = 127.0.0.1
log-file = "{w}/bearerbox.log"
log-level = 2
store-type = file
store-location = "{w}/kannel.store"
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = {sim_port}
smsc-username = bench
smsc-password = bench
system-type = ""
transceiver-mode = true
max-pending-submits = 100
reconnect-delay = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.box_port}
sendsms-port = {self.sendsms_port}
log-file = "{w}/smsbox.log"
log-level = 2

group = sms-service
keyword = default
text = "{REPLY}"
max-messages = 1

group = sendsms-user
username = bench
password = bench
default-sender = {NUMBER}
max-messages = 1
""")
        self.bb_log = open(os.path.join(w, "bearerbox.out"), "w")
        self.sb_log = open(os.path.join(w, "smsbox.out"), "w")
        self.bb = subprocess.Popen([BEARERBOX, "-v", "2", cfg], stdin=subprocess.DEVNULL,
                                   stdout=self.bb_log, stderr=subprocess.STDOUT)
        wait_for(lambda: self.status() is not None or self.bb.poll() is not None, 20,
                 "bearerbox's admin port")
        if self.bb.poll() is not None:
            raise RuntimeError(f"bearerbox exited: see {self.bb_log.name}")
        self.sb = subprocess.Popen([SMSBOX, "-v", "2", cfg], stdin=subprocess.DEVNULL,
                                   stdout=self.sb_log, stderr=subprocess.STDOUT)
        # MO that reach bearerbox before smsbox is connected wait in its queue: wait for smsbox.
        wait_for(lambda: "smsbox:" in (self.status() or ""), 20, "smsbox to connect to bearerbox")
        return [self.bb.pid, self.sb.pid]

    def status(self):
        try:
            with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.admin_port}/status.txt?password=bench",
                    timeout=2) as r:
                return r.read().decode(errors="replace")
        except OSError:
            return None

    def smsc_online(self):
        st = self.status() or ""
        return re.search(r"sim\[sim\].*\(online", st) is not None

    def stop(self):
        stop_process(self.sb, signal.SIGTERM, 15)
        stop_process(self.bb, signal.SIGTERM, 30)


# --- the runs ------------------------------------------------------------------------------


def summarize(report, sampler, sim, n_expected_mo, extra=None):
    mo, mt = report["mo"], report["mt"]
    start = sim.started + (mo["first_sent_s"] if mo.get("first_sent_s") is not None
                           else (mt.get("first_s") or 0))
    ends = [x for x in (mo.get("last_acked_s"), mt.get("last_s")) if x is not None]
    end = sim.started + max(ends) if ends else sim.ended
    cpu = max(0.0, sampler.cpu_at(end) - sampler.cpu_at(start))
    r = {
        "mo_sent": mo["messages"], "mo_acked": mo["acked"], "mo_failed": mo["failed"],
        "mo_per_s": mo.get("messages_acked_per_s", 0.0),
        "mt": mt["received"], "mt_per_s": mt.get("acked_per_s", 0.0),
        "ack": report["mo_ack_latency_ms"], "reply": report["reply_latency_ms"],
        "cpu_s": cpu, "rss_mib": sampler.peak_rss_mib(),
        "anon_mib": sampler.peak_anon_mib(), "window_s": end - start,
        "redelivered": mo.get("redelivered", 0),
    }
    count = mo["acked"] or mt["received"]
    r["cpu_us_per_msg"] = cpu / count * 1e6 if count else None
    if extra:
        r.update(extra)
    return r


def run_mo(gw_cls, work, label, *, mo, senders, rate, text_file):
    """One MO workload against one gateway: fresh store, fresh simulator."""
    run_dir = os.path.join(work, f"{label}-{gw_cls.name}")
    os.makedirs(run_dir)
    gw = gw_cls(run_dir)
    offered_s = mo / rate if rate else 0
    max_seconds = max(120, offered_s * 3, mo / 500)
    pids, sampler, sim = [], None, None
    try:
        if gw_cls is Kannel:
            (sim_port,) = free_ports(1)
            pids = gw.start(sim_port)
            sampler = Sampler(pids)
            sim = Sim(run_dir, label, mo=mo, senders=senders, rate=rate, expect_mt=mo, settle=3,
                      max_seconds=max_seconds, port=sim_port, texts_file=text_file)
            sim.start()
        else:
            sim = Sim(run_dir, label, mo=mo, senders=senders, rate=rate, expect_mt=mo, settle=3,
                      max_seconds=max_seconds, texts_file=text_file)
            sim_port = sim.start()
            pids = gw.start(sim_port)
            sampler = Sampler(pids)  # from twowayd's start: the MO flow as soon as it binds
            gw.ready()
        report = sim.wait()
        sampler.stop()
        return summarize(report, sampler, sim, mo)
    finally:
        if sampler is not None and not sampler._stop.is_set():
            sampler.stop()
        gw.stop()
        if sim is not None and sim.proc is not None:
            stop_process(sim.proc)


async def sendsms_driver(port, numbers, inflight):
    """Posts one sendsms request per number over `inflight` keep-alive connections; returns
    (accepted, refused, first error)."""
    from urllib.parse import quote
    text = quote(CAMPAIGN)
    queue = iter(numbers)
    accepted = refused = 0
    first_error = None

    async def worker():
        nonlocal accepted, refused, first_error
        reader = writer = None
        for number in queue:
            for attempt in range(3):
                try:
                    if writer is None:
                        reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.write((f"GET /cgi-bin/sendsms?username=bench&password=bench&from="
                                  f"{NUMBER}&to=%2B{number}&text={text} HTTP/1.1\r\n"
                                  f"Host: 127.0.0.1\r\n\r\n").encode())
                    head = await reader.readuntil(b"\r\n\r\n")
                    m = re.search(rb"content-length:\s*(\d+)", head, re.I)
                    body = await reader.readexactly(int(m.group(1))) if m else b""
                    status = int(head.split(b" ", 2)[1])
                    if status in (200, 202):
                        accepted += 1
                    else:
                        refused += 1
                        first_error = first_error or f"HTTP {status}: {body[:200]!r}"
                    if re.search(rb"connection:\s*close", head, re.I):
                        writer.close()
                        reader = writer = None
                    break
                except (OSError, asyncio.IncompleteReadError, ValueError) as e:
                    if writer is not None:
                        writer.close()
                    reader = writer = None
                    if attempt == 2:
                        refused += 1
                        first_error = first_error or repr(e)
        if writer is not None:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(inflight)))
    return accepted, refused, first_error


def subscribers(n):
    return [f"1650{i:07d}" for i in range(1, n + 1)]


def run_campaign(gw_cls, work, label, *, n, text_file):
    run_dir = os.path.join(work, f"{label}-{gw_cls.name}")
    os.makedirs(run_dir)
    gw = gw_cls(run_dir)
    sampler = sim = None
    try:
        if gw_cls is Kannel:
            (sim_port,) = free_ports(1)
            pids = gw.start(sim_port)
            sim = Sim(run_dir, label, mo=0, senders=1, rate=0, expect_mt=n, settle=10,
                      max_seconds=max(300, n / 200), port=sim_port, texts_file=text_file)
            sim.start()
            wait_for(gw.smsc_online, 30, "Kannel's bind to the simulator")
            sampler = Sampler(pids)
            t0 = time.monotonic()
            accepted, refused, err = asyncio.run(sendsms_driver(gw.sendsms_port,
                                                                subscribers(n), 64))
            queued_s = time.monotonic() - t0
            if err:
                log(f"Kannel sendsms: {refused} refused, first: {err}")
            extra = {"queued": accepted, "refused": refused,
                     "queued_per_s": accepted / queued_s if queued_s else 0.0,
                     "how": "sendsms HTTP, 64 requests in flight"}
        else:
            sim = Sim(run_dir, label, mo=0, senders=1, rate=0, expect_mt=n, settle=10,
                      max_seconds=max(300, n / 200), texts_file=text_file)
            sim_port = sim.start()
            pids = gw.start(sim_port)
            gw.ready()
            why = gw.campaign_support()
            if why:
                return {"skipped": why}
            numbers = os.path.join(run_dir, "subscribers.txt")
            with open(numbers, "w") as f:
                f.write("".join(f"+{x}\n" for x in subscribers(n)))
            consent = os.path.join(run_dir, "consent.csv")
            with open(consent, "w") as f:
                f.write("".join(f"+{x},subscribed\n" for x in subscribers(n)))
            t_import = time.monotonic()
            r = gw.ctl("consent-import", consent)
            import_s = time.monotonic() - t_import
            if r.returncode != 0:
                return {"skipped": f"consent-import failed ({r.returncode}): "
                                   f"{(r.stdout + r.stderr).strip()[-300:]}"}
            sampler = Sampler(pids)
            t0 = time.monotonic()
            r = gw.ctl("send", "--kind", "campaign", "--to-file", numbers, CAMPAIGN)
            queued_s = time.monotonic() - t0
            if r.returncode != 0:
                return {"skipped": f"send --kind campaign failed ({r.returncode}): "
                                   f"{(r.stdout + r.stderr).strip()[-300:]}"}
            queued = n
            for line in r.stdout.splitlines():
                try:
                    j = json.loads(line)
                except ValueError:
                    continue
                if isinstance(j, dict) and isinstance(j.get("queued"), int):
                    queued = j["queued"]
            extra = {"queued": queued, "refused": n - queued,
                     "queued_per_s": queued / queued_s if queued_s else 0.0,
                     "how": "twowayctl send --kind campaign --to-file (after `consent-import` "
                            f"of the same file at {n / import_s if import_s else 0:,.0f}/s)"}
        report = sim.wait()
        sampler.stop()
        return summarize(report, sampler, sim, 0, extra)
    finally:
        if sampler is not None and not sampler._stop.is_set():
            sampler.stop()
        gw.stop()
        if sim is not None and sim.proc is not None:
            stop_process(sim.proc)


# --- the report ----------------------------------------------------------------------------


def fmt_int(x):
    return "–" if x is None else f"{x:,.0f}"


def fmt_lat(l):
    if not l or not l.get("count"):
        return "–"
    return " / ".join(f"{l[k]:.1f}" for k in ("p50", "p90", "p99", "max"))


def ratio(a, b):
    if a is None or b is None or not b:
        return "–"
    x = a / b
    return f"{x:.2f}×" if x >= 0.1 else f"{x:.2g}×"


def machine():
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kib = int(f.readline().split()[1])
            mem = f"{kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    debian = ""
    try:
        debian = "Debian " + open("/etc/debian_version").read().strip()
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), {mem}, {debian}, Linux {platform.release()}"


def figure_args(argv):
    """The command-line arguments that shape the figures: where the outputs go (--out, --plot,
    --json, --keep) is left out of the command the report shows."""
    out, skip = [], False
    for x in argv:
        if skip:
            skip = False
            continue
        name = x.split("=", 1)[0]
        if name in ("--out", "--plot", "--json"):
            skip = "=" not in x
            continue
        if name == "--keep":
            continue
        out.append(x)
    return out


def tree(outputs):
    """The commit measured, and whether files other than this run's outputs differ from it."""
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True).stdout.strip()
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                 capture_output=True, text=True).stdout.splitlines()
        mine = {os.path.relpath(os.path.abspath(p), top) for p in outputs if p}
        dirty = [c for c in changed if c[3:].strip() not in mine]
        return (rev or "unknown") + (" (with local changes)" if dirty else "")
    except OSError:
        return "unknown"


def kannel_version():
    try:
        out = subprocess.run([BEARERBOX, "--version"], capture_output=True, text=True).stdout
        m = re.search(r"version `([^']+)'", out)
        return m.group(1) if m else "?"
    except OSError:
        return "not installed"


MO_COLUMNS = ("| gateway | MO acked / sent | MO/s acked | MT received | MT/s | "
              "MO-ack p50 / p90 / p99 / max (ms) | MO→reply p50 / p90 / p99 / max (ms) | "
              "CPU s | CPU µs per MO | peak RSS (anon) MiB |\n"
              "|---|---|---|---|---|---|---|---|---|---|")


def mo_row(name, r):
    if r is None:
        return f"| {name} | not run | | | | | | | | |"
    return (f"| {name} | {fmt_int(r['mo_acked'])} / {fmt_int(r['mo_sent'])} | "
            f"{fmt_int(r['mo_per_s'])} | {fmt_int(r['mt'])} | {fmt_int(r['mt_per_s'])} | "
            f"{fmt_lat(r['ack'])} | {fmt_lat(r['reply'])} | {r['cpu_s']:.2f} | "
            f"{fmt_int(r['cpu_us_per_msg'])} | {fmt_mem(r)} |")


def fmt_mem(r):
    return f"{r['rss_mib']:.1f} ({r.get('anon_mib', 0):.1f})"


def mo_ratio_row(t, k):
    if not t or not k:
        return None
    return (f"| twoway/Kannel | | {ratio(t['mo_per_s'], k['mo_per_s'])} | | "
            f"{ratio(t['mt_per_s'], k['mt_per_s'])} | p99 "
            f"{ratio(t['ack']['p99'], k['ack']['p99'])} | p99 "
            f"{ratio(t['reply']['p99'], k['reply']['p99'])} | "
            f"{ratio(t['cpu_s'], k['cpu_s'])} | {ratio(t['cpu_us_per_msg'], k['cpu_us_per_msg'])} | "
            f"{ratio(t['rss_mib'], k['rss_mib'])} |")


def plot(results, rates, path, work):
    points = {"twowayd": [], "Kannel": []}
    for rate in rates:
        for gw in points:
            r = results.get(f"c{rate}", {}).get(gw)
            if r and "mo_per_s" in r:
                points[gw].append((rate, r["mo_per_s"], max(r["reply"]["p99"], 0.01)))
    if not any(points.values()):
        return False
    if shutil.which("gnuplot") is None:
        log("no plot: gnuplot is not installed (apt-get install gnuplot-nox)")
        return False
    files = {}
    for gw, pts in points.items():
        files[gw] = os.path.join(work, f"plot-{gw}.dat")
        with open(files[gw], "w") as f:
            f.write("# offered MO/s, MO/s acknowledged, p99 MO->reply ms\n")
            for p in pts:
                f.write(f"{p[0]} {p[1]:.1f} {p[2]:.3f}\n")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    term = "pngcairo size 1100,460 font 'sans,10'"
    script = f"""set terminal {term}
set output '{path}'
set multiplot layout 1,2 title 'twowayd and Kannel 1.4.5 against twoway-smsc-sim on loopback (one run)'
set key top left
set grid
set xlabel 'offered MO/s'
set ylabel 'MO/s acknowledged'
set xrange [0:*]
set yrange [0:*]
plot x title 'offered' with lines dashtype 2 lc rgb '#999999', \\
     '{files['twowayd']}' using 1:2 title 'twowayd' with linespoints lw 2 pt 7 lc rgb '#1f77b4', \\
     '{files['Kannel']}' using 1:2 title 'Kannel' with linespoints lw 2 pt 5 lc rgb '#d62728'
set ylabel 'p99 MO→reply (ms, log scale)'
set logscale y
set yrange [*:*]
plot '{files['twowayd']}' using 1:3 title 'twowayd' with linespoints lw 2 pt 7 lc rgb '#1f77b4', \\
     '{files['Kannel']}' using 1:3 title 'Kannel' with linespoints lw 2 pt 5 lc rgb '#d62728'
unset multiplot
"""
    gp = os.path.join(work, "plot.gp")
    with open(gp, "w") as f:
        f.write(script)
    r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if r.returncode != 0 and "pngcairo" in r.stderr:
        with open(gp, "w") as f:
            f.write(script.replace(term, "png size 1100,460"))
        r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if r.returncode != 0:
        log(f"gnuplot failed: {r.stderr.strip()}")
        return False
    return True


def sim_ceiling():
    """The simulator's own ceiling: deliver_sm/s it pushes to a client that only acknowledges."""
    try:
        r = subprocess.run([SIM, "--self-bench", "--mo", "1000000", "--window", "100"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"([0-9]+) deliver_sm/s", r.stdout)
    return int(m.group(1)) if m else None


def targets(results, quick):
    """The targets of the issue that asked for this comparison, met or missed in this run."""
    rows = []

    def get(key, gw):
        r = results.get(key, {}).get(gw)
        return None if r is None or "skipped" in r else r

    def row(what, value, goal, met):
        verdict = "–" if met is None else ("met" if met else "**missed**")
        rows.append(f"| {what} | {value} | {goal} | {verdict} |")

    for key, floor, label in (("a", 100000, "(a) MO/s acknowledged"),
                              ("b", 50000, "(b) MO/s acknowledged, every sender new")):
        t, k = get(key, "twowayd"), get(key, "Kannel")
        if t:
            row(label, fmt_int(t["mo_per_s"]), f"≥ {floor:,}", t["mo_per_s"] >= floor)
            if k:
                x = t["mo_per_s"] / k["mo_per_s"] if k["mo_per_s"] else None
                row(f"{label}, twoway/Kannel", "–" if x is None else f"{x:.2f}×", "≥ 10×",
                    None if x is None else x >= 10)
            row(f"{key}: twowayd CPU per MO at full push", f"{fmt_int(t['cpu_us_per_msg'])} µs",
                "< 15 µs", t["cpu_us_per_msg"] is not None and t["cpu_us_per_msg"] < 15)
            row(f"{key}: twowayd peak RssAnon", f"{t.get('anon_mib', 0):.1f} MiB", "< 100 MiB",
                t.get("anon_mib", 0) < 100)
    t = get("c10000", "twowayd")
    if t:
        row("(c) p99 MO→reply at 10,000 MO/s offered", f"{t['reply']['p99']:.1f} ms", "< 5 ms",
            t["reply"]["count"] > 0 and t["reply"]["p99"] < 5)
    t = get("d", "twowayd")
    if t:
        row("(d) MT/s queued", fmt_int(t["queued_per_s"]), "≥ 100,000",
            t["queued_per_s"] >= 100000)
        row("(d) submit_sm/s acknowledged by the simulator", fmt_int(t["mt_per_s"]),
            "≥ 50,000", t["mt_per_s"] >= 50000)
    elif "d" in results and "twowayd" in results["d"]:
        row("(d) campaign", "not measured: " + results["d"]["twowayd"].get("skipped", ""), "", None)
    if not rows:
        return []
    out = ["## Against the targets\n",
           "The targets set for twowayd on this 2-core machine (simulator included, durable "
           "commits). RSS is judged on `RssAnon` (LMDB's mapped pages aside) and only over this "
           "run's length, not the 10 million MO the target speaks of."
           + (" This was a `--quick` run: smaller counts than the targets assume." if quick
              else "") + "\n",
           "| target | this run | goal | |", "|---|---|---|---|"]
    return out + rows + [""]


def write_report(a, results, sizes, command, started, elapsed, plotted, ceiling):
    L = []
    L.append("# Benchmarks: twowayd and Kannel side by side\n")
    L.append("Written by `scripts/bench-compare.sh`; every figure below comes from one run of the "
             "command shown, on the machine shown. Run it again to get your own.\n")
    L.append(f"- **Command**: `{command}` ({'quick' if a.quick else 'full'} size, "
             f"{elapsed / 60:.1f} minutes)")
    L.append(f"- **Date**: {started.strftime('%Y-%m-%d %H:%M UTC')}")
    L.append(f"- **Tree**: {tree([a.out, a.plot, a.json])}")
    L.append(f"- **Machine**: {machine()}")
    L.append(f"- **Kannel**: {kannel_version()} from Debian (bearerbox + smsbox)")
    L.append("- **Load average** (1 min) at the start and the end of the run: "
             f"{a.load_start:.2f} and {os.getloadavg()[0]:.2f}, on {os.cpu_count()} CPUs "
             "(other work on the machine shows here)")
    L.append("")
    L.append("## How it is measured\n")
    L.append(
        "Everything runs on loopback. Each workload starts a fresh gateway with an empty store "
        "and a fresh `twoway-smsc-sim` with the same flags for both gateways: one transceiver "
        "bind, `--window 100` (deliver_sm outstanding), no delivery receipts (`--no-dlr`: "
        "neither gateway asks for them in this setup), MO text `" + a.text + "`.\n")
    L.append(
        "- **twowayd**: the release build, `storage.durability: durable` (every deliver_sm is "
        "answered after its effects are on disk), one transceiver bind with `window: 100`, "
        "`auto_responder.mode: all`, and a custom keyword `HOURS` with a reply. The MO text is "
        "that keyword because the auto-responder answers a sender at most once per "
        "`auto_responder.period` (at least a minute): with free text, workload (a) would get "
        "one reply per sender from twowayd and one per MO from Kannel. A keyword is answered "
        "every time by both, so both send one MT per MO.")
    L.append(
        "- **Kannel**: bearerbox + smsbox, `store-type = file`, `log-level = 2` (warning), an "
        "SMPP `group = smsc` with `transceiver-mode = true` and `max-pending-submits = 100`, a "
        "`group = sms-service` with `keyword = default` and a static `text` (every MO "
        "answered), a `group = sendsms-user` for (d). Kannel's file store is rewritten "
        "periodically, not flushed before each deliver_sm_resp: it does less durable work "
        "per MO than twowayd.")
    L.append(
        "- **MO/s acknowledged**: MO messages acknowledged by the gateway (deliver_sm_resp OK), "
        "from the first deliver_sm sent to the last one acknowledged. **MT/s**: submit_sm "
        "acknowledged by the simulator, from the first to the last.")
    L.append(
        "- **MO-ack latency**: deliver_sm sent → its deliver_sm_resp. **MO→reply**: deliver_sm "
        "sent → the first submit_sm to that sender afterwards (per sender, in order). "
        "Percentiles are nearest-rank over every message.")
    L.append(
        "- **CPU s**: utime + stime (`/proc/PID/stat`) of the gateway processes (twowayd; "
        "bearerbox + smsbox) from the first MO sent (for (d): the first request) to the last MO "
        "acknowledged or MT received, sampled every 20 ms. **Peak RSS**: `VmHWM` of each "
        "gateway process at the end (Kannel: the two summed), mapped files included (twowayd's "
        "LMDB pages count there); in brackets the largest `RssAnon` seen in the 20 ms samples, "
        "the memory the process itself holds. The simulator's own CPU is not counted, and for "
        "(d) neither is the HTTP driver's.")
    L.append(
        "- **The simulator's ceiling**: `twoway-smsc-sim --self-bench --mo 1000000 --window 100` "
        "(the same window, a client that only acknowledges) pushed "
        + (f"{ceiling:,} deliver_sm/s" if ceiling else "(not measured)")
        + " in this run, far above what either gateway takes: the gateways, not the simulator, "
        "bound the figures below (the simulator does share the two cores with them).")
    L.append(
        "- **Reading MO-ack against MO→reply**: bearerbox answers a deliver_sm once it has "
        "queued the message for smsbox, before any reply exists; where MO come faster than "
        "Kannel sends replies, its queue grows over the run and so does its MO→reply latency, "
        "while its MO-ack latency stays low. twowayd answers a deliver_sm only after the "
        "message's effects are committed to disk, so its MO-ack latency carries the commit.")
    L.append(
        "- **Ratios** are twoway/Kannel: above 1 is better for twowayd in the rates, below 1 "
        "better in latency, CPU and memory.")
    L.append(
        "- **Noise**: the machine's two cores are shared with the simulator, the other gateway's "
        "leftovers and, while these figures were taken, other builds; loopback and disk-flush "
        "figures swing 30-40 % between runs. Compare the ratios within one run, not the "
        "figures across runs.\n")
    L.append("## Results\n")
    titles = {
        "a": f"(a) {fmt_int(sizes['a'][0])} MO from {fmt_int(sizes['a'][1])} numbers, as fast as "
             "the window allows",
        "b": f"(b) {fmt_int(sizes['b'][0])} MO, each from a new number, as fast as the window "
             "allows",
    }
    for rate in a.rates:
        n = sizes["c"][rate]
        titles[f"c{rate}"] = (f"(c) {rate:,} MO/s offered for {a.rate_seconds:g} s "
                              f"({n:,} MO from {fmt_int(min(n, sizes['c_senders']))} numbers)")
    for key, title in titles.items():
        if key not in results:
            continue
        t, k = results[key].get("twowayd"), results[key].get("Kannel")
        L.append(f"### {title}\n")
        L.append(MO_COLUMNS)
        L.append(mo_row("twowayd", t))
        L.append(mo_row("Kannel", k))
        rr = mo_ratio_row(t, k)
        if rr:
            L.append(rr)
        L.append("")
    if "d" in results:
        L.append(f"### (d) a campaign to {fmt_int(sizes['d'])} subscribers\n")
        L.append("| gateway | how | queued | queued/s | submit_sm acked by the SMSC | "
                 "submit_sm/s acked | CPU s | CPU µs per MT | peak RSS (anon) MiB |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        rows = {}
        for gw in ("twowayd", "Kannel"):
            r = results["d"].get(gw)
            if r is None:
                L.append(f"| {gw} | not run | | | | | | | |")
            elif "skipped" in r:
                L.append(f"| {gw} | skipped: {r['skipped']} | | | | | | | |")
            else:
                rows[gw] = r
                L.append(f"| {gw} | {r['how']} | {fmt_int(r['queued'])} | "
                         f"{fmt_int(r['queued_per_s'])} | {fmt_int(r['mt'])} | "
                         f"{fmt_int(r['mt_per_s'])} | {r['cpu_s']:.2f} | "
                         f"{fmt_int(r['cpu_us_per_msg'])} | {fmt_mem(r)} |")
        if len(rows) == 2:
            t, k = rows["twowayd"], rows["Kannel"]
            L.append(f"| twoway/Kannel | | | {ratio(t['queued_per_s'], k['queued_per_s'])} | | "
                     f"{ratio(t['mt_per_s'], k['mt_per_s'])} | {ratio(t['cpu_s'], k['cpu_s'])} | "
                     f"{ratio(t['cpu_us_per_msg'], k['cpu_us_per_msg'])} | "
                     f"{ratio(t['rss_mib'], k['rss_mib'])} |")
        L.append("")
    L.extend(targets(results, a.quick))
    # What bounds the figures: written by hand from profiles (scripts/profile-gateway.sh), kept
    # in its own file so that a new run of this script does not lose it.
    if os.path.isfile(BOUNDS):
        with open(BOUNDS, encoding="utf-8") as f:
            L.append(f.read().rstrip("\n") + "\n")
    if plotted:
        rel = os.path.relpath(os.path.abspath(a.plot), os.path.dirname(os.path.abspath(a.out)))
        L.append("## Throughput and p99 latency against the offered rate\n")
        L.append(f"![MO/s acknowledged and p99 MO→reply against the offered rate]({rel})\n")
    return "\n".join(L) + "\n"


def main():
    a = parse_args()
    for path, what in ((SIM, "twoway-smsc-sim"), (TWOWAYD, "twowayd"), (TWOWAYCTL, "twowayctl")):
        if not os.access(path, os.X_OK):
            sys.exit(f"bench-compare: {what} not found at {path} (build it, or set TWOWAY_BIN)")
    gateways = {"both": [Twowayd, Kannel], "twoway": [Twowayd], "kannel": [Kannel]}[a.only]
    if Kannel in gateways and not (os.access(BEARERBOX, os.X_OK) and os.access(SMSBOX, os.X_OK)):
        sys.exit("bench-compare: Kannel is not installed (apt-get install kannel; "
                 "scripts/install-deps.sh installs it)")
    q = 0.1 if a.quick else 1.0
    s = a.scale
    sizes = {
        "a": (max(1, int(200000 * q * s)), max(1, int(10000 * q * s))),
        "b": (max(1, int(100000 * q * s)),) * 2,
        "c": {r: max(1, int(r * a.rate_seconds * s)) for r in a.rates},
        "c_senders": max(1, int(10000 * q * s)),
        "d": max(1, int(1000000 * (0.02 if a.quick else 1.0) * s)),
    }
    started = datetime.datetime.now(datetime.timezone.utc)
    a.load_start = os.getloadavg()[0]
    t_start = time.monotonic()
    work = tempfile.mkdtemp(prefix="twoway-bench-compare.")
    text_file = os.path.join(work, "texts.txt")
    with open(text_file, "w") as f:
        f.write(a.text + "\n")
    results = {}
    failures = 0
    try:
        plan = []
        if "a" in a.workloads:
            plan.append(("a", dict(mo=sizes["a"][0], senders=sizes["a"][1], rate=0)))
        if "b" in a.workloads:
            plan.append(("b", dict(mo=sizes["b"][0], senders=sizes["b"][1], rate=0)))
        if "c" in a.workloads:
            for r in a.rates:
                n = sizes["c"][r]
                plan.append((f"c{r}", dict(mo=n, senders=min(n, sizes["c_senders"]), rate=r)))
        for key, kw in plan:
            for gw in gateways:
                log(f"{key}: {gw.name}, {kw['mo']:,} MO from {kw['senders']:,} numbers"
                    + (f" at {kw['rate']:,}/s" if kw["rate"] else ""))
                try:
                    r = run_mo(gw, work, key, text_file=text_file, **kw)
                except Exception as e:  # one failed run is reported, the others still run
                    log(f"{key}: {gw.name} failed: {e}")
                    failures += 1
                    continue
                results.setdefault(key, {})[gw.name] = r
                log(f"{key}: {gw.name}: {r['mo_acked']:,} MO acked at {r['mo_per_s']:,.0f}/s, "
                    f"{r['mt']:,} MT at {r['mt_per_s']:,.0f}/s, MO→reply p99 "
                    f"{r['reply']['p99']:.1f} ms, CPU {r['cpu_s']:.2f} s, "
                    f"RSS {r['rss_mib']:.1f} MiB")
        if "d" in a.workloads:
            for gw in gateways:
                log(f"d: {gw.name}, campaign to {sizes['d']:,} subscribers")
                try:
                    r = run_campaign(gw, work, "d", n=sizes["d"], text_file=text_file)
                except Exception as e:
                    log(f"d: {gw.name} failed: {e}")
                    failures += 1
                    continue
                results.setdefault("d", {})[gw.name] = r
                if "skipped" in r:
                    log(f"d: {gw.name} skipped: {r['skipped']}")
                else:
                    log(f"d: {gw.name}: {r['queued']:,} queued at {r['queued_per_s']:,.0f}/s, "
                        f"{r['mt']:,} submit_sm acked at {r['mt_per_s']:,.0f}/s")
        plotted = plot(results, a.rates, a.plot, work) if "c" in a.workloads else False
        command = "scripts/bench-compare.sh" + "".join(
            f" {x}" if x.startswith("-") or " " not in x else f" '{x}'"
            for x in figure_args(sys.argv[1:]))
        log("the simulator's ceiling (--self-bench)")
        ceiling = sim_ceiling()
        text = write_report(a, results, sizes, command, started, time.monotonic() - t_start,
                            plotted, ceiling)
        with open(a.out, "w") as f:
            f.write(text)
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"sizes": {k: v for k, v in sizes.items() if k != "c"},
                           "results": results}, f, indent=2)
        print(text)
        log(f"wrote {a.out}" + (f" and {a.plot}" if plotted else ""))
        if a.check:
            if not results:
                log("check: no run completed")
                failures += 1
            for key, by_gw in results.items():
                for gw, r in by_gw.items():
                    if "skipped" in r:
                        continue
                    want = r["queued"] if "queued" in r else r["mo_sent"]
                    got = r["mt"] if "queued" in r else min(r["mo_acked"], r["mt"])
                    if got < want:
                        log(f"check: {key} {gw}: {got:,} of {want:,} answered")
                        failures += 1
    finally:
        if a.keep:
            log(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
