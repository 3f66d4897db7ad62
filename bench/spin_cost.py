"""What each kind of host call costs a request on Spin, next to the gateway: the floor forwarder
(testing/spin-floor) with and without the host calls a non-stream chat call makes, and the
gateway, in interleaved rounds of wrk at 32 connections. Run by hand, with Spin on PATH (or $SPIN)
and the components and release test host built as bench/run.sh builds them:

    python3 bench/spin_cost.py --out bench/results/<date>-spin-cost.md [--rounds 3] [--secs 8]

Besides req/s it reports the CPU the Spin processes spent per request (user + system time from
/proc, over each wrk run), which varies less than req/s on a shared machine. BENCH_BASELINE_WASM
adds another build of the gateway, as in spin_bench.py. Nothing here asserts a time.
"""
import argparse
import datetime
import os
import pathlib
import statistics
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench import CHAT, ROOT, UPSTREAM, Host, Target, log, machine, wrk  # noqa: E402
from spin_bench import KEY, SHIPPED_WASM, SpinApp, env_note, gateway_manifest, run_facts, seed_token  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
# The host calls of a non-stream chat call: 13 settings, the store opened once and read twice
# (the token and the account index), one access line.
FLOOR_CASES = [
    ("floor: trivial Spin forwarder", ""),
    ("floor + 13 settings", "settings=13"),
    ("floor + store open + 1 read", "store=1"),
    ("floor + store open + 2 reads", "store=2"),
    ("floor + 1 log line", "log=1"),
    ("floor + all of a chat call's host calls", "settings=13&store=2&log=1"),
]


def session_cpu_s(sid):
    """User + system seconds of every process in session `sid` (`spin up` and its trigger)."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == sid:
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--secs", type=int, default=8)
    args = ap.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="cgw-spin-cost-"))
    backend = Host(["--fakes", "--kv", str(work / "backend.db")], work / "backend.log")
    codex = backend.info["codex_url"]
    builds = {"gateway chat, non-stream": ROOT / SHIPPED_WASM}
    if os.environ.get("BENCH_BASELINE_WASM"):
        builds["gateway before, chat non-stream"] = os.environ["BENCH_BASELINE_WASM"]
    wiring = {"downstream_api_key": KEY, "codex_base_url": codex, "upstream_base_url": codex,
              "oauth_issuer": backend.info["oauth_url"]}
    apps = []
    try:
        floor = SpinApp(ROOT / "testing/spin-floor/spin.toml", work, "floor", {
            "upstream_url": codex + "/backend-api/codex/responses", "upstream_origin": codex})
        apps.append(floor)
        targets = {name: (Target(floor.url, "/?" + query, UPSTREAM, None), floor) for name, query in FLOOR_CASES}
        for i, (name, wasm) in enumerate(builds.items()):
            manifest = gateway_manifest(work / f"gateway{i}.toml", wasm)
            seed_token(work / f"gateway{i}-state" / "sqlite_key_value.db")
            app = SpinApp(manifest, work, f"gateway{i}", wiring)
            apps.append(app)
            targets[name] = (Target(app.url, "/v1/chat/completions", CHAT, "Bearer " + KEY), app)
        for app in apps:
            app.wait()
        for target, _ in targets.values():
            wrk(target, 8, 2)
        rps = {name: [] for name in targets}
        cpu = {name: [] for name in targets}
        for round_ in range(args.rounds):
            log(f"round {round_ + 1} of {args.rounds}")
            for name, (target, app) in targets.items():
                before = session_cpu_s(app.proc.pid)
                w = wrk(target, 32, args.secs)
                spent = session_cpu_s(app.proc.pid) - before
                rps[name].append(w["rps"])
                cpu[name].append(spent / (w["rps"] * args.secs) * 1e6)
                log(f"  {name}: {w['rps']:.0f}/s, {cpu[name][-1]:.0f} us CPU per request")
    finally:
        for app in apps:
            app.stop()
        backend.stop()
    write_report(args, rps, cpu)


def write_report(args, rps, cpu):
    m = machine()
    facts = run_facts()
    floor_rps = statistics.median(rps[FLOOR_CASES[0][0]])
    floor_cpu = statistics.median(cpu[FLOOR_CASES[0][0]])
    L = [f"# What host calls cost on Spin, {datetime.date.today().isoformat()}\n",
         f"Produced by `bench/spin_cost.py` (commit `{facts['commit']}`) with `{facts['spin_version']}`. Machine: {m['cpu']}, "
         f"{m['cores']} cores, {m['mem_gib']} GiB. wrk, 32 keep-alive connections, {args.secs} s per case, "
         f"{args.rounds} interleaved rounds; medians. CPU is the Spin processes' user + system time per "
         "request. Upstream: the fake Codex backend answering the 52-event text fixture." + env_note(facts) + "\n",
         "| case | req/s | × floor | Spin CPU µs per request | over the floor |", "|---|---|---|---|---|"]
    for name in rps:
        r, c = statistics.median(rps[name]), statistics.median(cpu[name])
        L.append(f"| {name} | {r:.0f} | {r / floor_rps:.2f} | {c:.0f} | {c - floor_cpu:+.0f} |")
    pathlib.Path(args.out).write_text("\n".join(L) + "\n")
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
