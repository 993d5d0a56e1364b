/** Retention planning: keep-last/daily/weekly/monthly, per group, reasons, refusals. */
import { describe, expect, it } from "vitest";
import { isoWeek, planRetention, type RetentionInput } from "../../../src/backup/repo/retention.js";

/** One snapshot per day at 02:00 UTC for `days` days ending 2026-11-27, ids d000 (newest) upwards. */
function daily(days: number, group = "acme"): RetentionInput[] {
  const end = Date.UTC(2026, 10, 27, 2);
  return Array.from({ length: days }, (_, i) => ({ id: `${group}-d${String(i).padStart(3, "0")}`, createdAt: new Date(end - i * 86_400_000).toISOString(), group }));
}

describe("planRetention", () => {
  it("GIVEN 10 daily snapshots WHEN keep-last 3 THEN the 3 newest stay and 7 go", () => {
    const plan = planRetention(daily(10), { keepLast: 3 });
    expect(plan.keep.map((k) => k.id)).toEqual(["acme-d000", "acme-d001", "acme-d002"]);
    expect(plan.keep[0]?.reasons).toEqual(["last 1"]);
    expect(plan.remove).toHaveLength(7);
  });

  it("GIVEN two snapshots a day WHEN keep-daily 2 THEN the newest of each of the 2 latest days", () => {
    const snaps = daily(5).flatMap((s) => [s, { ...s, id: `${s.id}-early`, createdAt: new Date(Date.parse(s.createdAt) - 3600_000).toISOString() }]);
    const plan = planRetention(snaps, { keepDaily: 2 });
    expect(plan.keep.map((k) => k.id)).toEqual(["acme-d000", "acme-d001"]);
    expect(plan.keep[1]?.reasons).toEqual(["daily 2026-11-26"]);
  });

  it("GIVEN 90 days WHEN 7 daily, 4 weekly, 3 monthly THEN kept by calendar bucket with every reason", () => {
    const plan = planRetention(daily(90), { keepDaily: 7, keepWeekly: 4, keepMonthly: 3 });
    const ids = plan.keep.map((k) => k.id);
    expect(ids.slice(0, 7)).toEqual(["acme-d000", "acme-d001", "acme-d002", "acme-d003", "acme-d004", "acme-d005", "acme-d006"]);
    // 2026-11-27 is a Friday: weeks end on the Sundays before it
    const weekly = plan.keep.filter((k) => k.reasons.some((r) => r.startsWith("weekly"))).map((k) => k.createdAt.slice(0, 10));
    expect(weekly).toEqual(["2026-11-27", "2026-11-22", "2026-11-15", "2026-11-08"]);
    const monthly = plan.keep.filter((k) => k.reasons.some((r) => r.startsWith("monthly"))).map((k) => k.createdAt.slice(0, 10));
    expect(monthly).toEqual(["2026-11-27", "2026-10-31", "2026-09-30"]);
    expect(plan.keep[0]?.reasons).toEqual(["daily 2026-11-27", "weekly 2026-W48", "monthly 2026-11"]);
    expect(plan.keep.length + plan.remove.length).toBe(90);
  });

  it("GIVEN two databases in one repository WHEN keep-last 2 THEN 2 of each", () => {
    const plan = planRetention([...daily(5, "prod"), ...daily(5, "staging")], { keepLast: 2 });
    expect(plan.keep.map((k) => k.id)).toEqual(["prod-d000", "prod-d001", "staging-d000", "staging-d001"]);
  });

  it("GIVEN a policy that keeps nothing or a negative count THEN refused", () => {
    expect(() => planRetention(daily(3), {})).toThrow(/keeps no snapshot/);
    expect(() => planRetention(daily(3), { keepLast: -1 })).toThrow(/whole number/);
  });

  it("GIVEN dates around new year THEN ISO weeks are right", () => {
    expect(isoWeek(new Date("2026-01-01T00:00:00Z"))).toBe("2026-W01");
    expect(isoWeek(new Date("2027-01-01T00:00:00Z"))).toBe("2026-W53");
    expect(isoWeek(new Date("2024-12-30T12:00:00Z"))).toBe("2025-W01");
  });
});
