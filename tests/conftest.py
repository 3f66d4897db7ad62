"""Shared fixtures for the real-client and OpenAPI tests: the gateway served by `test-host`.

With `CLIENT_TESTS_RUNTIME=spin` the same build is served by `spin up` from the shipped
`spin.toml` instead, on the test host's fakes and store; with `CLIENT_TESTS_BUILD=p3` as well,
the WASIp3 build from `spin-p3.toml`.

`target/debug/test-host --fakes --seed-token` runs the built gateway .wasm in a Spin-like host,
with a fake Codex backend and a fake OAuth server on 127.0.0.1, and prints one JSON line with
the URLs once everything listens. One host per pytest session (per mode); it is killed at the
end. Set TEST_HOST_BIN to use another binary (scripts/client-tests.sh builds the default one).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEFAULT_BIN = REPO / "target" / "debug" / "test-host"
START_TIMEOUT_SECS = 60


@dataclass
class Gateway:
    """A running test-host: the gateway URL, its key, and the fake backend's URL."""

    gateway_url: str
    codex_url: str
    oauth_url: str
    api_key: str
    log_path: Path
    proc: subprocess.Popen = field(repr=False)
    # With `spin up` serving, the test host that runs the fakes.
    host: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        """What OpenAI clients take as `base_url`."""
        return self.gateway_url + "/v1"

    def upstream_requests(self) -> list[dict]:
        """What the fake backend received so far (method, path, headers, body text)."""
        with urllib.request.urlopen(self.codex_url + "/__fake/requests", timeout=10) as res:
            return json.load(res)

    def clear_upstream_requests(self) -> None:
        req = urllib.request.Request(self.codex_url + "/__fake/requests", method="DELETE")
        urllib.request.urlopen(req, timeout=10).close()

    def last_generation_request(self) -> dict:
        """The last POST the fake backend received."""
        posts = [r for r in self.upstream_requests() if r["method"] == "POST"]
        assert posts, "the fake backend received no POST"
        return posts[-1]

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _binary() -> Path:
    path = Path(os.environ.get("TEST_HOST_BIN", DEFAULT_BIN))
    if not path.is_file():
        pytest.exit(
            f"{path} not found: build it with `cargo build -p test-host --bins` "
            "(scripts/client-tests.sh does)",
            returncode=3,
        )
    return path


def start_gateway(workdir: Path, *variables: str) -> Gateway:
    """Start test-host with the fakes and a seeded token; wait for its JSON line."""
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "test-host.log"
    # Where `spin up --state-dir <workdir>/.spin` keeps its store, so Spin can serve it too.
    (workdir / ".spin").mkdir(exist_ok=True)
    kv = workdir / ".spin" / "sqlite_key_value.db"
    args = [str(_binary()), "--fakes", "--seed-token", "--kv", str(kv)]
    for var in variables:
        args += ["--var", var]
    log = open(log_path, "wb")  # noqa: SIM115 - owned by the process for its lifetime
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, cwd=REPO)
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(START_TIMEOUT_SECS)
    if not line or not line[0].strip():
        proc.kill()
        proc.wait()
        raise RuntimeError(
            f"test-host did not start (exit {proc.returncode}):\n"
            + log_path.read_text(errors="replace")[-4000:]
        )
    info = json.loads(line[0])
    if os.environ.get("CLIENT_TESTS_RUNTIME") == "spin":
        return _on_spin(workdir, info, proc, variables)
    return Gateway(
        gateway_url=info["gateway_url"],
        codex_url=info["codex_url"],
        oauth_url=info["oauth_url"],
        api_key=info["api_key"],
        log_path=log_path,
        proc=proc,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _on_spin(workdir: Path, info: dict, host: subprocess.Popen, variables: tuple[str, ...]) -> Gateway:
    """The same build served by `spin up` from the shipped manifest (`CLIENT_TESTS_RUNTIME=spin`,
    `$SPIN` or `spin` on PATH), on the test host's store, fakes and seeded token; the test host
    stays up for its fakes."""
    spin = os.environ.get("SPIN") or shutil.which("spin")
    if not spin:
        pytest.exit("CLIENT_TESTS_RUNTIME=spin needs spin on PATH or $SPIN", returncode=3)
    p3 = os.environ.get("CLIENT_TESTS_BUILD") == "p3"
    manifest = (REPO / ("spin-p3.toml" if p3 else "spin.toml")).read_text()
    wasm = info["p3_wasm"] if p3 else info["wasm"]
    manifest = "\n".join(
        f"source = {json.dumps(wasm)}" if line.startswith("source = ") else line
        for line in manifest.splitlines()
    )
    (workdir / "spin.toml").write_text(manifest)
    port = _free_port()
    settings = {
        "downstream_api_key": info["api_key"],
        "codex_base_url": info["codex_url"],
        "upstream_base_url": info["codex_url"],
        "oauth_issuer": info["oauth_url"],
    }
    settings.update(v.split("=", 1) for v in variables)
    args = [spin, "up", "--from", str(workdir / "spin.toml"), "--listen", f"127.0.0.1:{port}",
            "--state-dir", str(Path(info["kv_path"]).parent)]
    for name, value in settings.items():
        args += ["--variable", f"{name}={value}"]
    log_path = workdir / "spin.log"
    log = open(log_path, "wb")  # noqa: SIM115 - owned by the process for its lifetime
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2).close()
            break
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    else:
        proc.kill()
    if proc.poll() is not None:
        raise RuntimeError("spin up did not start:\n" + log_path.read_text(errors="replace")[-4000:])
    return Gateway(
        gateway_url=url,
        codex_url=info["codex_url"],
        oauth_url=info["oauth_url"],
        api_key=info["api_key"],
        log_path=log_path,
        proc=proc,
        host=host,
    )


def stop_gateway(gw: Gateway) -> None:
    """End the processes we started, by their handles."""
    if gw.host is not None and gw.host.poll() is None:
        gw.host.kill()
        gw.host.wait()
    if gw.host is not None and gw.host.stdout:
        gw.host.stdout.close()
    if gw.host is not None:
        # `spin up` runs its trigger as a child: end the whole session.
        try:
            os.killpg(gw.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    if gw.proc.poll() is None:
        gw.proc.terminate()
        try:
            gw.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            gw.proc.kill()
            gw.proc.wait()
    if gw.proc.stdout:
        gw.proc.stdout.close()


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory):
    """The gateway in its default `codex_oauth` mode."""
    gw = start_gateway(tmp_path_factory.mktemp("gateway"))
    yield gw
    stop_gateway(gw)


@pytest.fixture(scope="session")
def gateway_openai_api(tmp_path_factory: pytest.TempPathFactory):
    """The gateway in `openai_api` mode, proxying to the fake (which then plays an OpenAI-style
    API: model `gpt-5.4@file:<case>/chat.json` answers that fixture file, and so on)."""
    gw = start_gateway(
        tmp_path_factory.mktemp("gateway-openai-api"),
        "upstream_mode=openai_api",
        "upstream_api_key=sk-upstream-static",
    )
    yield gw
    stop_gateway(gw)
