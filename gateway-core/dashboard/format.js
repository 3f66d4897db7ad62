// Pure formatting and chart arithmetic for the dashboard: no DOM, no fetch, so node --test
// checks it (tests/dashboard/format.test.mjs).

/** 1234567 -> "1.23M", 1500 -> "1.5k", 999 -> "999". */
export function compact(n) {
  const abs = Math.abs(n);
  const cut = (x) => String(Number(x.toPrecision(3)));
  if (abs >= 1e9) return cut(n / 1e9) + "B";
  if (abs >= 1e6) return cut(n / 1e6) + "M";
  if (abs >= 1e3) return cut(n / 1e3) + "k";
  return String(n);
}

/** Seconds as "2h 05m", "3m 07s", "45s"; negative as "-". */
export function duration(secs) {
  if (!Number.isFinite(secs) || secs < 0) return "-";
  const s = Math.floor(secs);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  if (h >= 48) return `${Math.floor(h / 24)}d ${h % 24}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m ${String(r).padStart(2, "0")}s`;
  return `${r}s`;
}

/** "in 2h 05m" / "3m 07s ago" for a Unix time `at` seen at `now`. */
export function relative(at, now) {
  if (at == null) return "never";
  const d = at - now;
  if (Math.abs(d) < 5) return "just now";
  return d >= 0 ? `in ${duration(d)}` : `${duration(-d)} ago`;
}

/** A Unix time as "2026-12-06 14:05 UTC". */
export function utc(at) {
  if (at == null) return "-";
  return new Date(at * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

/** A used share as a bar width, 0 to 100. */
export function percent(used, max) {
  if (!max) return 0;
  return Math.max(0, Math.min(100, (used / max) * 100));
}

/** The n UTC dates ending with `today` ("YYYY-MM-DD"), oldest first. */
export function lastDays(today, n) {
  const end = Date.parse(today + "T00:00:00Z");
  return Array.from({ length: n }, (_, i) =>
    new Date(end - (n - 1 - i) * 86400000).toISOString().slice(0, 10));
}

/**
 * Rows of /admin/usage?group_by=day,model as stacked columns: one column per day of `days`,
 * its segments the models' token totals (input + output) in a stable model order.
 */
export function stackByModel(rows, days) {
  const models = [...new Set(rows.map((r) => r.model))].sort();
  const columns = days.map((day) => {
    const segments = models.map((model) => {
      const row = rows.find((r) => r.day === day && r.model === model);
      return { model, value: row ? row.input_tokens + row.output_tokens : 0 };
    });
    return { day, total: segments.reduce((s, x) => s + x.value, 0), segments };
  });
  return { models, columns, max: Math.max(0, ...columns.map((c) => c.total)) };
}

/** Requests per day of `days` from /admin/usage?group_by=day rows. */
export function requestsByDay(rows, days) {
  return days.map((day) => ({ day, value: rows.find((r) => r.day === day)?.requests ?? 0 }));
}

/** The ticks of a value axis: about four round steps, the last at or above `max`. */
export function ticks(max) {
  if (max <= 0) return [0];
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw);
  const out = [0];
  while (out[out.length - 1] < max) out.push(out[out.length - 1] + step);
  return out;
}

/** Split a comma-separated form field into trimmed, non-empty entries. */
export function list(text) {
  return (text || "").split(",").map((s) => s.trim()).filter(Boolean);
}

/** Which of the 5-hour and weekly windows a usage snapshot's windows are, by their length. */
export function windows(usage) {
  const out = { fiveHour: null, weekly: null };
  for (const w of [usage?.primary, usage?.secondary]) {
    if (!w) continue;
    if (w.window_minutes != null && w.window_minutes >= 24 * 60) out.weekly = w;
    else out.fiveHour = w;
  }
  return out;
}
