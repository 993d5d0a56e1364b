import type { RawFinding, Rule } from "../../types.js";
import { connectionBudgets, describeDemand, optionPos, poolCount, suggestDbMaxconn } from "../../lib/sizing.js";

export const rule: Rule = {
  id: "connection-budget-exceeded",
  category: "performance",
  severity: "error",
  title: "Odoo may open more PostgreSQL connections than max_connections allows",
  why:
    "Every Odoo process (each HTTP worker, each cron worker and the gevent process) keeps its own pool of up to db_maxconn connections, so Odoo may open (1 + workers + max_cron_threads) × db_maxconn of them. " +
    "When that exceeds PostgreSQL's max_connections, requests and crons fail under load with `FATAL: sorry, too many clients already` / `remaining connection slots are reserved`, and backups or psql cannot get in either.",
  fix:
    "Lower db_maxconn in odoo/custom/conf.d (e.g. `db_maxconn = 8`), so that the sum over all Odoo services stays below max_connections with room for backups, " +
    "or raise PostgreSQL's limit (`command: [postgres, -c, max_connections=200]`, or `max_connections = 200` in postgres-autoconf's CONF_EXTRA).",
  appliesTo: { envs: ["any-non-devel"] },
  example: "services:\n  odoo:\n    command: [odoo, --workers=4]   # (1 + 4 + 2) × 64 = 448\n  db:\n    image: postgres:16          # max_connections 100",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const b of connectionBudgets(env)) {
      if (b.total <= b.maxConnections.value) continue;
      const parts = b.consumers.map((c) => `${c.service}: ${describeDemand(c.demand)}`).join("; ");
      const where =
        b.maxConnections.source === "default"
          ? `${b.pgService.name} accepts max_connections ${b.maxConnections.value} (PostgreSQL's default)`
          : `${b.pgService.name} accepts max_connections ${b.maxConnections.value}`;
      // Point at the biggest consumer's db_maxconn (or workers) setting: that is what usually needs changing.
      const biggest = [...b.consumers].sort((x, y) => y.demand.total - x.demand.total)[0];
      const processes = b.consumers.reduce((n, c) => n + poolCount(c.demand), 0);
      const suggested = suggestDbMaxconn(b.maxConnections.value, processes);
      out.push({
        message: `Odoo may open up to ${b.total} PostgreSQL connections (${parts}) but ${where}`,
        pos: biggest ? optionPos(env, biggest.cfg, "db_maxconn", "workers") : b.maxConnections.pos,
        fix:
          suggested !== undefined
            ? `Set \`db_maxconn = ${suggested}\` in odoo/custom/conf.d (${processes} Odoo processes share ${b.maxConnections.value} connections, 10 kept for backups and superusers), or raise max_connections on ${b.pgService.name} to at least ${b.total + 10}.`
            : `Raise max_connections on ${b.pgService.name} to at least ${b.total + 10} (e.g. \`command: [postgres, -c, max_connections=${b.total + 10}]\`), or run fewer Odoo processes.`,
      });
    }
    return out;
  },
};
