import type { RawFinding, Rule } from "../../types.js";
import { odooServices, opt, svcPos } from "../../lib/common.js";
import { defaultMayBeOverridden, envVarPos, isExplicit, isWeakPassword, postgresServers } from "./_helpers.js";

export const rule: Rule = {
  id: "default-db-password",
  category: "security",
  severity: "error",
  title: "PostgreSQL password is a default or well-known value",
  why:
    "The database role Odoo uses owns every table: with its password anyone who reaches PostgreSQL (a published port, " +
    "another container, a leaked backup job) can read or rewrite all data, including password hashes. Doodba uses " +
    "`odoopassword` when PGPASSWORD is not set, and `odoo`/`postgres`/`password` are the first values tried.",
  fix:
    "Generate one random password and set it on both sides, in the git-ignored env files: `PGPASSWORD=<random>` in " +
    ".docker/db-access.env and `POSTGRES_PASSWORD=<same>` in .docker/db-creation.env. On an existing cluster also run " +
    "`ALTER ROLE odoo PASSWORD '<random>';` (POSTGRES_PASSWORD is only read when the data folder is created).",
  appliesTo: { envs: ["any-non-devel"] },
  example: "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: odoopassword",
  scope: "env",
  check(env, ctx) {
    const out: RawFinding[] = [];
    for (const { svc, cfg } of odooServices(env)) {
      const o = opt(cfg, "db_password");
      if (!o || o.source === "odoo-default") continue;
      if (!isExplicit(o) && defaultMayBeOverridden(ctx.project, svc, "PGPASSWORD")) continue;
      if (!isWeakPassword(o.value)) continue;
      const what = isExplicit(o)
        ? `the database password (db_password, from ${o.source}) is the well-known value "${o.value.trim()}"`
        : `PGPASSWORD is not set, so doodba's default database password "${o.value.trim()}" applies`;
      out.push({ message: `Odoo service ${svc.name}: ${what}`, pos: o.pos ?? svcPos(env, svc.name) });
    }
    for (const svc of postgresServers(env)) {
      if (svc.environment.POSTGRES_PASSWORD_FILE) continue;
      const v = svc.environment.POSTGRES_PASSWORD;
      if (v === undefined || v === null || !isWeakPassword(v)) continue;
      out.push({
        message: `PostgreSQL service ${svc.name}: POSTGRES_PASSWORD is the well-known value "${v.trim()}"`,
        pos: envVarPos(env, svc.name, "POSTGRES_PASSWORD") ?? svcPos(env, svc.name),
      });
    }
    return out;
  },
};
