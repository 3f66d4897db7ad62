#!/usr/bin/env python3
"""Macro benchmark of codex-gateway on loopback; called by bench/run.sh (read that first).

Starts two release test hosts: a backend process (`test-host --fakes`: the fake Codex backend
streaming the golden fixtures) and a gateway process (`test-host --seed-token`: the built .wasm,
wired to that backend), so that the gateway's memory and CPU are its own. Then measures, side
by side, (a) client -> fake backend directly and (b) client -> gateway -> fake backend:

  latency    non-stream chat at fixed request rates (oha -q, latency-corrected)
  throughput max requests/s (wrk, 2 threads, keep-alive)
  ttfb       time to first byte of streams (this script, sequential, keep-alive)
  memory     RSS of the gateway process per in-flight stream, and over a stream's length
  healthz    a trivial guest route vs a trivial native route (instantiation + call overhead)

The load comes from wrk and oha; this script only orchestrates, times first bytes, holds
streams open and reads RSS from /proc. It writes a Markdown report and a JSON file.
"""
import argparse
import asyncio
import datetime
import http.client
import json
import os
import pathlib
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
TEST_HOST = TARGET / "release" / "test-host"
WASM = ROOT / "target/test-wasm/wasm32-wasip2/release/gateway_component.wasm"
POST_LUA = ROOT / "bench/post.lua"

PROMPT = "Say hello."
CHAT = {"model": "gpt-5.4", "messages": [{"role": "user", "content": PROMPT}]}
CHAT_STREAM = dict(CHAT, stream=True)
# What the gateway itself sends upstream for CHAT: the direct client sends the same.
UPSTREAM = {
    "model": "gpt-5.4",
    "instructions": "You are a helpful assistant.",
    "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": PROMPT}]}],
    "store": False,
    "stream": True,
    "include": ["reasoning.encrypted_content"],
}
RESPONSES = {"model": "gpt-5.4", "input": PROMPT}
MESSAGES = {"model": "gpt-5.4", "max_tokens": 1024, "messages": [{"role": "user", "content": PROMPT}]}
MESSAGES_STREAM = dict(MESSAGES, stream=True)
# Claude Code's largest `/context` call (recorded): what count_tokens estimates in the gateway.
COUNT_TOKENS = json.loads((ROOT / "testing/fixtures/anthropic/claude-code/count_tokens.request.json").read_text())


def log(*args):
    print("[bench]", *args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# processes


class Host:
    """One test-host process; `info` is the JSON line it prints once it listens."""

    def __init__(self, args, logfile, env=None):
        self.log = open(logfile, "w")
        self.proc = subprocess.Popen(
            [str(TEST_HOST), *args], stdout=subprocess.PIPE, stderr=self.log, text=True,
            env=dict(os.environ, **(env or {})),
        )
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"test-host {args} did not start; see {logfile}")
        self.info = json.loads(line)

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Target:
    """Where one side of a comparison sends its requests."""

    def __init__(self, base, path, body, auth):
        self.base, self.path, self.body, self.auth = base, path, body, auth

    @property
    def url(self):
        return self.base + self.path

    @property
    def hostport(self):
        host, port = self.base.removeprefix("http://").split(":")
        return host, int(port)


# ---------------------------------------------------------------------------------------------
# load generators

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * UNITS[m.group(2)]


def wrk(target, connections, seconds, threads=2):
    env = dict(os.environ, BENCH_BODY=json.dumps(target.body) if target.body else "", BENCH_AUTH=target.auth or "")
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(POST_LUA), target.url],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    result = {"connections": connections, "seconds": seconds, "raw": out}
    result["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        result[f"p{pct}_ms"] = ms(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", out)
    result["socket_errors"] = m.group(1) if m else ""
    return result


def oha(target, rate, seconds, connections=16):
    args = ["oha", "--no-tui", "--output-format", "json", "-z", f"{seconds}s", "-c", str(connections),
            "-q", str(rate), "--latency-correction", "--disable-compression"]
    if target.body:
        args += ["-m", "POST", "-T", "application/json", "-d", json.dumps(target.body)]
    if target.auth:
        args += ["-H", f"Authorization: {target.auth}"]
    out = subprocess.run(args + [target.url], capture_output=True, text=True, check=True).stdout
    data = json.loads(out)
    pct = data["latencyPercentiles"]
    codes = data.get("statusCodeDistribution", {})
    return {
        "rate": rate,
        "seconds": seconds,
        "achieved_rps": data["summary"]["requestsPerSec"],
        "p50_ms": pct["p50"] * 1e3,
        "p90_ms": pct["p90"] * 1e3,
        "p99_ms": pct["p99"] * 1e3,
        "max_ms": data["summary"]["slowest"] * 1e3,
        "ok": sum(v for k, v in codes.items() if k.startswith("2")),
        "error_kinds": data.get("errorDistribution", {}),
        # Requests still in flight when the duration ends are reported as "aborted due to
        # deadline": not failures.
        "not_ok": sum(v for k, v in codes.items() if not k.startswith("2"))
        + sum(v for k, v in data.get("errorDistribution", {}).items() if "deadline" not in k),
    }


# ---------------------------------------------------------------------------------------------
# time to first byte


def ttfb(target, n):
    """Sequential streamed requests on one keep-alive connection: time to the response head, to
    the first body byte (the first SSE event), and to the end of the stream, in ms."""
    host, port = target.hostport
    conn = http.client.HTTPConnection(host, port)
    body = json.dumps(target.body)
    headers = {"Content-Type": "application/json", "Authorization": target.auth or "Bearer x"}
    head, first, total = [], [], []
    for i in range(n + 20):
        t0 = time.perf_counter()
        conn.request("POST", target.path, body, headers)
        resp = conn.getresponse()
        t1 = time.perf_counter()
        b = resp.read(1)
        t2 = time.perf_counter()
        rest = resp.read()
        t3 = time.perf_counter()
        if resp.status != 200 or not b or b"[DONE]" not in rest and b"response.completed" not in rest:
            raise SystemExit(f"ttfb: bad stream from {target.url}: {resp.status} {rest[-200:]!r}")
        if i >= 20:  # warm-up
            head.append((t1 - t0) * 1e3)
            first.append((t2 - t0) * 1e3)
            total.append((t3 - t0) * 1e3)
    conn.close()
    return {"n": n, "head": summary(head), "first_byte": summary(first), "complete": summary(total)}


def summary(values):
    values = sorted(values)
    at = lambda p: values[min(len(values) - 1, round((len(values) - 1) * p))]
    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": values[-1], "mean": statistics.fmean(values)}


# ---------------------------------------------------------------------------------------------
# in-flight streams and memory


async def hold_streams(target, model, count, sample_at, rss, out):
    """Opens `count` streams of `model` and keeps reading them; at each time in `sample_at`
    (seconds) records the gateway's RSS and the SSE events received per stream."""
    host, port = target.hostport
    body = json.dumps(dict(target.body, model=model)).encode()
    request = (
        f"POST {target.path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Authorization: {target.auth}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    counts = [0] * count
    stop = asyncio.Event()

    async def reader(i):
        r, w = await asyncio.open_connection(host, port)
        w.write(request)
        await w.drain()
        tail = b""
        while not stop.is_set():
            try:
                data = await asyncio.wait_for(r.read(65536), 0.5)
            except asyncio.TimeoutError:
                continue
            if not data:
                break
            chunk = tail + data
            counts[i] += chunk.count(b"data: ")
            tail = chunk[-6:]
            counts[i] -= tail.count(b"data: ")
        w.close()

    tasks = [asyncio.create_task(reader(i)) for i in range(count)]
    started = time.monotonic()
    for at in sample_at:
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        out.append({"t": at, "rss_kib": rss(), "events_per_stream": statistics.fmean(counts),
                    "min_events": min(counts)})
        log(f"  {count} x {model}: t={at}s rss={out[-1]['rss_kib']} KiB events/stream={out[-1]['events_per_stream']:.0f}")
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)


def memory(gateway_host, target, quick):
    result = {}
    time.sleep(2)
    # Length: a few streams as fast as they go; RSS against events sent so far.
    result["fast_4_before_kib"] = gateway_host.rss_kib()
    samples = []
    at = [3, 10] if quick else [3, 10, 20, 30]
    asyncio.run(hold_streams(target, "gpt-5.4@long-100000000", 4, at, gateway_host.rss_kib, samples))
    result["fast_4"] = samples
    # Count: many slow streams (50 ms between deltas, ~20 events/s each, a slow model's pace).
    for count in (64, 256):
        time.sleep(3)
        result[f"slow_{count}_before_kib"] = gateway_host.rss_kib()
        samples = []
        at = [5, 15] if quick else [5, 30]
        asyncio.run(hold_streams(target, "gpt-5.4@long-1000000-50", count, at, gateway_host.rss_kib, samples))
        result[f"slow_{count}"] = samples
    return result


# ---------------------------------------------------------------------------------------------
# report


def machine():
    cpu = ""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
    def run(*a):
        try:
            return subprocess.run(a, capture_output=True, text=True).stdout.strip()
        except FileNotFoundError:
            return ""
    return {
        "cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(int(mem) / 1048576, 1),
        "kernel": platform.release(), "rustc": run("rustc", "--version"),
        "wrk": run("wrk", "-v").splitlines()[0] if run("wrk", "-v") else "wrk", "oha": run("oha", "--version"),
        "load_before": os.getloadavg(),
    }


def criterion_results():
    base = TARGET / "criterion"
    rows = []
    for est in sorted(base.glob("*/*/new/estimates.json")):
        bench = json.loads((est.parent / "benchmark.json").read_text())
        e = json.loads(est.read_text())
        row = {"id": bench["full_id"], "mean_ns": e["mean"]["point_estimate"], "median_ns": e["median"]["point_estimate"]}
        tp = bench.get("throughput") or {}
        if "Bytes" in tp:
            row["bytes"] = tp["Bytes"]
            row["mb_per_s"] = tp["Bytes"] / row["mean_ns"] * 1e3
        if "Elements" in tp:
            row["elements"] = tp["Elements"]
            row["ns_per_element"] = row["mean_ns"] / tp["Elements"]
        rows.append(row)
    return rows


def fmt_ns(ns):
    return f"{ns / 1e3:.2f} µs" if ns >= 1e3 else f"{ns:.0f} ns"


def write_report(r, path):
    L = []
    m = r["machine"]
    L.append(f"# Benchmark run {r['date']}\n")
    L.append(f"Produced by `bench/run.sh` (commit `{r['commit']}`). Machine: {m['cpu']}, {m['cores']} cores, "
             f"{m['mem_gib']} GiB, Linux {m['kernel']}, {m['rustc']}; load generators {m['wrk']}, {m['oha']}. "
             f"Load average before the run: {', '.join(f'{x:.2f}' for x in m['load_before'])} "
             "(the cores are shared with other work; the load generator, the fake backend and the gateway share them too).\n")
    L.append("## Artifacts\n")
    L.append(f"- `.wasm` (release, as shipped): {r['wasm_bytes']:,} bytes ({r['wasm_bytes'] / 1024:.0f} KiB)")
    inst = r.get("instantiate")
    if inst:
        i = inst["instantiate_us"]
        L.append(f"- Per-request instantiation (fresh `Store` + `ProxyPre::instantiate_async`, {inst['iterations']} runs): "
                 f"mean {i['mean']:.1f} µs, p50 {i['p50']:.1f} µs, p90 {i['p90']:.1f} µs, p99 {i['p99']:.1f} µs; "
                 f"one-time component compile {inst['component_compile_ms']:.0f} ms")
    host = r.get("gateway_host", {})
    L.append(f"- Test host serving the gateway: `{host.get('instance_allocator', '?')}` instance allocator "
             "(Spin's default where the address space allows), outbound connections pooled per origin as Spin does")
    L.append("")
    L.append("## Micro (criterion, gateway-core, native)\n")
    L.append("| benchmark | mean | per element / throughput |")
    L.append("|---|---|---|")
    for row in r["criterion"]:
        extra = ""
        if "mb_per_s" in row:
            extra = f"{row['mb_per_s']:.0f} MB/s ({row['bytes']:,} bytes)"
        if "ns_per_element" in row and row["elements"] > 1:
            extra = f"{fmt_ns(row['ns_per_element'])} per event ({row['elements']:,} events)"
        L.append(f"| `{row['id']}` | {fmt_ns(row['mean_ns'])} | {extra} |")
    L.append("")
    L.append("## Non-stream chat latency at fixed rates (oha `-q`, latency-corrected, 16 connections)\n")
    L.append("(a) client → fake backend (`POST /backend-api/codex/responses`, the same upstream body the gateway sends); "
             "(b) client → gateway → fake backend (`POST /v1/chat/completions`, non-stream). Added = (b) − (a).\n")
    L.append("| rate (req/s) | (a) p50 / p90 / p99 ms | (b) p50 / p90 / p99 ms | added p50 / p90 / p99 ms | errors (a)/(b) |")
    L.append("|---|---|---|---|---|")
    for a, b in zip(r["latency"]["direct"], r["latency"]["gateway"]):
        add = [b[k] - a[k] for k in ("p50_ms", "p90_ms", "p99_ms")]
        L.append(f"| {a['rate']} | {a['p50_ms']:.2f} / {a['p90_ms']:.2f} / {a['p99_ms']:.2f} | "
                 f"{b['p50_ms']:.2f} / {b['p90_ms']:.2f} / {b['p99_ms']:.2f} | "
                 f"{add[0]:+.2f} / {add[1]:+.2f} / {add[2]:+.2f} | {a['not_ok']}/{b['not_ok']} |")
    L.append("")
    L.append("## Streams: time to first byte (sequential, keep-alive, Python client)\n")
    L.append("| | head p50 / p99 ms | first body byte p50 / p90 / p99 ms | complete p50 ms |")
    L.append("|---|---|---|---|")
    for name in ("direct", "gateway_chat", "gateway_responses"):
        t = r["ttfb"][name]
        L.append(f"| {name} | {t['head']['p50']:.2f} / {t['head']['p99']:.2f} | {t['first_byte']['p50']:.2f} / "
                 f"{t['first_byte']['p90']:.2f} / {t['first_byte']['p99']:.2f} | {t['complete']['p50']:.2f} |")
    d, g = r["ttfb"]["direct"]["first_byte"], r["ttfb"]["gateway_chat"]["first_byte"]
    L.append(f"\nAdded time to first byte (chat stream − direct): p50 {g['p50'] - d['p50']:+.2f} ms, "
             f"p90 {g['p90'] - d['p90']:+.2f} ms, p99 {g['p99'] - d['p99']:+.2f} ms.\n")
    L.append("## Maximum throughput (wrk, 2 threads, keep-alive)\n")
    L.append("| route | connections | req/s | p50 / p90 / p99 ms | non-2xx / socket errors |")
    L.append("|---|---|---|---|---|")
    for name, w in r["throughput"].items():
        L.append(f"| {name} | {w['connections']} | {w['rps']:.0f} | {w['p50_ms']:.2f} / {w['p90_ms']:.2f} / {w['p99_ms']:.2f} | "
                 f"{w['non_2xx']} / {w['socket_errors'] or 0} |")
    L.append("")
    mem = r["memory"]
    L.append("## Memory (RSS of the gateway process)\n")
    L.append("Per stream = (RSS with the streams open − RSS just before opening them) / streams.\n")
    L.append("| in-flight streams | at | events sent per stream | RSS MiB | per stream KiB |")
    L.append("|---|---|---|---|---|")
    for name, count, label in (("fast_4", 4, "as fast as possible"), ("slow_64", 64, "20 events/s each"),
                               ("slow_256", 256, "20 events/s each")):
        before = mem[f"{name}_before_kib"]
        L.append(f"| {count}, before | | | {before / 1024:.1f} | |")
        for s in mem[name]:
            per = (s["rss_kib"] - before) / count
            L.append(f"| {count} ({label}) | {s['t']} s | {s['events_per_stream']:,.0f} | {s['rss_kib'] / 1024:.1f} | {per:.0f} |")
    s64, s256 = mem["slow_64"][-1]["rss_kib"], mem["slow_256"][-1]["rss_kib"]
    L.append(f"\nMarginal cost of a stream (256 vs 64 open): {(s256 - s64) / 192:.0f} KiB.\n")
    h = r["healthz"]
    L.append("## A trivial route: guest vs native (wrk, 1 connection)\n")
    L.append(f"- gateway `GET /healthz` (instantiate + run the guest): {h['gateway']['rps']:.0f} req/s, p50 {h['gateway']['p50_ms']:.3f} ms, p99 {h['gateway']['p99_ms']:.3f} ms")
    L.append(f"- fake backend `GET /backend-api/codex/models` (native hyper): {h['native']['rps']:.0f} req/s, p50 {h['native']['p50_ms']:.3f} ms, p99 {h['native']['p99_ms']:.3f} ms")
    L.append(f"- difference at p50: {h['gateway']['p50_ms'] - h['native']['p50_ms']:+.3f} ms\n")
    path.write_text("\n".join(L) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--instantiate", help="JSON line printed by the instantiate bench")
    ap.add_argument("--quick", action="store_true", help="shorter runs (smoke test of the script)")
    args = ap.parse_args()
    secs = 5 if args.quick else 15
    work = pathlib.Path(tempfile.mkdtemp(prefix="cgw-bench-"))
    r = {"date": datetime.date.today().isoformat(), "machine": machine()}
    r["commit"] = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    r["wasm_bytes"] = WASM.stat().st_size
    if args.instantiate:
        r["instantiate"] = json.loads(pathlib.Path(args.instantiate).read_text().strip().splitlines()[-1])
    r["criterion"] = criterion_results()

    backend = Host(["--fakes", "--kv", str(work / "backend.db")], work / "backend.log")
    codex, oauth = backend.info["codex_url"], backend.info["oauth_url"]
    gateway_args = ["--seed-token", "--var", f"codex_base_url={codex}", "--var", f"upstream_base_url={codex}",
                    "--var", f"oauth_issuer={oauth}"]
    gateway = Host(gateway_args + ["--kv", str(work / "gateway.db")], work / "gateway.log",
                   )
    r["gateway_host"] = {"instance_allocator": gateway.info.get("instance_allocator")}
    try:
        gw, key = gateway.info["gateway_url"], "Bearer " + gateway.info["api_key"]
        direct = Target(codex, "/backend-api/codex/responses", UPSTREAM, "Bearer direct")
        chat = Target(gw, "/v1/chat/completions", CHAT, key)
        chat_stream = Target(gw, "/v1/chat/completions", CHAT_STREAM, key)
        responses = Target(gw, "/v1/responses", RESPONSES, key)
        responses_stream = Target(gw, "/v1/responses", dict(RESPONSES, stream=True), key)
        log("warm-up")
        ttfb(chat_stream, 50)
        wrk(chat, 8, 3)
        wrk(direct, 8, 3)

        log("fixed-rate latency (oha)")
        rates = [100, 500] if args.quick else [100, 300, 1000]
        r["latency"] = {"direct": [], "gateway": []}
        for rate in rates:
            for name, target in (("direct", direct), ("gateway", chat)):
                res = oha(target, rate, secs)
                r["latency"][name].append(res)
                log(f"  {name} @{rate}/s: p50 {res['p50_ms']:.2f} p99 {res['p99_ms']:.2f} ms ({res['achieved_rps']:.0f}/s)")

        log("time to first byte")
        n = 200 if args.quick else 1000
        r["ttfb"] = {"direct": ttfb(direct, n), "gateway_chat": ttfb(chat_stream, n),
                     "gateway_responses": ttfb(responses_stream, n)}

        log("max throughput (wrk)")
        r["throughput"] = {}
        for name, target, conns in (
            ("(a) fake backend direct (SSE)", direct, 32),
            ("(b) gateway chat, non-stream", chat, 32),
            ("(b) gateway chat, stream", chat_stream, 32),
            ("(b) gateway responses, non-stream", responses, 32),
            ("(b) gateway responses, stream", responses_stream, 32),
            ("gateway GET /healthz", Target(gw, "/healthz", None, None), 32),
        ):
            r["throughput"][name] = wrk(target, conns, secs)
            log(f"  {name}: {r['throughput'][name]['rps']:.0f}/s")

        log("trivial route, one connection")
        r["healthz"] = {
            "gateway": wrk(Target(gw, "/healthz", None, None), 1, secs, threads=1),
            "native": wrk(Target(codex, "/backend-api/codex/models", None, None), 1, secs, threads=1),
        }

        log("memory per in-flight stream")
        r["memory"] = memory(gateway, chat_stream, args.quick)
    finally:
        gateway.stop()
        backend.stop()
    for section in r.get("throughput", {}).values():
        section.pop("raw", None)
    for section in r.get("healthz", {}).values():
        section.pop("raw", None)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_report(r, out)
    out.with_suffix(".json").write_text(json.dumps(r, indent=1) + "\n")
    log(f"wrote {out} and {out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
