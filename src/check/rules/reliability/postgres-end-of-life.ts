import type { RawFinding, Rule } from "../../types.js";
import { describePgSource, formatPgMajor, isPgEndOfLife, pgEndOfLife, pgVersions } from "../../lib/postgres.js";

export const rule: Rule = {
  id: "postgres-end-of-life",
  category: "reliability",
  severity: "warning",
  title: "PostgreSQL major version past its end of life",
  why:
    "The PostgreSQL community supports each major for five years; after that no security or data-corruption fixes " +
    "are released, and images stop being rebuilt with patched base layers. Upgrading across many majors later is a " +
    "bigger, riskier migration than keeping up.",
  fix:
    "Plan an upgrade to a supported major (dump/restore or pg_upgrade into a new volume): change the db image tag " +
    "and the odoo build arg `DB_VERSION` together, within what the Odoo version supports.",
  appliesTo: { envs: ["any-non-devel"] },
  example: "services:\n  db:\n    image: ghcr.io/tecnativa/postgres-autoconf:10-alpine",
  scope: "env",
  check(env, ctx) {
    const out: RawFinding[] = [];
    for (const v of pgVersions(env, ctx.project)) {
      if (!isPgEndOfLife(v.major, ctx.now)) continue;
      const eol = pgEndOfLife(v.major);
      out.push({
        message: `PostgreSQL ${formatPgMajor(v.major)} (${describePgSource(v)}) reached its end of life${eol ? ` on ${eol}` : ""}: no more security or bug fixes`,
        pos: v.pos,
      });
    }
    return out;
  },
};
