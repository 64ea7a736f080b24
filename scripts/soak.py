#!/usr/bin/env python3
"""Survival runs of the real twowayd against twoway-smsc-sim (started by scripts/soak.sh).

soak mode: each round starts a simulator with its own numbers and MO load, starts twowayd on the
one durable store, kills it with SIGKILL after a random number of acknowledged MO, checks that
the store opens (mdb_stat), starts twowayd again on it, lets the simulator finish, and checks
the store (the `export` admin command) against what the simulators recorded as acknowledged:
nothing acknowledged lost, duplicates counted and bounded by the MO in flight at the kill,
every answer submitted or still queued, consent as the customers' own keywords left it.

faults mode: two simulators, two SMSC entries; one SMSC is down for the first part of the run
while the other one meets throttling storms, bind refusals, half-open links, drops mid-window,
slow answers, garbage and oversized frames and SMSC-initiated unbinds; `status` is timed
throughout, reconnect backoffs are read from the log, and every message is accounted for.

Only the standard library. Everything runs on loopback in a temporary directory and is
stopped on exit.
"""

import argparse
import collections
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

# The checker's own reading of the simulator's built-in mix: which texts change consent. Kept
# apart from the engine's keyword tables on purpose (the engine is what is checked).
OPT_OUT_TEXTS = {"stop", "stop all", "stopall", "unsubscribe", "quit", "end", "cancel"}
OPT_IN_TEXTS = {"start", "unstop"}

PROCS = []  # every process started, stopped on exit
FAULT_KINDS = ("drop", "silent", "garbage", "oversized", "unbind", "slow")


def log(msg):
    print(msg, flush=True)


def stop_all():
    for p in PROCS:
        if p.poll() is None:
            try:
                p.kill()
            except OSError:
                pass
    for p in PROCS:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Admin:
    """One command line per connection to twowayd's admin socket."""

    def __init__(self, path):
        self.path = path

    def call(self, line, timeout=10.0):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        try:
            s.connect(self.path)
            s.sendall(line.encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                data += chunk
        finally:
            s.close()
        return json.loads(data.decode())

    def ready(self):
        try:
            return self.call("status", timeout=1.0).get("ok", False)
        except (OSError, ValueError):
            return False

    def export_all(self):
        rows, cursor = [], None
        for _ in range(100000):
            line = "export --since 1970-01-01 --limit 1000"
            if cursor:
                line += " --after " + cursor
            r = self.call(line, timeout=30.0)
            if not r.get("ok"):
                raise RuntimeError("export failed: %r" % r)
            rows.extend(r["messages"])
            cursor = r.get("next_cursor")
            if not cursor:
                return rows
        raise RuntimeError("export did not end")


class Daemon:
    def __init__(self, binary, workdir, config):
        self.binary, self.workdir, self.config = binary, workdir, config
        self.proc = None
        self.starts = 0
        self.log_path = os.path.join(workdir, "twowayd.log")
        self.admin = Admin(os.path.join(workdir, "admin.sock"))

    def start(self, timeout=20.0):
        self.starts += 1
        out = open(self.log_path, "ab")
        out.write(b"---- start %d\n" % self.starts)
        out.flush()
        self.proc = subprocess.Popen(
            [self.binary, "--config", self.config, "--foreground"], stdout=out, stderr=out
        )
        out.close()
        PROCS.append(self.proc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("twowayd exited with %s (see its log)" % self.proc.returncode)
            if self.admin.ready():
                return
            time.sleep(0.02)
        raise RuntimeError("twowayd did not answer status within %.0f s" % timeout)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout=20.0):
        if self.proc is None or self.proc.poll() is not None:
            return True
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
            return rc == 0
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return False


class Sim:
    """A twoway-smsc-sim process and its records file."""

    def __init__(self, binary, workdir, name, extra, port=0):
        self.name = name
        self.records = os.path.join(workdir, name + ".records.jsonl")
        self.report = os.path.join(workdir, name + ".report.json")
        port_file = os.path.join(workdir, name + ".port")
        self.args = [binary, "--port", str(port), "--port-file", port_file,
                     "--records", self.records, "--json-out", self.report,
                     "--max-seconds", "3600"] + extra
        self.port_file = port_file
        self.proc = None
        self.port = port
        self._read_at, self._mo, self._mt = 0, [], []

    def start(self):
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        out = open(self.port_file + ".log", "ab")
        self.proc = subprocess.Popen(self.args, stdout=out, stderr=out)
        out.close()
        PROCS.append(self.proc)
        for _ in range(400):
            if os.path.exists(self.port_file) and open(self.port_file).read().strip():
                self.port = int(open(self.port_file).read())
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        raise RuntimeError("simulator %s did not start" % self.name)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def read(self):
        """New complete lines since the last call."""
        if not os.path.exists(self.records):
            return
        with open(self.records, "rb") as f:
            f.seek(self._read_at)
            data = f.read()
        end = data.rfind(b"\n")
        if end < 0:
            return
        self._read_at += end + 1
        for line in data[: end + 1].splitlines():
            r = json.loads(line)
            (self._mo if r["type"] == "mo" else self._mt).append(r)

    @property
    def mo(self):
        self.read()
        return self._mo

    @property
    def mt(self):
        self.read()
        return self._mt


def e164(n):
    return n if n.startswith("+") else "+" + n


def canon_id(message_id):
    """A message id as the store keeps it (lower case, no leading zeros)."""
    i = message_id.strip().lower().lstrip("0")
    return i or ("0" if message_id.strip() else "")


def wait_until(pred, timeout, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def mdb_ok(path):
    """The store opens cleanly: mdb_stat reads the environment and every named database."""
    if shutil.which("mdb_stat") is None:
        return True, "mdb_stat not installed (lmdb-utils): checked by twowayd starting"
    r = subprocess.run(["mdb_stat", "-a", path], capture_output=True, text=True)
    return r.returncode == 0, (r.stderr.strip() or "ok")


class Checker:
    """Compares the store (export rows) with what the simulators recorded."""

    def __init__(self, admin):
        self.admin = admin

    def check(self, sims, rows):
        mo = [r for sim in sims for r in sim.mo]
        mt = [r for sim in sims for r in sim.mt]
        return self.compare(mo, mt, rows)

    def self_check(self, sims, rows):
        """Feeds the comparison a loss, an unexplained duplicate, a consent regression and an
        answer with an id the SMSC never issued; returns what it failed to see ([] = all)."""
        mo = [r for sim in sims for r in sim.mo]
        mt = [r for sim in sims for r in sim.mt]
        missed = []
        inbound = [m for m in rows if m["direction"] == "in"]
        ok_keys = {(e164(r["from"]), r["text"]) for r in mo if r["ok"]}
        victim = next((m for m in inbound if (m["from"], m["text"]) in ok_keys), None)
        if victim is None:
            return ["no stored MO to play with"]
        if self.compare(mo, mt, [m for m in rows if m is not victim])["lost"] != 1:
            missed.append("a lost MO")
        quiet = [r for r in mo if r["ok"] and not r["redelivered"]]
        extra = dict(victim, id=0)
        if quiet:
            extra["from"], extra["text"] = e164(quiet[0]["from"]), quiet[0]["text"]
        if self.compare(mo, mt, rows + [extra])["dups_unexplained"] < 1:
            missed.append("a duplicate of an MO never in flight at a kill")
        stop = dict(quiet[-1] if quiet else mo[-1], text="START", at_us=1 << 62)
        stop_from = e164(stop["from"])
        now = self.admin.call("consent " + stop_from).get("consent")
        stop["text"] = "STOP" if now == "subscribed" else "START"
        if self.compare(mo + [stop], mt, rows)["regressed"] < 1:
            missed.append("a consent regression")
        sent = [m for m in rows if m["direction"] == "out" and m["state"] in ("sent", "delivered")]
        if sent and self.compare(mo, mt, rows + [dict(sent[0], smsc_ids=["feedface"])])[
                "out_unknown"] < 1:
            missed.append("an answer marked sent with an id the SMSC never issued")
        return missed

    def compare(self, mo, mt, rows):
        acked = collections.Counter()       # (from, text) -> MO acknowledged with ESME_ROK
        in_flight = collections.Counter()   # (from, text) -> times resent after a link closed
        refused = 0
        for r in mo:
            if not r["ok"]:
                refused += 1
                continue
            key = (e164(r["from"]), r["text"])
            acked[key] += 1
            in_flight[key] += r["redelivered"]  # each resend can be stored once more
        stored = collections.Counter()
        for m in rows:
            if m["direction"] == "in":
                stored[(m["from"], m["text"])] += 1
        lost = {k: acked[k] - stored[k] for k in acked if stored[k] < acked[k]}
        dups = {k: stored[k] - acked[k] for k in stored if stored[k] > acked[k] and k in acked}
        strays = {k: v for k, v in stored.items() if k not in acked}
        # A duplicate is explained by a crash window when its MO was outstanding on a link that
        # closed (the simulator sent it again) -- SMPP's at-least-once after a lost answer.
        unexplained = {k: v - in_flight[k] for k, v in dups.items() if v > in_flight[k]}

        # Outbound: each message the SMSC took carries ids the simulator issued.
        mt_ids = collections.Counter()
        for r in mt:
            mt_ids[canon_id(r["message_id"])] += 1
        out = collections.Counter()
        unknown_ids = []
        recorded_ids = set()
        for m in rows:
            if m["direction"] != "out":
                continue
            out[m["state"]] += 1
            if m["state"] in ("sent", "delivered"):
                ids = m.get("smsc_ids", [])
                if not ids or any(not i or canon_id(i) not in mt_ids for i in ids):
                    unknown_ids.append(m["id"])
            recorded_ids.update(canon_id(i) for i in m.get("smsc_ids", []) if i)
        # MT the SMSC accepted that no message records: taken, then the daemon died before it
        # stored the answer, and sent again after the restart.
        unrecorded_mt = sum(n for i, n in mt_ids.items() if i not in recorded_ids)

        # Consent: the last opt-out or opt-in text a number got acknowledged decides.
        last = {}
        for r in sorted((r for r in mo if r["ok"]), key=lambda r: r["at_us"]):
            word = " ".join(r["text"].lower().split())
            if word in OPT_OUT_TEXTS:
                last[e164(r["from"])] = "unsubscribed"
            elif word in OPT_IN_TEXTS:
                last[e164(r["from"])] = "subscribed"
        regressions = []
        for number, want in sorted(last.items()):
            r = self.admin.call("consent " + number)
            got = r.get("consent") if r.get("ok") else "no profile"
            if got != want:
                regressions.append((number, want, got))
        return {
            "acked": sum(acked.values()),
            "stored_in": sum(stored[k] for k in acked),
            "lost": sum(lost.values()),
            "lost_keys": list(lost.items())[:10],
            "dups": sum(dups.values()),
            "dups_unexplained": sum(unexplained.values()),
            "dup_keys": list(dups.items())[:10],
            "strays": sum(strays.values()),
            "refused": refused,
            "out": dict(out),
            "out_unknown_ids": unknown_ids[:10],
            "out_unknown": len(unknown_ids),
            "mt_resent": unrecorded_mt,
            "consent_checked": len(last),
            "regressions": regressions[:10],
            "regressed": len(regressions),
        }


def write_config(path, workdir, smscs, numbers, fast_links):
    lines = [
        "organization:",
        "  name: Soak Shop",
        "  prefix: Soak",
        "  support_email: help@soak.example",
        "smscs:",
    ]
    for s in smscs:
        lines += [
            "  - name: %s" % s["name"],
            "    host: 127.0.0.1",
            "    port: %d" % s["port"],
            "    system_id: twoway",
            "    password: soak",
            "    window: 10",
        ]
        if fast_links:
            lines += [
                "    enquire_link_interval: 1s",
                "    enquire_link_timeout: 1s",
                "    request_timeout: 2s",
                "    reconnect_min: 200ms",
                "    reconnect_max: 2s",
                "    bind_failure_backoff: 500ms",
            ]
        else:
            lines += ["    reconnect_min: 100ms", "    reconnect_max: 1s"]
    lines.append("numbers:")
    for number, smsc in numbers:
        lines += ['  - number: "%s"' % number, "    smsc: %s" % smsc]
    lines += [
        "default_region: US",
        "storage:",
        "  path: %s" % os.path.join(workdir, "state"),
        "  durability: durable",
        "admin:",
        "  socket: %s" % os.path.join(workdir, "admin.sock"),
        "logging:",
        "  level: info",
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def settle(sims, mo_each, daemon, timeout, drain_timeout):
    """Waits until every MO is settled at the simulators, then (at most `drain_timeout`) for
    the outbox to empty: an answer whose link failed waits out its retry backoff, and is
    counted as still queued, which is allowed."""
    ok_mo = wait_until(lambda: all(len(s.mo) >= mo_each for s in sims), timeout)

    def drained():
        try:
            r = daemon.admin.call("status", timeout=2.0)
            return r.get("ok") and r.get("outbox_depth", 1) == 0
        except (OSError, ValueError):
            return False

    ok_out = wait_until(drained, drain_timeout, step=0.1)
    return ok_mo, ok_out


def sim_load_args(a, round_no, to, offset):
    return ["--system-id", "twoway", "--password", "soak", "--to", to,
            "--mo", str(a.mo), "--from-count", str(a.senders), "--from-prefix", "1555",
            "--from-offset", str(offset), "--rate", str(a.rate), "--window", str(a.window),
            "--seed", str(a.seed * 1000 + round_no)]


def soak(a, bindir, workdir):
    rng = random.Random(a.seed)
    cfg = os.path.join(workdir, "twoway.yaml")
    daemon = Daemon(os.path.join(bindir, "daemon", "twowayd"), workdir, cfg)
    checker = Checker(daemon.admin)
    sims, table, failed = [], [], False
    sim_bin = os.path.join(bindir, "tools", "twoway-smsc-sim")
    for rnd in range(1, a.rounds + 1):
        t0 = time.monotonic()
        sim = Sim(sim_bin, workdir, "sim%d" % rnd,
                  sim_load_args(a, rnd, "15550001111", (rnd - 1) * a.senders))
        sim.start()
        sims.append(sim)
        write_config(cfg, workdir, [{"name": "sim", "port": sim.port}],
                     [("+15550001111", "sim")], fast_links=False)
        daemon.start()
        # The kill comes after a random share of this round's MO was acknowledged, plus a
        # random few milliseconds: somewhere in the middle of the load.
        target = rng.randint(1, max(1, a.mo - 1))
        wait_until(lambda: len(sim.mo) >= target, 60, step=0.002)
        time.sleep(rng.random() * 0.02)
        acked_at_kill = sum(1 for r in sim.mo if r["ok"])
        daemon.kill9()
        store_ok, store_msg = mdb_ok(os.path.join(workdir, "state"))
        daemon.start()
        ok_mo, ok_out = settle([sim], a.mo, daemon, a.settle_seconds, a.drain_seconds)
        rows = daemon.admin.export_all()
        c = checker.check(sims, rows)
        missed = checker.self_check(sims, rows) if rnd == a.rounds else []
        graceful = daemon.stop()
        sim.stop()
        in_flight = sum(1 for r in sim.mo if r["redelivered"])
        prev_dups = table[-1]["dups"] if table else 0
        round_dups = c["dups"] - prev_dups
        problems = []
        if c["lost"]:
            problems.append("LOST %d %s" % (c["lost"], c["lost_keys"]))
        if not store_ok:
            problems.append("store did not open after the kill: " + store_msg)
        if not ok_mo:
            problems.append("MO not all settled within %ss" % a.settle_seconds)
        if c["out_unknown"]:
            problems.append("answers marked sent with ids the SMSC never issued: %s"
                            % c["out_unknown_ids"])
        if c["regressed"]:
            problems.append("consent regressed: %s" % c["regressions"])
        if round_dups > a.dup_bound:
            problems.append("duplicates %d over the bound %d" % (round_dups, a.dup_bound))
        if c["dups_unexplained"]:
            problems.append("%d duplicates of MO that were not in flight at a kill: %s"
                            % (c["dups_unexplained"], c["dup_keys"]))
        if c["out"].get("failed", 0) > a.max_failed_out:
            problems.append("%d answers failed" % c["out"]["failed"])
        if not graceful:
            problems.append("twowayd did not stop cleanly on SIGTERM")
        if missed:
            problems.append("the checker did not see %s" % ", ".join(missed))
        elif rnd == a.rounds:
            log("checker self-check: a lost MO, an unexplained duplicate, a consent regression "
                "and an answer with an id the SMSC never issued are each caught")
        row = {"round": rnd, "sent": a.mo, "acked": c["acked"], "stored": c["stored_in"],
               "lost": c["lost"], "dups": c["dups"], "round_dups": round_dups,
               "in_flight": in_flight, "acked_at_kill": acked_at_kill,
               "refused": c["refused"], "out": c["out"], "mt_resent": c["mt_resent"],
               "consent_checked": c["consent_checked"], "seconds": time.monotonic() - t0}
        table.append(row)
        log("round %d: killed after %d/%d acked; MO acked %d (all rounds), stored %d, lost %d, "
            "duplicates %d this round (bound %d, in flight at the kill %d), answers %s, "
            "MT resent after the kill %d, consent checked %d numbers, %.1f s%s"
            % (rnd, acked_at_kill, a.mo, c["acked"], c["stored_in"], c["lost"], round_dups,
               a.dup_bound, in_flight, json.dumps(c["out"], sort_keys=True), c["mt_resent"],
               c["consent_checked"], row["seconds"],
               "" if not problems else " -- FAIL: " + "; ".join(problems)))
        if problems:
            failed = True
            if not a.keep_going:
                break
    total_sent = sum(r["sent"] for r in table)
    last = table[-1] if table else {}
    log("")
    log("| rounds | MO sent | acknowledged | stored | lost | duplicates | duplicate bound "
        "| in flight at kills | refused |")
    log("|---|---|---|---|---|---|---|---|---|")
    log("| %d | %d | %d | %d | %d | %d | %d per round (max seen %d) | %d | %d |"
        % (len(table), total_sent, last.get("acked", 0), last.get("stored", 0),
           last.get("lost", 0), last.get("dups", 0), a.dup_bound,
           max((r["round_dups"] for r in table), default=0),
           sum(r["in_flight"] for r in table), last.get("refused", 0)))
    return 1 if failed else 0


def faults(a, bindir, workdir):
    """Two SMSCs under faults; one is down for the first part of the run."""
    rng = random.Random(a.seed)
    cfg = os.path.join(workdir, "twoway.yaml")
    sim_bin = os.path.join(bindir, "tools", "twoway-smsc-sim")
    port_b = free_port()
    # SMSC a: every fault of the simulator's mix (drops, garbage, oversized frames, unbinds,
    # half-open silence, slow answers then a drop), refused binds, throttling storms.
    sim_a = Sim(sim_bin, workdir, "smsc_a",
                sim_load_args(a, 1, "15550001111", 0)
                + ["--fault-mix", "--fault-cycle", "--fault-min", "20",
                   "--fault-max", str(max(40, a.mo // 6)),
                   "--refuse-binds", "2", "--throttle-every", "5", "--msgqful-every", "11"])
    # SMSC b: down at first, then slow (every answer delayed) with the other numbers.
    sim_b = Sim(sim_bin, workdir, "smsc_b",
                sim_load_args(a, 2, "15550002222", a.senders)
                + ["--delay-ms", "150", "--syserr-every", "13"], port=port_b)
    sim_a.start()
    write_config(cfg, workdir, [{"name": "a", "port": sim_a.port}, {"name": "b", "port": port_b}],
                 [("+15550001111", "a"), ("+15550002222", "b")], fast_links=True)
    daemon = Daemon(os.path.join(bindir, "daemon", "twowayd"), workdir, cfg)
    t0 = time.monotonic()
    daemon.start()
    latencies, status_errors = [], 0
    down_until = t0 + a.down_seconds
    b_started = False
    kills = 0
    deadline = t0 + a.settle_seconds + a.down_seconds + 30
    while time.monotonic() < deadline:
        t = time.monotonic()
        try:
            r = daemon.admin.call("status", timeout=5.0)
            if not r.get("ok"):
                status_errors += 1
        except (OSError, ValueError):
            status_errors += 1
        latencies.append(time.monotonic() - t)
        if not b_started and time.monotonic() >= down_until:
            sim_b.start()
            b_started = True
        if a.kill_in_faults and kills == 0 and b_started and len(sim_a.mo) > a.mo // 2:
            time.sleep(rng.random() * 0.05)
            daemon.kill9()
            kills += 1
            ok, msg = mdb_ok(os.path.join(workdir, "state"))
            if not ok:
                log("store did not open after the kill: " + msg)
                return 1
            daemon.start()
        if b_started and len(sim_a.mo) >= a.mo and len(sim_b.mo) >= a.mo:
            break
        time.sleep(0.2)
    t_mo = time.monotonic() - t0
    ok_mo, ok_out = settle([sim_a, sim_b], a.mo, daemon, a.settle_seconds, a.drain_seconds)
    t_drained = time.monotonic() - t0
    rows = daemon.admin.export_all()
    c = Checker(daemon.admin).check([sim_a, sim_b], rows)
    graceful = daemon.stop()
    sim_a.stop()
    sim_b.stop()
    rep_a = json.load(open(sim_a.report)) if os.path.exists(sim_a.report) else {}
    rep_b = json.load(open(sim_b.report)) if os.path.exists(sim_b.report) else {}
    backoffs = collections.defaultdict(list)
    with open(daemon.log_path, errors="replace") as f:
        for line in f:
            m = re.search(r"bind=(\S+) state=backoff .*backoff_ms=(\d+)", line)
            if m:
                backoffs[m.group(1)].append(int(m.group(2)))
    lat = sorted(latencies)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else 0
    b_backoffs = [v for k, v in backoffs.items() if k.startswith("b")]
    b_seq = b_backoffs[0] if b_backoffs else []
    jittered = len(set(b_seq)) > 1 and any(v not in (200, 400, 800, 1600, 2000) for v in b_seq)
    problems = []
    if c["lost"]:
        problems.append("LOST %d %s" % (c["lost"], c["lost_keys"]))
    if not ok_mo:
        problems.append("MO not all settled")
    if c["out_unknown"]:
        problems.append("answers marked sent with unknown ids %s" % c["out_unknown_ids"])
    if c["regressed"]:
        problems.append("consent regressed %s" % c["regressions"])
    if status_errors:
        problems.append("%d status calls failed" % status_errors)
    if lat and lat[-1] > a.max_status_seconds:
        problems.append("status took %.2f s (limit %.2f)" % (lat[-1], a.max_status_seconds))
    if len(b_seq) < 2 or not jittered:
        problems.append("no jittered reconnect backoff logged for the SMSC that was down: %s"
                        % b_seq[:10])
    closes = rep_a.get("connections", 0) + rep_b.get("connections", 0)
    dup_bound = a.dup_bound_faults if a.dup_bound_faults is not None else a.window * closes
    if c["dups"] > dup_bound:
        problems.append("duplicates %d over the bound %d" % (c["dups"], dup_bound))
    if c["dups_unexplained"]:
        problems.append("%d duplicates of MO that were not in flight at a close"
                        % c["dups_unexplained"])
    kinds = rep_a.get("faults_by_kind", {})
    missing = [k for k in FAULT_KINDS if not kinds.get(k)]
    if missing:
        problems.append("faults that never came up: %s (raise --mo)" % missing)
    if not rep_a.get("binds", {}).get("refused"):
        problems.append("no bind was refused")
    if not rep_a.get("mt", {}).get("throttled"):
        problems.append("no submit was throttled")
    if not graceful:
        problems.append("twowayd did not stop cleanly on SIGTERM")
    log("faults: SMSC a injected %s, refused %d binds, throttled %d submits"
        % (json.dumps(kinds, sort_keys=True), rep_a.get("binds", {}).get("refused", 0),
           rep_a.get("mt", {}).get("throttled", 0)))
    log("faults: SMSC b down for %.1f s, %d kill(s); simulator a: %d connections, binds %s, "
        "faults injected %d; simulator b: %d connections, binds %s"
        % (a.down_seconds, kills, rep_a.get("connections", 0), rep_a.get("binds"),
           rep_a.get("faults_injected", 0), rep_b.get("connections", 0), rep_b.get("binds")))
    log("faults: MO sent %d, acknowledged %d, stored %d, lost %d, duplicates %d (bound %d), "
        "refused %d; answers %s, MT resent %d; consent checked %d numbers, regressed %d"
        % (2 * a.mo, c["acked"], c["stored_in"], c["lost"], c["dups"], dup_bound,
           c["refused"], json.dumps(c["out"], sort_keys=True), c["mt_resent"],
           c["consent_checked"], c["regressed"]))
    log("faults: every MO settled after %.1f s; %s after %.1f s"
        % (t_mo, "the outbox empty" if ok_out else "answers still queued (retry backoff)",
           t_drained))
    log("faults: status answered %d times during the run: p50 %.1f ms, p99 %.1f ms, max %.1f ms"
        % (len(lat), p(0.5), p(0.99), (lat[-1] * 1000 if lat else 0)))
    for bind, seq in sorted(backoffs.items()):
        log("faults: reconnect backoffs of bind %s (ms): %s%s"
            % (bind, seq[:12], " ..." if len(seq) > 12 else ""))
    log("faults: %s" % ("ok" if not problems else "FAIL: " + "; ".join(problems)))
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="build folder (holds daemon/ and tools/)")
    ap.add_argument("--faults", action="store_true", help="the SMSC fault run instead")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--mo", type=int, default=200, help="MO per round (per SMSC in --faults)")
    ap.add_argument("--senders", type=int, default=23,
                    help="numbers per round (23: no number gets the same text twice in 322 MO)")
    ap.add_argument("--rate", type=float, default=400, help="MO per second per bind")
    ap.add_argument("--window", type=int, default=10, help="the simulator's MO window")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dup-bound", type=int, default=None,
                    help="duplicates allowed per round (default: the window, the most MO in "
                         "flight at a kill)")
    ap.add_argument("--dup-bound-faults", type=int, default=None,
                    help="duplicates allowed in --faults (default: a window per connection "
                         "the simulators saw close, the most MO in flight at the closes)")
    ap.add_argument("--max-failed-out", type=int, default=0,
                    help="answers allowed to end failed (soak rounds)")
    ap.add_argument("--settle-seconds", type=float, default=60)
    ap.add_argument("--drain-seconds", type=float, default=20,
                    help="wait this long at most for the outbox to empty (what is left is "
                         "reported as still queued)")
    ap.add_argument("--down-seconds", type=float, default=4, help="--faults: SMSC b down this long")
    ap.add_argument("--max-status-seconds", type=float, default=1.0)
    ap.add_argument("--kill-in-faults", action="store_true", help="--faults: one SIGKILL too")
    ap.add_argument("--keep-going", action="store_true", help="run every round after a failure")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    a = ap.parse_args()
    if a.dup_bound is None:
        a.dup_bound = a.window
    workdir = tempfile.mkdtemp(prefix="twoway-soak.")
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sys.exit(130))
    rc = 1
    try:
        rc = faults(a, a.bin, workdir) if a.faults else soak(a, a.bin, workdir)
    except Exception as e:  # report, clean up, fail
        log("soak: %s: %s" % (type(e).__name__, e))
        rc = 1
    finally:
        stop_all()
        if a.keep or rc != 0:
            log("soak: files kept in %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
