"""The dashboard in a real browser: Debian's headless Chromium, driven by Playwright, on the page
the built component serves. Sign in (a wrong key first), see the accounts' window bars and the
traffic chart, make a key and use it with the openai SDK, see its usage, revoke it, and the SDK
is refused. Any console error fails the test; a screenshot is kept in target/."""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from pathlib import Path

import openai
import pytest

from conftest import REPO, start_gateway, stop_gateway

playwright = pytest.importorskip("playwright.sync_api")

ADMIN_KEY = "admin-key-for-the-dashboard-test-0123456789abcdef"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "target" / "dashboard"
# Flags the machine's closed network needs (no background connections, no component updates).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def admin(gateway, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        gateway.gateway_url + path, method=method, data=json.dumps(body).encode() if body else None,
        headers={"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as res:
        return json.load(res)


def token(account_id: str) -> dict:
    now = int(time.time())
    return {"version": 1, "access_token": f"dash-access-{account_id}", "refresh_token": f"rt-{account_id}",
            "account_id": account_id, "plan_type": "pro", "expires_at": now + 86400, "last_refresh": now}


@pytest.fixture(scope="module")
def gateway_board(tmp_path_factory):
    gw = start_gateway(tmp_path_factory.mktemp("gateway-dashboard"), f"admin_api_key={ADMIN_KEY}")
    # Two accounts, each with a token; a few calls leave their usage windows in the store.
    for name in ("work", "home"):
        admin(gw, "PUT", f"/admin/token?account={name}", token(f"acct-{name}"))
    sdk = openai.OpenAI(base_url=gw.base_url, api_key=gw.api_key, max_retries=0)
    for model in ("gpt-5.4", "gpt-5.4", "gpt-6-sol"):
        sdk.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hi"}])
    yield gw
    stop_gateway(gw)


@pytest.fixture()
def page():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: scripts/client-tests.sh installs Debian's chromium")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1600})
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        yield page
        browser.close()


def test_the_operator_signs_in_and_manages_keys(gateway_board, page):
    page.goto(gateway_board.gateway_url + "/dashboard")
    page.fill("#admin-key", "not-the-admin-key")
    page.click("#sign-in-form button")
    error = page.locator("#sign-in-error")
    error.wait_for(state="visible")
    assert "refused" in error.inner_text()
    assert page.evaluate("sessionStorage.length") == 0, "a refused key is not kept"
    # The refused request is the only thing the browser may complain about so far.
    assert all("401" in e for e in page.console_errors), page.console_errors
    page.console_errors.clear()

    page.fill("#admin-key", ADMIN_KEY)
    page.click("#sign-in-form button")
    page.locator("#board").wait_for(state="visible")
    assert page.evaluate(f"sessionStorage.getItem('codex-gateway-admin-key')") == ADMIN_KEY
    assert page.evaluate("localStorage.length") == 0 and page.evaluate("document.cookie") == ""

    # Accounts with their window bars, and the traffic chart drawn.
    page.locator("#accounts .account").first.wait_for()
    # The seeded `default` account keeps serving beside the two pushed ones.
    assert sorted(page.locator("#accounts .account h3").all_inner_texts()) == ["default", "home", "work"]
    assert page.locator("#accounts .bar").count() >= 1, page.locator("#accounts").inner_text()
    assert page.locator("#tokens-chart svg rect").count() >= 1
    assert "gpt-5.4" in page.locator("#tokens-legend").inner_text()
    assert page.locator("#health").inner_text().count("codex_oauth") == 1

    # A key made on the page works in the SDK, and its use shows.
    page.fill("#create-key input[name=name]", "browser-user")
    page.fill("#create-key input[name=limits]", "requests=5/day")
    page.click("#create-key button")
    page.locator("#new-key").wait_for(state="visible")
    key = page.inner_text("#new-key-value").strip()
    assert key.startswith("sk-cgw-")
    sdk = openai.OpenAI(base_url=gateway_board.base_url, api_key=key, max_retries=0)
    answer = sdk.chat.completions.create(model="gpt-5.4", messages=[{"role": "user", "content": "Hi"}])
    assert answer.choices[0].message.content
    page.click("#dismiss-key")
    # The page refreshes every 10 s; a reload (same tab, same session) shows it at once.
    page.reload()
    row = page.locator("#keys tbody tr", has_text="browser-user")
    row.wait_for()
    assert "requests=5/day: 1 / 5" in row.inner_text()
    assert key not in page.content(), "a listed key never shows itself"

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    # On a phone the page reflows: nothing wider than the screen but the keys table's own scroll.
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(100)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 1600})

    # Revoked on the page: the SDK is refused.
    page.once("dialog", lambda d: d.accept())
    row.locator("button[data-revoke]").click()
    page.locator("#keys tbody tr.revoked", has_text="browser-user").wait_for()
    with pytest.raises(openai.AuthenticationError):
        sdk.chat.completions.create(model="gpt-5.4", messages=[{"role": "user", "content": "Hi"}])

    assert page.console_errors == [], page.console_errors


def test_the_page_is_sent_with_a_strict_policy(gateway_board):
    with urllib.request.urlopen(gateway_board.gateway_url + "/dashboard", timeout=10) as res:
        headers = {k.lower(): v for k, v in res.headers.items()}
        html = res.read().decode()
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "<script>" not in html
