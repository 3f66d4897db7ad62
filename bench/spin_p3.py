#!/usr/bin/env python3
"""The two builds of the gateway on Spin 4, side by side, against floors measured in the same run;
called by bench/run.sh when `spin` is on PATH (or $SPIN names it). Read run.sh first.

Processes (all on 127.0.0.1, stopped at the end):
  backend   the release test host's fake Codex backend (`test-host --fakes`), the upstream of all
  p2        `spin up` of spin.toml: the WASI 0.2 build, a fresh instance per request
  p3        `spin up` of spin-p3.toml: the WASIp3 build, instances reused (settings read once per
            instance, store reads kept for at most a second: gateway_core::memo)
  floor p2  testing/spin-floor: a trivial WASI 0.2 forwarder (whole answer, content-length)
  floor p3  testing/spin-floor-p3: the same forwarder for WASIp3
  go seed   the original Go gateway, when GO_SEED=<its binary> is set (docs/en/performance.md says
            how it was built); left out, and said so, otherwise

Both gateways have a seeded token in their own SQLite store. Every figure is reported next to the
floors and the direct upstream of the same run, and as ratios to them; nothing here asserts a time.
Writes bench/results/<date>-spin-p3.md (+ .json).
"""
import argparse
import datetime
import json
import os
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench import CHAT, CHAT_STREAM, RESPONSES, ROOT, UPSTREAM, Host, Target, log, machine, wrk  # noqa: E402
from spin_bench import KEY, SpinApp, env_note, free_port, ratio, run_facts, save, seed_token, sequential  # noqa: E402

P2_WASM = ROOT / "target/wasm32-wasip2/release/gateway_component.wasm"
P3_WASM = ROOT / "target/wasm32-wasip2/release/gateway_component_p3.wasm"


def manifest(shipped, wasm, path):
    """A shipped manifest at `path`, serving `wasm` (an absolute path)."""
    lines = [f"source = {json.dumps(str(wasm))}" if line.startswith("source = ") else line
             for line in (ROOT / shipped).read_text().splitlines()]
    path.write_text("\n".join(lines) + "\n")
    return path


class GoSeed:
    """The original Go gateway (GO_SEED names its binary) in codex_oauth mode on the same backend."""

    def __init__(self, binary, work, codex):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        home = work / "go-seed"
        home.mkdir()
        (home / "config.yaml").write_text(
            f'server:\n  listen: "127.0.0.1:{self.port}"\nauth:\n  downstream_api_key: "{KEY}"\n'
            'logging:\n  level: "error"\n  format: "text"\n  output: "stdout"\n  color: "never"\n'
            f'upstream:\n  mode: "codex_oauth"\n  codex_base_url: "{codex}"\n'
            '  codex_responses_path: "/backend-api/codex/responses"\n  timeout_seconds: 30\n')
        (home / "oauth-token.json").write_text(json.dumps({
            "access_token": "bench-access-go", "refresh_token": "rt-go", "token_type": "Bearer",
            "expires_at": "2099-01-01T00:00:00Z"}))
        self.log = open(work / "go-seed.log", "w")
        self.proc = subprocess.Popen([binary, "serve", "--workdir", str(home), "--config", "config.yaml"],
                                     stdout=self.log, stderr=self.log)

    def wait(self):
        return SpinApp.wait(self)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def write_report(r, path):
    m = r["machine"]
    L = [f"# The WASIp3 build on Spin, {r['date']}\n",
         f"Produced by `bench/run.sh` (commit `{r['commit']}`) with `{r['spin_version']}`. Machine: {m['cpu']}, "
         f"{m['cores']} cores, {m['mem_gib']} GiB, Linux {m['kernel']}; load before the run "
         f"{', '.join(f'{x:.2f}' for x in m['load_before'])}. Upstream: the fake Codex backend (release test host), "
         "answering the 52-event text fixture. Floors: `testing/spin-floor` (WASI 0.2) and `testing/spin-floor-p3` "
         "(WASIp3), trivial forwarders on the same Spin. Both gateways run with `usage_tracking=off`, as the Go seed counts nothing." + (f" Go seed: {r['go_seed']}." if r.get("go_seed")
                                                          else " The Go seed was not run (GO_SEED unset).")
         + env_note(r) + "\n"]
    L.append("## Throughput, 32 connections (wrk, 2 threads, keep-alive; best of two rounds)\n")
    L.append("| route | req/s | × p2 build | × p3 floor | × Go seed | p50 / p99 ms | non-2xx |")
    L.append("|---|---|---|---|---|---|---|")
    t = r["throughput"]
    for name, w in t.items():
        kind = name.split(": ", 1)[-1]
        p2 = t.get(f"p2 build: {kind}", {}).get("rps")
        go = t.get(f"Go seed: {kind}", {}).get("rps")
        floor = t["p3 floor"]["rps"]
        L.append(f"| {name} | {w['rps']:.0f} | {ratio(w['rps'], p2) if p2 else float('nan'):.2f} | "
                 f"{ratio(w['rps'], floor):.2f} | {ratio(w['rps'], go) if go else float('nan'):.2f} | "
                 f"{w['p50_ms']:.2f} / {w['p99_ms']:.2f} | {w['non_2xx']} |")
    L.append("")
    L.append("## One keep-alive connection, sequential (what the SDKs do)\n")
    L.append("| route | first byte p50 / p99 / max ms | whole p50 / p99 / max ms | over 30 ms |")
    L.append("|---|---|---|---|")
    for name, s in r["sequential"].items():
        fb, wh = s["first_byte"], s["whole"]
        L.append(f"| {name} | {fb['p50']:.2f} / {fb['p99']:.2f} / {fb['max']:.2f} | "
                 f"{wh['p50']:.2f} / {wh['p99']:.2f} / {wh['max']:.2f} | {s['over_30ms']} of {s['n']} |")
    seq = r["sequential"]
    floor = seq["p3 floor"]["first_byte"]
    L.append("")
    for name in ("p3 build: chat, non-stream", "p3 build: chat, stream", "p3 build: responses, stream"):
        g = seq[name]["first_byte"]
        L.append(f"- {name}: first byte p50 {g['p50'] - floor['p50']:+.2f} ms, p99 {g['p99'] - floor['p99']:+.2f} ms "
                 "over the p3 floor's")
    L.append("")
    path.write_text("\n".join(L) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    secs, n = (5, 100) if args.quick else (15, 1000)
    work = pathlib.Path(tempfile.mkdtemp(prefix="cgw-spin-p3-"))
    r = {"date": datetime.date.today().isoformat(), "machine": machine()}
    r.update(run_facts())
    go_bin = os.environ.get("GO_SEED")
    r["go_seed"] = os.environ.get("GO_SEED_NOTE", go_bin) if go_bin else None

    backend = Host(["--fakes", "--kv", str(work / "backend.db")], work / "backend.log")
    codex = backend.info["codex_url"]
    # Usage counting off, as the Go seed counts nothing: on Spin's SQLite store each counted
    # field is a write transaction that 32 concurrent requests queue for (spin_keys.py
    # measures that cost on its own), which would hide what the builds themselves cost.
    wiring = {"downstream_api_key": KEY, "codex_base_url": codex, "upstream_base_url": codex,
              "oauth_issuer": backend.info["oauth_url"], "usage_tracking": "off"}
    floor_vars = {"upstream_url": codex + "/backend-api/codex/responses", "upstream_origin": codex}
    apps = []
    try:
        for name in ("p2", "p3"):
            seed_token(work / f"{name}-state" / "sqlite_key_value.db")
        p2 = SpinApp(manifest("spin.toml", P2_WASM, work / "p2.toml"), work, "p2", wiring)
        apps.append(p2)
        p3 = SpinApp(manifest("spin-p3.toml", P3_WASM, work / "p3.toml"), work, "p3", wiring)
        apps.append(p3)
        floor2 = SpinApp(ROOT / "testing/spin-floor/spin.toml", work, "floor-p2", floor_vars)
        apps.append(floor2)
        floor3 = SpinApp(ROOT / "testing/spin-floor-p3/spin.toml", work, "floor-p3", floor_vars)
        apps.append(floor3)
        go = GoSeed(go_bin, work, codex) if go_bin else None
        if go:
            apps.append(go)
        for app in apps:
            app.wait()
        auth = "Bearer " + KEY
        routes = {"chat, non-stream": ("/v1/chat/completions", CHAT),
                  "chat, stream": ("/v1/chat/completions", CHAT_STREAM),
                  "responses, stream": ("/v1/responses", dict(RESPONSES, stream=True))}
        targets = {"direct upstream": Target(codex, "/backend-api/codex/responses", UPSTREAM, "Bearer direct"),
                   "p2 floor": Target(floor2.url, "/", UPSTREAM, None),
                   "p3 floor": Target(floor3.url, "/", UPSTREAM, None)}
        for build, app in (("p2 build", p2), ("p3 build", p3), ("Go seed", go)):
            if app is None:
                continue
            for kind, (path, body) in routes.items():
                if build == "Go seed" and kind.startswith("responses"):
                    continue
                targets[f"{build}: {kind}"] = Target(app.url, path, body, auth)

        log("warm-up")
        for t in targets.values():
            sequential(t, 20)
            wrk(t, 8, 2)

        log("one keep-alive connection")
        r["sequential"] = {name: sequential(t, n) for name, t in targets.items()}
        for name, s in r["sequential"].items():
            log(f"  {name}: first byte p50 {s['first_byte']['p50']:.2f} p99 {s['first_byte']['p99']:.2f} "
                f"max {s['first_byte']['max']:.2f} ms")

        log("throughput, 32 connections")
        r["throughput"] = {}
        for _round in range(2):
            for name, target in targets.items():
                w = wrk(target, 32, secs)
                w.pop("raw", None)
                best = r["throughput"].get(name)
                if best is None or w["rps"] > best["rps"]:
                    r["throughput"][name] = w
                log(f"  {name}: {w['rps']:.0f}/s")
    finally:
        for app in apps:
            app.stop()
        backend.stop()
    save(r, args.out, write_report)


if __name__ == "__main__":
    main()
