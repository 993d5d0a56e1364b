import type { RawFinding, Rule } from "../../types.js";
import { odooServices, opt, optValue, svcPos } from "../../lib/common.js";
import { defaultMayBeOverridden, isExplicit } from "./_helpers.js";

/** Regular expressions that match every database name (after removing ^ and $ anchors). */
const MATCH_ALL = new Set([".*", ".+", "(.*)", "(.+)", ".*?", ".+?", "(.*?)", "[\\s\\S]*", "[\\s\\S]+", "[^/]*", "[^/]+", "\\w*", "[\\w-]*", "[\\w.-]*"]);

export function matchesAll(filter: string): boolean {
  const core = filter.trim().replace(/^\^/, "").replace(/\$$/, "");
  return MATCH_ALL.has(core);
}

export const rule: Rule = {
  id: "dbfilter-matches-all",
  category: "security",
  severity: "warning",
  title: "dbfilter matches every database",
  why:
    "A dbfilter such as `.*` (doodba's default) lets every request pick any database of the PostgreSQL cluster. With more " +
    "than one database (a restored copy, a test database) `.*` overrides db_name and /web/login redirects to the database " +
    "selector: users land on the wrong database and every database is reachable from the internet.",
  fix: 'Pin production to its database: `DB_FILTER: "^prod$$"` in prod.yaml (write `$$` for a literal `$` in compose), or a host-based filter such as `^%d$$` when one instance serves several domains.',
  appliesTo: { envs: ["prod"] },
  example: 'services:\n  odoo:\n    environment:\n      DB_FILTER: ".*"',
  scope: "env",
  check(env, ctx) {
    const out: RawFinding[] = [];
    for (const { svc, cfg } of odooServices(env)) {
      const o = opt(cfg, "dbfilter");
      // Odoo's own default on a non-doodba image: the real value may be in an odoo.conf the model cannot see.
      if (!o || o.source === "odoo-default") continue;
      if (!isExplicit(o) && defaultMayBeOverridden(ctx.project, svc, "DB_FILTER")) continue;
      const v = o.value.trim();
      // An empty dbfilter falls back to db_name (a comma-separated list) in current Odoo: only "all" when that is empty too.
      const dbName = (optValue(cfg, "db_name") ?? "").trim();
      const all = matchesAll(v) || (v === "" && (dbName === "" || dbName.toLowerCase() === "false"));
      if (!all) continue;
      const how = isExplicit(o) ? `dbfilter is "${v}" (from ${o.source})` : `DB_FILTER is not set, so doodba's default dbfilter "${v}" applies`;
      out.push({
        message: `Odoo service ${svc.name}: ${how}, which matches every database of the cluster; with a second database, /web/login redirects to the database selector`,
        pos: o.pos ?? svcPos(env, svc.name),
      });
    }
    return out;
  },
};
