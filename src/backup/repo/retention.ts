/**
 * Retention: which snapshots a policy keeps (pure; prune applies it). Same rules as restic's
 * `forget --keep-*`: snapshots are taken newest first; keep-last keeps the N newest; keep-daily
 * keeps the newest snapshot of each of the N most recent days that have one (likewise ISO weeks
 * and months). A snapshot kept by several rules lists every reason. Calendar buckets are UTC, so a
 * plan does not depend on the machine's time zone. Snapshots are planned per group (by default the
 * database they back up), so a repository shared by prod and staging keeps N of each.
 */
import { UserError } from "../../errors.js";

export interface RetentionPolicy {
  keepLast?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
}

export interface RetentionInput {
  id: string;
  /** ISO 8601. */
  createdAt: string;
  /** Snapshots are planned separately per group. */
  group: string;
}

export interface RetentionPlan {
  keep: { id: string; group: string; createdAt: string; reasons: string[] }[];
  remove: { id: string; group: string; createdAt: string }[];
}

/** ISO 8601 week, e.g. "2026-W48" (weeks start on Monday; week 1 holds the first Thursday). */
export function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}

function count(n: number | undefined, name: string): number {
  if (n === undefined) return 0;
  if (!Number.isInteger(n) || n < 0) throw new UserError(`--${name} must be a whole number >= 0, got ${n}`);
  return n;
}

export function planRetention(snapshots: readonly RetentionInput[], policy: RetentionPolicy): RetentionPlan {
  const last = count(policy.keepLast, "keep-last");
  const daily = count(policy.keepDaily, "keep-daily");
  const weekly = count(policy.keepWeekly, "keep-weekly");
  const monthly = count(policy.keepMonthly, "keep-monthly");
  if (last + daily + weekly + monthly === 0) {
    throw new UserError("the retention policy keeps no snapshot", {
      hint: "Give at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly (prune never deletes every snapshot).",
    });
  }
  const groups = new Map<string, RetentionInput[]>();
  for (const s of snapshots) {
    if (Number.isNaN(Date.parse(s.createdAt))) throw new Error(`snapshot ${s.id} has an invalid date ${s.createdAt}`);
    const g = groups.get(s.group) ?? [];
    g.push(s);
    groups.set(s.group, g);
  }
  const plan: RetentionPlan = { keep: [], remove: [] };
  for (const group of [...groups.keys()].sort()) {
    const list = (groups.get(group) as RetentionInput[]).slice().sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : -1));
    const rules: { name: string; n: number; bucket: (d: Date) => string }[] = [
      { name: "last", n: last, bucket: () => "" },
      { name: "daily", n: daily, bucket: (d) => d.toISOString().slice(0, 10) },
      { name: "weekly", n: weekly, bucket: isoWeek },
      { name: "monthly", n: monthly, bucket: (d) => d.toISOString().slice(0, 7) },
    ];
    const reasons = new Map<string, string[]>();
    for (const rule of rules) {
      if (rule.n === 0) continue;
      const seen = new Set<string>();
      let kept = 0;
      for (const s of list) {
        if (kept >= rule.n) break;
        const b = rule.name === "last" ? s.id : rule.bucket(new Date(s.createdAt));
        if (seen.has(b)) continue;
        seen.add(b);
        kept++;
        const r = reasons.get(s.id) ?? [];
        r.push(rule.name === "last" ? `last ${kept}` : `${rule.name} ${b}`);
        reasons.set(s.id, r);
      }
    }
    for (const s of list) {
      const r = reasons.get(s.id);
      if (r) plan.keep.push({ id: s.id, group, createdAt: s.createdAt, reasons: r });
      else plan.remove.push({ id: s.id, group, createdAt: s.createdAt });
    }
  }
  return plan;
}
