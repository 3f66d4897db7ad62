// The dashboard: signs in with the admin key (kept in sessionStorage only), reads the JSON admin
// routes with it as a bearer, and draws accounts, traffic and keys. Text is only ever set with
// textContent, and SVG is built node by node: nothing the gateway stores is parsed as HTML.
import { compact, lastDays, list, percent, relative, requestsByDay, stackByModel, ticks, utc, windows } from "./format.js";

const KEY = "codex-gateway-admin-key";
const REFRESH_MS = 10000;
const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);
let timer = null;

function el(tag, attrs = {}, ...children) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.setAttribute("class", v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

class Refused extends Error {}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${sessionStorage.getItem(KEY) || ""}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    cache: "no-store",
  });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401) throw new Refused("The gateway refused this admin key: check admin_api_key.");
  if (!res.ok) throw new Error(data?.error?.message || `HTTP ${res.status}`);
  return data;
}

function showBoard(on) {
  $("sign-in").hidden = on;
  $("board").hidden = !on;
  $("sign-out").hidden = !on;
}

function fail(where, err) {
  if (err instanceof Refused) {
    signOut(err.message);
    return;
  }
  // Before the board shows (the first sign-in), its own error line would be hidden with it.
  const target = $("board").hidden ? $("sign-in-error") : where;
  target.textContent = err.message;
  target.hidden = false;
}

function signOut(message) {
  sessionStorage.removeItem(KEY);
  clearInterval(timer);
  timer = null;
  showBoard(false);
  $("sign-in-error").textContent = message || "";
  $("sign-in-error").hidden = !message;
}

function facts(dl, pairs) {
  dl.replaceChildren(...pairs.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v ?? "-") })]));
}

function drawHealth(status) {
  facts($("health"), [["Mode", status.mode], ["Store", status.store], ["Version", status.version],
    ["Client keys", status.client_keys], ["Usage tracking", status.settings?.usage_tracking]]);
  facts($("settings"), Object.entries(status.settings || {}));
}

function bar(label, used, resetsAt, now) {
  const wrap = el("div", { class: "bar-row" });
  const pct = Math.round(percent(used, 100));
  const fill = el("div", { class: `fill ${pct >= 90 ? "hot" : pct >= 70 ? "warm" : ""}` });
  fill.style.width = `${pct}%`;
  wrap.append(el("span", { class: "bar-label", text: label }),
    el("div", { class: "bar", role: "progressbar", "aria-valuenow": String(pct), "aria-valuemin": "0", "aria-valuemax": "100" }, fill),
    el("span", { class: "bar-value", text: `${pct}% used${resetsAt ? `, resets ${relative(resetsAt, now)}` : ""}` }));
  return wrap;
}

function drawAccounts(accounts, now) {
  const cards = accounts.map((a) => {
    const card = el("article", { class: `account ${a.available ? "" : "resting"}` });
    card.append(el("h3", { text: a.name }),
      el("p", { class: "muted", text: `${a.token.plan_type || "plan unknown"} · token ${a.token.needs_login ? "needs a login" : a.token.expires_at ? `expires ${relative(a.token.expires_at, now)}` : "-"}` }));
    const w = windows(a.usage);
    if (w.fiveHour) card.append(bar("5 hours", w.fiveHour.used_percent, w.fiveHour.resets_at, now));
    if (w.weekly) card.append(bar("Week", w.weekly.used_percent, w.weekly.resets_at, now));
    if (!w.fiveHour && !w.weekly) card.append(el("p", { class: "muted", text: "No usage window reported yet." }));
    if (a.cooldown) {
      card.append(el("p", { class: "warn", text: `Resting (${a.cooldown.reason})${a.cooldown.until ? `, ${relative(a.cooldown.until, now).replace("in ", "")} left` : ""}` }));
    }
    if (a.token.needs_login) {
      card.append(el("p", { class: "warn", text: "Needs a login: " }, el("code", { text: a.fix || "login-cli auth login" })));
    }
    return card;
  });
  $("accounts").replaceChildren(...cards);
}

function columnChart(target, columns, max, colorOf) {
  const width = 640, height = 200, left = 44, bottom = 22, gap = 4;
  const svg = el("svg:svg", { viewBox: `0 0 ${width} ${height}`, class: "svg-chart" });
  const inner = height - bottom - 6;
  const axis = ticks(max);
  const top = axis[axis.length - 1] || 1;
  for (const t of axis) {
    const y = 6 + inner - (t / top) * inner;
    svg.append(el("svg:line", { x1: left, x2: width, y1: y, y2: y, class: "grid-line" }),
      el("svg:text", { x: left - 6, y: y + 4, class: "axis", "text-anchor": "end", text: compact(t) }));
  }
  const slot = (width - left) / columns.length;
  columns.forEach((c, i) => {
    const x = left + i * slot + gap / 2;
    let y = 6 + inner;
    for (const s of c.segments) {
      if (!s.value) continue;
      const h = (s.value / top) * inner;
      y -= h;
      const rect = el("svg:rect", { x, y, width: slot - gap, height: h, class: `seg ${colorOf(s.model)}` });
      rect.append(el("svg:title", { text: `${c.day} ${s.model ?? ""}: ${s.value}` }));
      svg.append(rect);
    }
    svg.append(el("svg:text", { x: x + (slot - gap) / 2, y: height - 6, class: "axis", "text-anchor": "middle", text: c.day.slice(8) }));
  });
  target.replaceChildren(svg);
}

function drawTraffic(byDayModel, byDay, today) {
  const days = lastDays(today, 14);
  const stacked = stackByModel(byDayModel.rows, days);
  const colorOf = (model) => `c${stacked.models.indexOf(model) % 8}`;
  columnChart($("tokens-chart"), stacked.columns, stacked.max, colorOf);
  $("tokens-legend").replaceChildren(...stacked.models.map((m) =>
    el("span", { class: "legend-item" }, el("i", { class: `swatch ${colorOf(m)}` }), document.createTextNode(m))));
  const requests = requestsByDay(byDay.rows, days).map((d) => ({ day: d.day, segments: [{ model: null, value: d.value }] }));
  columnChart($("requests-chart"), requests, Math.max(0, ...requests.map((c) => c.segments[0].value)), () => "c0");
}

function drawKeys(keys, now) {
  const rows = keys.map((k) => {
    const limits = el("td");
    for (const l of k.limits) {
      limits.append(el("div", { class: "limit" }, el("span", { text: `${l.limit}: ${compact(l.used)} / ${compact(l.max)}` }),
        (() => { const b = el("div", { class: "bar small" }); const f = el("div", { class: "fill" }); f.style.width = `${percent(l.used, l.max)}%`; b.append(f); return b; })()));
    }
    if (!k.limits.length) limits.textContent = "none";
    const actions = el("td", { class: "actions" });
    if (k.status !== "revoked") actions.append(el("button", { type: "button", "data-revoke": k.name, text: "Revoke" }));
    actions.append(el("button", { type: "button", "data-rotate": k.name, text: "Rotate" }));
    return el("tr", { class: k.status }, el("td", { text: k.name }), el("td", {}, el("code", { text: k.hint })),
      el("td", { text: k.status }), el("td", { text: k.models.length ? k.models.join(", ") : "any" }), limits,
      el("td", { text: relative(k.last_used_at, now) }), actions);
  });
  $("keys").tBodies[0].replaceChildren(...rows);
}

async function refresh() {
  $("board-error").hidden = true;
  try {
    const status = await api("GET", "/admin/status");
    const today = new Date(status.now * 1000).toISOString().slice(0, 10);
    const from = lastDays(today, 14)[0];
    const [accounts, keys, byDayModel, byDay] = await Promise.all([
      api("GET", "/admin/accounts"), api("GET", "/admin/keys"),
      api("GET", `/admin/usage?from=${from}&to=${today}&group_by=day,model`),
      api("GET", `/admin/usage?from=${from}&to=${today}&group_by=day`),
    ]);
    showBoard(true);
    drawHealth(status);
    drawAccounts(accounts.accounts, status.now);
    drawTraffic(byDayModel, byDay, today);
    drawKeys(keys.keys, status.now);
    $("updated").textContent = `updated ${utc(status.now)}`;
  } catch (err) {
    fail($("board-error"), err);
  }
}

function start() {
  clearInterval(timer);
  timer = setInterval(refresh, REFRESH_MS);
  return refresh();
}

function showNewKey(issued) {
  $("new-key-name").textContent = issued.name;
  $("new-key-value").textContent = issued.key;
  $("new-key").hidden = false;
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    sessionStorage.setItem(KEY, $("admin-key").value.trim());
    $("admin-key").value = "";
    $("sign-in-error").hidden = true;
    await start();
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("create-key").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = e.target;
    const spec = { name: form.name.value.trim(), models: list(form.models.value), limits: list(form.limits.value) };
    if (form.expires.value.trim()) spec.expires_in = form.expires.value.trim();
    try {
      showNewKey(await api("POST", "/admin/keys", spec));
      form.reset();
      await refresh();
    } catch (err) {
      fail($("board-error"), err);
    }
  });
  $("keys").addEventListener("click", async (e) => {
    const revoke = e.target.getAttribute("data-revoke");
    const rotate = e.target.getAttribute("data-rotate");
    if (revoke && !confirm(`Revoke ${revoke}? It is refused from now on.`)) return;
    if (rotate && !confirm(`Give ${rotate} a new key? The old one stops working at once.`)) return;
    try {
      if (revoke) await api("DELETE", `/admin/keys/${encodeURIComponent(revoke)}`);
      if (rotate) showNewKey(await api("POST", `/admin/keys/${encodeURIComponent(rotate)}/rotate`));
      if (revoke || rotate) await refresh();
    } catch (err) {
      fail($("board-error"), err);
    }
  });
  $("copy-key").addEventListener("click", async () => {
    try {
      // Browsers offer the clipboard only to secure pages (HTTPS or localhost).
      await navigator.clipboard.writeText($("new-key-value").textContent);
      $("copy-key").textContent = "Copied";
    } catch {
      const range = document.createRange();
      range.selectNodeContents($("new-key-value"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      $("copy-key").textContent = "Selected: copy it with your keyboard";
    }
  });
  $("dismiss-key").addEventListener("click", () => {
    $("new-key").hidden = true;
    $("new-key-value").textContent = "";
    $("copy-key").textContent = "Copy";
  });
  if (sessionStorage.getItem(KEY)) start();
});
