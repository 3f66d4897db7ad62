#!/usr/bin/env python3
"""What client keys and usage counting cost on Spin, on Spin's SQLite store and on Redis, against
floors measured in the same run; called by bench/run.sh after spin_bench.py. Read run.sh first.

For each store, four `spin up` processes on 127.0.0.1, all on that store:
  floor    testing/spin-floor: the trivial Spin forwarder (no store call at all)
  off      the gateway, owner key (downstream_api_key), usage_tracking=off
  owner    the gateway, owner key, usage_tracking=on (the default): after each answer, the
           request and token counters of owner × model × day
  client   the gateway, a client key with a request limit (one atomic increment at admission)
           and usage_tracking=on: the key's lookup by hash before, its counters and last use after
The upstream is the release test host's fake backend. Each figure is one keep-alive connection's
sequential latency and wrk's throughput at 32 connections (best of two rounds), also as a ratio
to the floor. Nothing asserts a time: it writes bench/results/<date>-spin-keys.md.
"""
import argparse
import datetime
import http.client
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench import CHAT, ROOT, UPSTREAM, Host, Target, log, machine, wrk  # noqa: E402
from spin_bench import SpinApp, env_note, free_port, gateway_manifest, ratio, run_facts, save, sequential  # noqa: E402

KEY = "sk-bench-downstream-key"
ADMIN = "admin-key-for-the-keys-benchmark-0123456789"


def redis_server(work):
    """A private redis-server without persistence; its port and process."""
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", str(work)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return port, proc
        except OSError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def admin(url, method, path, body=None):
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request(method, path, json.dumps(body) if body is not None else None,
                 {"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"})
    res = conn.getresponse()
    data = res.read()
    if res.status >= 300:
        raise SystemExit(f"{method} {path}: HTTP {res.status} {data[:300]!r}")
    return json.loads(data)


def token_record():
    now = int(time.time())
    return {"version": 1, "access_token": "bench-access", "refresh_token": "rt-initial",
            "account_id": "acct-bench", "plan_type": "plus", "expires_at": now + 86400, "last_refresh": now}


def measure(r, store, targets, floor, secs, n):
    seq = {name: sequential(t, n) for name, t in targets.items()}
    best = {}
    for _round in range(2):
        for name, t in targets.items():
            w = wrk(t, 32, secs)
            w.pop("raw", None)
            if name not in best or w["rps"] > best[name]["rps"]:
                best[name] = w
            log(f"  {store} {name}: {w['rps']:.0f}/s")
    r["stores"][store] = {"floor": floor, "sequential": seq, "throughput": best}


def write_report(r, path):
    m = r["machine"]
    L = [f"# Client keys and usage on Spin, {r['date']}\n",
         f"Produced by `bench/spin_keys.py` (commit `{r['commit']}`) with `{r['spin_version']}`. Machine: {m['cpu']}, "
         f"{m['cores']} cores, {m['mem_gib']} GiB; load before the run {', '.join(f'{x:.2f}' for x in m['load_before'])}. "
         "A non-stream chat completion of the 52-event text fixture from the fake backend. 'floor' is "
         "`testing/spin-floor` on the same store, in the same run."
         + env_note(r) + "\n"]
    for store, s in r["stores"].items():
        L.append(f"## {store}\n")
        L.append("| gateway | whole p50 / p99 ms (one connection) | req/s at 32 connections | × floor | p99 ms at 32 |")
        L.append("|---|---|---|---|---|")
        floor = s["throughput"][s["floor"]]["rps"]
        for name, w in s["throughput"].items():
            q = s["sequential"][name]["whole"]
            L.append(f"| {name} | {q['p50']:.2f} / {q['p99']:.2f} | {w['rps']:.0f} | {ratio(w['rps'], floor):.2f} | "
                     f"{w['p99_ms']:.2f} |")
        L.append("")
    path.write_text("\n".join(L) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    secs, n = (5, 100) if args.quick else (15, 300)
    work = pathlib.Path(tempfile.mkdtemp(prefix="cgw-spin-keys-"))
    r = {"date": datetime.date.today().isoformat(), "machine": machine(), "stores": {}}
    r.update(run_facts())
    backend = Host(["--fakes", "--kv", str(work / "backend.db")], work / "backend.log")
    codex = backend.info["codex_url"]
    gateway_manifest(work / "spin.toml")
    wiring = {"downstream_api_key": KEY, "codex_base_url": codex, "upstream_base_url": codex,
              "oauth_issuer": backend.info["oauth_url"], "admin_api_key": ADMIN}
    stores = [("Spin's SQLite store", None)]
    redis = None
    if shutil.which("redis-server"):
        port, redis = redis_server(work)
        config = work / "redis.toml"
        config.write_text(f'[key_value_store.default]\ntype = "redis"\nurl = "redis://127.0.0.1:{port}"\n')
        stores.append(("Redis", config))
    else:
        log("no redis-server: the Redis half is skipped")
    try:
        for store, config in stores:
            apps = []
            try:
                floor = SpinApp(ROOT / "testing/spin-floor/spin.toml", work, f"floor-{len(r['stores'])}", {
                    "upstream_url": codex + "/backend-api/codex/responses", "upstream_origin": codex})
                apps.append(floor)
                tag = len(r["stores"])
                # One store for the three gateways of this store.
                shared_state = work / f"state-{tag}"
                gateways = {}
                for name, tracking in (("off", "off"), ("owner", "on"), ("client", "on")):
                    g = SpinApp(work / "spin.toml", work, f"{name}-{tag}", dict(wiring, usage_tracking=tracking),
                                state=shared_state, runtime_config=config)
                    gateways[name] = g
                    apps.append(g)
                for app in apps:
                    app.wait()
                admin(gateways["off"].url, "PUT", "/admin/token", token_record())
                made = admin(gateways["off"].url, "POST", "/admin/keys",
                             {"name": "bench", "limits": ["requests=1000000000/day"]})
                owner_auth, client_auth = "Bearer " + KEY, "Bearer " + made["key"]
                floor_name = "floor: trivial Spin forwarder"
                targets = {
                    # The floor forwards its body to the backend as the Responses call it is.
                    floor_name: Target(floor.url, "/", UPSTREAM, None),
                    "owner key, usage_tracking=off": Target(gateways["off"].url, "/v1/chat/completions", CHAT, owner_auth),
                    "owner key, usage_tracking=on": Target(gateways["owner"].url, "/v1/chat/completions", CHAT, owner_auth),
                    "client key (a request limit), usage_tracking=on": Target(
                        gateways["client"].url, "/v1/chat/completions", CHAT, client_auth),
                }
                log(f"warm-up, {store}")
                for t in targets.values():
                    sequential(t, 20)
                measure(r, store, targets, floor_name, secs, n)
            finally:
                for app in apps:
                    app.stop()
    finally:
        backend.stop()
        if redis:
            redis.terminate()
    save(r, args.out, write_report)


if __name__ == "__main__":
    main()
