import type { RawFinding, Rule } from "../../types.js";
import { odooBool, odooServices, opt, svcPos } from "../../lib/common.js";

export const rule: Rule = {
  id: "list-db-enabled",
  category: "security",
  severity: "warning",
  title: "Database listing (list_db) is on in production",
  why:
    "With list_db on, Odoo lists every database name of the cluster to anonymous visitors (/web/database/selector, " +
    "the db JSON-RPC service) and enables the database manager's create, duplicate, backup, restore and drop functions, " +
    "guarded only by the master password. Production needs none of it: backups are taken at the PostgreSQL level.",
  fix: 'Set `LIST_DB: "false"` in the prod environment of the Odoo service (and remove `list_db = True` from odoo/custom/conf.d), with DB_FILTER or PGDATABASE naming the production database.',
  appliesTo: { envs: ["prod"] },
  example: 'services:\n  odoo:\n    environment:\n      LIST_DB: "true"',
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const { svc, cfg } of odooServices(env)) {
      const o = opt(cfg, "list_db");
      // Odoo's own default (True) on a non-doodba image: the real value is in an odoo.conf the model cannot see.
      if (!o || o.source === "odoo-default") continue;
      if (odooBool(o.value) !== true) continue;
      out.push({
        message: `Odoo service ${svc.name}: list_db is on (${o.value.trim()}, from ${o.source}): database names are listed to anyone and the database manager's functions are enabled`,
        pos: o.pos ?? svcPos(env, svc.name),
      });
    }
    return out;
  },
};
