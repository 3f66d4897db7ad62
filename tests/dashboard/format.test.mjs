// The dashboard's pure formatting and chart code (gateway-core/dashboard/format.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { compact, duration, lastDays, list, percent, relative, requestsByDay, stackByModel, ticks, utc, windows } from "../../gateway-core/dashboard/format.js";

test("numbers and durations read short", () => {
  assert.equal(compact(999), "999");
  assert.equal(compact(1500), "1.5k");
  assert.equal(compact(1234567), "1.23M");
  assert.equal(compact(2e9), "2B");
  assert.equal(duration(45), "45s");
  assert.equal(duration(187), "3m 07s");
  assert.equal(duration(7500), "2h 05m");
  assert.equal(duration(3 * 86400 + 3600), "3d 1h");
  assert.equal(duration(-1), "-");
  assert.equal(relative(1100, 1000), "in 1m 40s");
  assert.equal(relative(900, 1000), "1m 40s ago");
  assert.equal(relative(null, 1000), "never");
  assert.equal(relative(1000, 1002), "just now");
  assert.equal(utc(1765022400), "2025-12-06 12:00 UTC");
});

test("bars stay within 0 and 100", () => {
  assert.equal(percent(5, 10), 50);
  assert.equal(percent(15, 10), 100);
  assert.equal(percent(1, 0), 0);
});

test("the last days run oldest first across a month", () => {
  assert.deepEqual(lastDays("2026-12-02", 3), ["2026-11-30", "2026-12-01", "2026-12-02"]);
  assert.equal(lastDays("2026-12-06", 14).length, 14);
});

test("usage rows become stacked columns by model, with empty days", () => {
  const rows = [
    { day: "2026-12-05", model: "gpt-5.4", input_tokens: 10, output_tokens: 5, requests: 1 },
    { day: "2026-12-06", model: "gpt-5.4", input_tokens: 1, output_tokens: 1, requests: 1 },
    { day: "2026-12-06", model: "claude-x", input_tokens: 100, output_tokens: 0, requests: 2 },
  ];
  const days = ["2026-12-04", "2026-12-05", "2026-12-06"];
  const stacked = stackByModel(rows, days);
  assert.deepEqual(stacked.models, ["claude-x", "gpt-5.4"]);
  assert.deepEqual(stacked.columns.map((c) => c.total), [0, 15, 102]);
  assert.equal(stacked.max, 102);
  assert.deepEqual(stacked.columns[2].segments, [{ model: "claude-x", value: 100 }, { model: "gpt-5.4", value: 2 }]);
  const byDay = requestsByDay([{ day: "2026-12-06", requests: 3 }], days);
  assert.deepEqual(byDay.map((d) => d.value), [0, 0, 3]);
});

test("axis ticks are round and cover the maximum", () => {
  assert.deepEqual(ticks(0), [0]);
  assert.deepEqual(ticks(100), [0, 25, 50, 75, 100]);
  const t = ticks(1234);
  assert.ok(t[t.length - 1] >= 1234 && t.length <= 6, String(t));
});

test("form lists and usage windows", () => {
  assert.deepEqual(list(" a, b ,,c "), ["a", "b", "c"]);
  assert.deepEqual(list(""), []);
  const w = windows({ primary: { used_percent: 80, window_minutes: 10080 }, secondary: { used_percent: 20, window_minutes: 300 } });
  assert.equal(w.weekly.used_percent, 80);
  assert.equal(w.fiveHour.used_percent, 20);
  assert.deepEqual(windows(null), { fiveHour: null, weekly: null });
});
