#!/usr/bin/env python3
"""The gateway on Spin itself, against floors measured in the same run; called by bench/run.sh
when `spin` is on PATH (or $SPIN names it). Read run.sh first.

Processes (all on 127.0.0.1, stopped at the end):
  backend  the release test host's fake Codex backend (`test-host --fakes`), the upstream of all
  gateway  `spin up` of the shipped spin.toml (the component built as `spin build` builds it),
           a seeded token in its SQLite store, wired to the backend by variables
  pooled   the same gateway with three accounts in its store (an account index and a token per
           account): what several accounts cost a request (the index, each account's cooldown
           and usage, and for sessionless ties the shared turn counter)
  floor    `spin up` of testing/spin-floor: spin-sdk's high-level API forwarding the body to the
           backend and returning the whole answer with a content-length. The floor for any Spin
           gateway. Also served as `/?settings=13&store=2&log=1`: the same after reading 13
           variables (through every variables provider, as the gateway's settings are) and three
           keys of the key-value store (the token, the account index and the Responses Lite
           model list) and writing one log line: the host calls a chat call of the gateway makes
           (runs before 2026-12-06 read 13 settings and 2 keys, what a chat call read then)
  events   `spin up` of testing/spin-events: small events at a fixed pace, nothing else

BENCH_BASELINE_WASM=<path to another build of gateway_component.wasm> adds that build as a second
gateway ("gateway before"), served the same way, to compare two versions in one run.

Every figure is reported next to the direct-upstream and floor figures of the same run, and as a
ratio to them. Nothing here asserts a time: it measures and writes bench/results/<date>-spin.md.
"""
import argparse
import datetime
import http.client
import json
import os
import pathlib
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench import CHAT, CHAT_STREAM, COUNT_TOKENS, MESSAGES, MESSAGES_STREAM, RESPONSES, ROOT, UPSTREAM, Host, Target, log, machine, summary, wrk  # noqa: E402

SPIN = os.environ.get("SPIN", "spin")
RELEASE = ROOT / "target/wasm32-wasip2/release"
KEY = "sk-bench-downstream-key"
# The settings the benchmark's chat call reads (pinned by gateway-core's
# `a_chat_call_reads_only_the_settings_it_uses_each_once`); the floor reads as many first.
CHAT_SETTINGS = 14
CHAT_STORE_READS = 3
FLOOR_READS = f"floor + {CHAT_SETTINGS} settings + {CHAT_STORE_READS} store reads + a log line"
POOL = ("a", "b", "c")
POOLED_CHAT = "3 accounts: chat, non-stream (a session: sticks)"
POOLED_RESPONSES = "3 accounts: responses, non-stream (no session: a tie, broken at random)"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SpinApp:
    """One `spin up`, serving until stop()."""

    def __init__(self, manifest, work, name, variables, state=None, runtime_config=None):
        """`state`: the state directory (Spin's SQLite store), shared when several apps pass the
        same one; `runtime_config`: a runtime config file (a Redis store, say)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.state = state or work / f"{name}-state"
        args = [SPIN, "up", "--from", str(manifest), "--listen", f"127.0.0.1:{self.port}",
                "--state-dir", str(self.state)]
        if runtime_config:
            args += ["--runtime-config-file", str(runtime_config)]
        for k, v in variables.items():
            args += ["--variable", f"{k}={v}"]
        self.log = open(work / f"{name}.log", "w")
        # Its own session: `spin up` runs the trigger as a child, and stop() ends both.
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log, start_new_session=True,
                                     env=spin_env())

    def wait(self, probe="/healthz"):
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", probe)
                conn.getresponse().read()
                return self
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"spin up on {self.url} did not answer; see its log")

    def stop(self):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(10)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue
        self.log.close()


SHIPPED_WASM = "target/wasm32-wasip2/release/gateway_component.wasm"


def gateway_manifest(path, wasm=ROOT / SHIPPED_WASM):
    """The shipped spin.toml at `path`, serving the gateway build `wasm` (an absolute path)."""
    shipped = (ROOT / "spin.toml").read_text()
    path.write_text(shipped.replace(f'source = "{SHIPPED_WASM}"', f'source = "{wasm}"'))
    return path


def seed_token(db, accounts=()):
    """A token record the fake backend accepts, written as `login-cli` writes Spin's store; with
    `accounts`, one per named account and the account index, as `login-cli --account` writes them."""
    db.parent.mkdir(parents=True, exist_ok=True)
    now = int(time.time())

    def record(account_id):
        return {"version": 1, "access_token": f"bench-access-{account_id}", "refresh_token": "rt-initial",
                "account_id": account_id, "plan_type": "plus", "expires_at": now + 86400, "last_refresh": now}
    rows = [("codex-gateway/token", record("acct-bench"))]
    if accounts:
        rows = [(f"codex-gateway/accounts/{name}/token", record(f"acct-{name}")) for name in accounts]
        rows.append(("codex-gateway/accounts", {"version": 1, "accounts": list(accounts)}))
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE IF NOT EXISTS spin_key_value (store TEXT NOT NULL, key TEXT NOT NULL, "
                "value BLOB NOT NULL, PRIMARY KEY (store, key))")
    for key, value in rows:
        con.execute("INSERT OR REPLACE INTO spin_key_value VALUES ('default', ?, ?)",
                    (key, sqlite3.Binary(json.dumps(value).encode())))
    con.commit()
    con.close()


def sequential(target, n, method="POST"):
    """n requests one after another on one keep-alive connection (what the SDKs do): time to the
    response head, to the first body byte, and to the end of the body, in ms."""
    host, port = target.hostport
    conn = http.client.HTTPConnection(host, port)
    body = json.dumps(target.body) if target.body else None
    headers = {"Authorization": target.auth or "Bearer x"}
    if body:
        headers["Content-Type"] = "application/json"
    head, first, whole = [], [], []
    for i in range(n + 20):
        t0 = time.perf_counter()
        conn.request(method, target.path, body, headers)
        resp = conn.getresponse()
        t1 = time.perf_counter()
        b = resp.read(1)
        t2 = time.perf_counter()
        resp.read()
        t3 = time.perf_counter()
        if resp.status != 200 or not b:
            raise SystemExit(f"{target.url}: HTTP {resp.status}")
        if i >= 20:
            head.append((t1 - t0) * 1e3)
            first.append((t2 - t0) * 1e3)
            whole.append((t3 - t0) * 1e3)
    conn.close()
    # A delayed ACK held behind Nagle costs about 40 ms: count them, not just the worst.
    stalls = sum(1 for w in whole if w > 30)
    return {"n": n, "head": summary(head), "first_byte": summary(first), "whole": summary(whole),
            "over_30ms": stalls}


def pacing(target, path, body, events, warm):
    """Arrival times (ms after the request) of the first `events` SSE events of one stream, read
    on a keep-alive connection that has served `warm` requests first: by then the client's
    kernel has left quick-ACK mode and delays its ACKs, as it does for any SDK's connection."""
    host, port = target.hostport
    conn = http.client.HTTPConnection(host, port)
    method = "POST" if body else "GET"
    headers = {"Authorization": target.auth or "Bearer x"}
    if body:
        headers["Content-Type"] = "application/json"
    warm_path, warm_body = warm
    for _ in range(20):
        conn.request(method, warm_path, json.dumps(warm_body) if warm_body else None, headers)
        conn.getresponse().read()
    t0 = time.perf_counter()
    conn.request(method, path, json.dumps(body) if body else None, headers)
    resp = conn.getresponse()
    arrivals, buf = [], b""
    while len(arrivals) < events:
        data = resp.read1(65536)
        if not data:
            break
        now = (time.perf_counter() - t0) * 1e3
        buf += data
        while b"\n\n" in buf:
            event, buf = buf.split(b"\n\n", 1)
            if b"data:" in event:
                arrivals.append(now)
    conn.close()
    return arrivals


def pacing_summary(arrivals, gap):
    # The first events of an answer (created, in progress, role) are not paced.
    arrivals = arrivals[5:]
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    together = sum(1 for g in gaps if g < 1.0)
    late = [g - gap for g in gaps]
    return {"gap_ms": gap, "events": len(arrivals), "arrived_together": together,
            "interarrival_p50_ms": statistics.median(gaps) if gaps else 0,
            "interarrival_max_ms": max(gaps) if gaps else 0,
            "worst_extra_delay_ms": max(late) if late else 0}


# Set, these make Spin 4.0.2 capture a stack trace for every error it creates, and it creates
# one whenever it disposes of a fiber: a WASIp3 stream's cancelled burst wait lost about a sixth
# of its throughput to that on one machine. Deployments do not set them; neither does the bench.
DEBUG_ONLY_ENV = ("RUST_BACKTRACE", "RUST_LIB_BACKTRACE")


def spin_env():
    """The environment `spin up` runs in: this one, less what only debugging sets."""
    return {k: v for k, v in os.environ.items() if k not in DEBUG_ONLY_ENV}


def run_facts():
    """The commit measured and the Spin that served it."""
    # "-dirty" when what ran is not all committed: the report then names no commit that made it.
    commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip()
    version = subprocess.run([SPIN, "--version"], capture_output=True, text=True).stdout.strip()
    unset = ", ".join(k for k in DEBUG_ONLY_ENV if k in os.environ)
    return {"commit": commit, "spin_version": version,
            "spin_env": f"Spin ran without {unset} (set in the bench's own environment)" if unset else ""}


def env_note(r):
    """The report's sentence on what Spin ran without, if anything ("" otherwise)."""
    return f" {r['spin_env']}." if r.get("spin_env") else ""


def save(r, out, write_report):
    """The report of run `r` at `out` (markdown, by `write_report`) and its raw data beside it."""
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_report(r, out)
    out.with_suffix(".json").write_text(json.dumps(r, indent=1) + "\n")
    log(f"wrote {out}")


def ratio(a, b):
    return a / b if b else float("nan")


def write_report(r, path):
    L = [f"# Benchmark on Spin, {r['date']}\n"]
    m = r["machine"]
    L.append(f"Produced by `bench/run.sh` (commit `{r['commit']}`) with `{r['spin_version']}`. Machine: {m['cpu']}, "
             f"{m['cores']} cores, {m['mem_gib']} GiB, Linux {m['kernel']}; load before the run "
             f"{', '.join(f'{x:.2f}' for x in m['load_before'])}. Upstream: the fake Codex backend (release test host), "
             "answering the 52-event text fixture. The floor is `testing/spin-floor` (spin-sdk `Request`/`Response`, "
             "`spin_sdk::http::send`, whole answer with a `content-length`) on the same Spin."
             + env_note(r) + "\n")
    if r.get("baseline"):
        L.append(f"'gateway before' is another build of the gateway served the same way: `{r['baseline']}`.\n")
    L.append("## One keep-alive connection, sequential (what the SDKs do)\n")
    L.append("| route | head p50 / p99 ms | first byte p50 / p99 ms | whole p50 / p99 ms |")
    L.append("|---|---|---|---|")
    for name, s in r["sequential"].items():
        L.append(f"| {name} | {s['head']['p50']:.2f} / {s['head']['p99']:.2f} | {s['first_byte']['p50']:.2f} / "
                 f"{s['first_byte']['p99']:.2f} | {s['whole']['p50']:.2f} / {s['whole']['p99']:.2f} |")
    seq = r["sequential"]
    d = seq["direct upstream, SSE"]
    L.append("")
    f = seq["floor: trivial Spin forwarder"]
    for name in ("gateway chat, non-stream", "gateway chat, stream", "gateway responses, stream"):
        g = seq[name]
        L.append(f"- {name}: whole p99 {g['whole']['p99'] - d['whole']['p99']:+.2f} ms over the upstream's own "
                 f"({g['whole']['p99'] - f['whole']['p99']:+.2f} over the floor's); first byte p99 "
                 f"{g['first_byte']['p99'] - d['first_byte']['p99']:+.2f} ms "
                 f"({g['first_byte']['p99'] - f['first_byte']['p99']:+.2f} over the floor's)")
    L.append("")
    L.append("## Throughput, 32 connections (wrk, 2 threads, keep-alive; best of two rounds)\n")
    L.append("| route | req/s | × floor | × direct | p50 / p99 ms | non-2xx |")
    L.append("|---|---|---|---|---|---|")
    t = r["throughput"]
    floor, direct = t["floor: trivial Spin forwarder"]["rps"], t["direct upstream, SSE"]["rps"]
    for name, w in t.items():
        L.append(f"| {name} | {w['rps']:.0f} | {ratio(w['rps'], floor):.2f} | {ratio(w['rps'], direct):.3f} | "
                 f"{w['p50_ms']:.2f} / {w['p99_ms']:.2f} | {w['non_2xx']} |")
    L.append("")
    L.append("## Small events spaced apart (Spin's own batching)\n")
    L.append("Arrival of 40 events (after the first five of the answer) written `gap` ms apart, each its own write; 'together' counts events that "
             "arrived less than 1 ms after the one before (held back, then sent in one segment).\n")
    L.append("| source | gap ms | together | inter-arrival p50 / max ms | worst extra delay ms |")
    L.append("|---|---|---|---|---|")
    for name, rows in r["pacing"].items():
        for p in rows:
            L.append(f"| {name} | {p['gap_ms']} | {p['arrived_together']} / {p['events'] - 1} | "
                     f"{p['interarrival_p50_ms']:.1f} / {p['interarrival_max_ms']:.1f} | {p['worst_extra_delay_ms']:.1f} |")
    L.append("")
    path.write_text("\n".join(L) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    secs, n = (5, 100) if args.quick else (15, 300)
    work = pathlib.Path(tempfile.mkdtemp(prefix="cgw-spin-bench-"))
    r = {"date": datetime.date.today().isoformat(), "machine": machine()}
    r.update(run_facts())
    r["baseline"] = os.environ.get("BENCH_BASELINE_WASM")

    backend = Host(["--fakes", "--kv", str(work / "backend.db")], work / "backend.log")
    codex = backend.info["codex_url"]
    gateway_manifest(work / "spin.toml")
    baseline = os.environ.get("BENCH_BASELINE_WASM")
    if baseline:
        gateway_manifest(work / "before.toml", baseline)
    wiring = {"downstream_api_key": KEY, "codex_base_url": codex, "upstream_base_url": codex,
              "oauth_issuer": backend.info["oauth_url"]}
    apps = []
    try:
        seed_token(work / "gateway-state" / "sqlite_key_value.db")
        gateway = SpinApp(work / "spin.toml", work, "gateway", wiring)
        apps.append(gateway)
        seed_token(work / "pooled-state" / "sqlite_key_value.db", POOL)
        pooled = SpinApp(work / "spin.toml", work, "pooled", wiring)
        apps.append(pooled)
        before = None
        if baseline:
            seed_token(work / "before-state" / "sqlite_key_value.db")
            before = SpinApp(work / "before.toml", work, "before", wiring)
            apps.append(before)
        floor = SpinApp(ROOT / "testing/spin-floor/spin.toml", work, "floor", {
            "upstream_url": codex + "/backend-api/codex/responses", "upstream_origin": codex})
        apps.append(floor)
        events = SpinApp(ROOT / "testing/spin-events/spin.toml", work, "events", {})
        apps.append(events)
        for app in apps:
            app.wait()
        auth = "Bearer " + KEY
        direct = Target(codex, "/backend-api/codex/responses", UPSTREAM, "Bearer direct")
        floor_t = Target(floor.url, "/", UPSTREAM, None)
        floor_reads = Target(floor.url, f"/?settings={CHAT_SETTINGS}&store={CHAT_STORE_READS}&log=1", UPSTREAM, None)
        chat = Target(gateway.url, "/v1/chat/completions", CHAT, auth)
        chat_stream = Target(gateway.url, "/v1/chat/completions", CHAT_STREAM, auth)
        responses = Target(gateway.url, "/v1/responses", RESPONSES, auth)
        responses_stream = Target(gateway.url, "/v1/responses", dict(RESPONSES, stream=True), auth)
        messages = Target(gateway.url, "/v1/messages", MESSAGES, auth)
        messages_stream = Target(gateway.url, "/v1/messages", MESSAGES_STREAM, auth)
        count_tokens = Target(gateway.url, "/v1/messages/count_tokens", COUNT_TOKENS, auth)
        pooled_chat = Target(pooled.url, "/v1/chat/completions", CHAT, auth)
        pooled_responses = Target(pooled.url, "/v1/responses", RESPONSES, auth)
        healthz = Target(gateway.url, "/healthz", None, None)
        models = Target(gateway.url, "/v1/models", None, auth)

        log("warm-up")
        for t in (chat, chat_stream, floor_t, responses_stream):
            sequential(t, 20)
        wrk(chat, 8, 3)
        wrk(floor_t, 8, 3)

        log("one keep-alive connection")
        r["sequential"] = {
            "direct upstream, SSE": sequential(direct, n),
            "floor: trivial Spin forwarder": sequential(floor_t, n),
            FLOOR_READS: sequential(floor_reads, n),
            "gateway chat, non-stream": sequential(chat, n),
            "gateway chat, stream": sequential(chat_stream, n),
            "gateway responses, non-stream": sequential(responses, n),
            "gateway responses, stream": sequential(responses_stream, n),
            "gateway messages, non-stream": sequential(messages, n),
            "gateway messages, stream": sequential(messages_stream, n),
            "gateway count_tokens (Claude Code's largest /context call)": sequential(count_tokens, n),
            "gateway GET /healthz": sequential(healthz, n, "GET"),
            "gateway GET /v1/models": sequential(models, n, "GET"),
            POOLED_CHAT: sequential(pooled_chat, n),
            POOLED_RESPONSES: sequential(pooled_responses, n),
        }
        if before:
            b = lambda path, body: Target(before.url, path, body, auth)
            r["sequential"].update({
                "gateway before, chat non-stream": sequential(b("/v1/chat/completions", CHAT), n),
                "gateway before, chat stream": sequential(b("/v1/chat/completions", CHAT_STREAM), n),
                "gateway before, GET /healthz": sequential(Target(before.url, "/healthz", None, None), n, "GET"),
            })
        for name, s in r["sequential"].items():
            log(f"  {name}: whole p50 {s['whole']['p50']:.2f} p99 {s['whole']['p99']:.2f} ms")

        log("throughput, 32 connections")
        targets = {
            "direct upstream, SSE": direct,
            "floor: trivial Spin forwarder": floor_t,
            FLOOR_READS: floor_reads,
            "gateway chat, non-stream": chat,
            "gateway chat, stream": chat_stream,
            "gateway responses, non-stream": responses,
            "gateway responses, stream": responses_stream,
            "gateway messages, non-stream": messages,
            "gateway messages, stream": messages_stream,
            "gateway count_tokens": count_tokens,
            "gateway GET /healthz": healthz,
            POOLED_CHAT: pooled_chat,
            POOLED_RESPONSES: pooled_responses,
        }
        if before:
            targets["gateway before, chat non-stream"] = Target(before.url, "/v1/chat/completions", CHAT, auth)
            targets["gateway before, chat stream"] = Target(before.url, "/v1/chat/completions", CHAT_STREAM, auth)
        r["throughput"] = {}
        for _round in range(2):
            for name, target in targets.items():
                w = wrk(target, 32, secs)
                w.pop("raw", None)
                best = r["throughput"].get(name)
                if best is None or w["rps"] > best["rps"]:
                    r["throughput"][name] = w
                log(f"  {name}: {w['rps']:.0f}/s")

        log("event pacing")
        r["pacing"] = {"spin-events (no gateway)": [], "gateway chat stream": [], "direct upstream": []}
        events_t = Target(events.url, "/", None, None)
        for gap in (0, 1, 2, 5, 10, 20, 50):
            arr = pacing(events_t, f"/?n=45&gap_ms={gap}", None, 45, ("/?n=1", None))
            r["pacing"]["spin-events (no gateway)"].append(pacing_summary(arr, gap))
            body = dict(CHAT_STREAM, model=f"gpt-5.4@long-50-{gap}")
            arr = pacing(chat_stream, "/v1/chat/completions", body, 45, ("/v1/chat/completions", CHAT))
            r["pacing"]["gateway chat stream"].append(pacing_summary(arr, gap))
            arr = pacing(direct, "/backend-api/codex/responses", dict(UPSTREAM, model=f"gpt-5.4@long-50-{gap}"),
                         45, ("/backend-api/codex/responses", UPSTREAM))
            r["pacing"]["direct upstream"].append(pacing_summary(arr, gap))
            log(f"  gap {gap} ms: {r['pacing']['spin-events (no gateway)'][-1]}")
    finally:
        for app in apps:
            app.stop()
        backend.stop()
    save(r, args.out, write_report)


if __name__ == "__main__":
    main()
