import type { Rule } from "../../types.js";

/**
 * Release day of each Odoo series (odoo.com release notes; the day is the Odoo Experience
 * keynote that shipped it). Odoo S.A. supports the three latest series, so a series loses
 * support the day the third later one is released.
 */
export const ODOO_RELEASES: readonly { major: number; date: string }[] = [
  { major: 7, date: "2012-12-21" },
  { major: 8, date: "2014-09-18" },
  { major: 9, date: "2015-10-01" },
  { major: 10, date: "2016-10-05" },
  { major: 11, date: "2017-10-04" },
  { major: 12, date: "2018-10-03" },
  { major: 13, date: "2019-10-02" },
  { major: 14, date: "2020-10-01" },
  { major: 15, date: "2021-10-06" },
  { major: 16, date: "2022-10-12" },
  { major: 17, date: "2023-11-08" },
  { major: 18, date: "2024-10-02" },
  { major: 19, date: "2025-09-17" },
];

/** Number of series Odoo S.A. supports at a time. */
const SUPPORTED_SERIES = 3;

/**
 * Whether Odoo S.A. still supports a series at `now`, and if not since when.
 * Series newer than the table are taken as supported.
 */
export function odooSupport(major: number, now: Date): { supported: boolean; since?: string; by?: number; current: number[] } {
  const today = now.toISOString().slice(0, 10);
  const released = ODOO_RELEASES.filter((r) => r.date <= today);
  const current = released.slice(-SUPPORTED_SERIES).map((r) => r.major);
  const newestKnown = ODOO_RELEASES[ODOO_RELEASES.length - 1]?.major ?? 0;
  if (major > newestKnown || current.includes(major)) return { supported: true, current };
  const oldestCurrent = current[0];
  if (oldestCurrent !== undefined && major > oldestCurrent) return { supported: true, current }; // not yet released
  // The release that ended support: the SUPPORTED_SERIES-th series after `major`.
  const idx = ODOO_RELEASES.findIndex((r) => r.major === major);
  const ender = idx >= 0 ? ODOO_RELEASES[idx + SUPPORTED_SERIES] : undefined;
  return ender && ender.date <= today
    ? { supported: false, since: ender.date, by: ender.major, current }
    : { supported: false, current };
}

export const rule: Rule = {
  id: "odoo-version-end-of-life",
  category: "reliability",
  severity: "warning",
  title: "Odoo series out of Odoo S.A. support",
  why:
    "Odoo S.A. fixes bugs and security issues only in the three latest series. An older series gets no more " +
    "upstream security patches, new PostgreSQL and Python releases stop being supported, and the eventual migration " +
    "grows with every skipped series.",
  fix:
    "Plan the migration to a supported series (OpenUpgrade or Odoo's upgrade service), then change `odoo_version` " +
    "and the `ODOO_VERSION` build arg; meanwhile follow OCA/OCB for community fixes.",
  appliesTo: {},
  scope: "project",
  check(ctx) {
    const v = ctx.project.odooVersion;
    if (!v) return [];
    const s = odooSupport(v.major, ctx.now);
    if (s.supported) return [];
    const since = s.since && s.by !== undefined ? ` since ${s.since} (when ${s.by}.0 came out)` : "";
    const current = s.current.length > 0 ? `; supported series: ${s.current.map((m) => `${m}.0`).join(", ")}` : "";
    return [
      {
        message: `Odoo ${v.value} is out of Odoo S.A. support${since}: no more upstream security fixes${current}`,
        pos: v.pos,
      },
    ];
  },
};
