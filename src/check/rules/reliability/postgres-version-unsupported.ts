import type { RawFinding, Rule } from "../../types.js";
import {
  UNTESTED_MARGIN,
  describePgSource,
  formatPgMajor,
  odooMinPg,
  odooNewestTestedPg,
  pgMajorAfter,
  pgMajorDistance,
  pgVersions,
} from "../../lib/postgres.js";

export const rule: Rule = {
  id: "postgres-version-unsupported",
  category: "reliability",
  severity: "error",
  title: "PostgreSQL version does not fit the Odoo version",
  why:
    "Each Odoo series refuses to start below a minimum PostgreSQL (Odoo 16/17 need 12, 18 and 19 need 13) and old " +
    "series were never run on PostgreSQL releases that came years after their support ended (catalog changes, " +
    "scram-sha-256 authentication, an old psycopg2/libpq): the server fails at start-up, or worse during a migration.",
  fix:
    "Run a PostgreSQL major the Odoo series supports: set the db image tag (e.g. `image: ghcr.io/tecnativa/postgres-autoconf:16-alpine`) " +
    "and the odoo build arg `DB_VERSION` to the same major, then dump and restore (or pg_upgrade) the data into the new cluster.",
  appliesTo: { envs: ["any-non-devel"] },
  example: "# Odoo 17.0\nservices:\n  db:\n    image: postgres:10",
  scope: "env",
  check(env, ctx) {
    const odoo = ctx.project.odooVersion;
    if (!odoo) return [];
    const out: RawFinding[] = [];
    const min = odooMinPg(odoo.major);
    const newest = odooNewestTestedPg(odoo.major);
    for (const v of pgVersions(env, ctx.project)) {
      const pg = formatPgMajor(v.major);
      if (min !== undefined && v.major < min) {
        out.push({
          message: `PostgreSQL ${pg} (${describePgSource(v)}) is below the minimum for Odoo ${odoo.value}: PostgreSQL ${formatPgMajor(min)} or newer`,
          pos: v.pos,
          fix: `Move to PostgreSQL ${formatPgMajor(min)} or newer (the newest your Odoo ${odoo.value} images were tested with is safest), keeping DB_VERSION in step.`,
        });
      } else if (newest !== undefined && pgMajorDistance(newest, v.major) > UNTESTED_MARGIN) {
        out.push({
          message:
            `PostgreSQL ${pg} (${describePgSource(v)}) is ${pgMajorDistance(newest, v.major)} majors newer than any release that ` +
            `existed while Odoo ${odoo.value} was supported (newest: ${formatPgMajor(newest)}); Odoo ${odoo.value} was never run on it`,
          pos: v.pos,
          fix: `Use PostgreSQL ${formatPgMajor(newest)} (or at most ${formatPgMajor(pgMajorAfter(newest, UNTESTED_MARGIN))}) for Odoo ${odoo.value}, or upgrade Odoo.`,
        });
      }
    }
    return out;
  },
};
