import type { RawFinding, Rule } from "../../types.js";
import { odooServices, svcPos } from "../../lib/common.js";
import { pgServerServices } from "../../lib/postgres.js";

export const rule: Rule = {
  id: "depends-on-not-healthy",
  category: "reliability",
  severity: "info",
  title: "Odoo starts before its database is healthy",
  why:
    "The database has a healthcheck, but Odoo's `depends_on` only waits for the container to start. Doodba's " +
    "entrypoint then waits for PostgreSQL (WAIT_DB) with no time-out, so a database that never becomes ready leaves " +
    "Odoo hanging silently instead of failing the deployment; `condition: service_healthy` makes compose wait, and " +
    "report, instead.",
  fix: "Use the long form: `depends_on: {db: {condition: service_healthy}}` on the Odoo service.",
  appliesTo: { envs: ["any-non-devel"] },
  example: "services:\n  odoo:\n    depends_on:\n      - db\n  db:\n    healthcheck:\n      test: [\"CMD-SHELL\", \"pg_isready\"]",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    const dbs = new Map(pgServerServices(env).map((s) => [s.name, s]));
    for (const { svc } of odooServices(env)) {
      for (const [dep, d] of Object.entries(svc.dependsOn)) {
        const db = dbs.get(dep);
        if (!db || !db.healthcheck || db.healthcheck.disable) continue;
        const test = db.healthcheck.test ?? [];
        if (test.length > 0 && (test[0] ?? "").toUpperCase() === "NONE") continue;
        if (d.condition === "service_healthy") continue;
        out.push({
          message: `Odoo service ${svc.name} depends on ${dep} with condition ${d.condition}, although ${dep} has a healthcheck: Odoo starts before PostgreSQL is ready`,
          pos: d.pos ?? svcPos(env, svc.name, "depends_on", dep),
          fix: `Under \`services.${svc.name}.depends_on\` write \`${dep}: {condition: service_healthy}\`.`,
        });
      }
    }
    return out;
  },
};
