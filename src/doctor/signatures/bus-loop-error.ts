import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "bus-loop-error",
  category: "proxy",
  severity: "warning",
  title: "Longpolling/websocket bus lost its database listener",
  patterns: [
    /^Bus\.loop error, sleep and retry/,
  ],
  fallback: true,
  meaning: "The bus thread that LISTENs for notifications on the database failed and retries in 50 s: until then live notifications, chat and multi-tab sync stop.",
  cause: "The database went away or restarted (see db-unreachable), or the connection pool was exhausted.",
  fix: "Fix the database side (other findings); if it repeats while the database is up, check `db_maxconn`/`max_connections` and that nothing kills idle connections (PgBouncer in transaction mode cannot carry LISTEN: point `db_host` of the gevent process at PostgreSQL directly).",
  source: "addons/bus/models/bus.py (ImDispatch.run)",
  example: "2026-11-27 03:00:00,000 1 ERROR ? odoo.addons.bus.models.bus: Bus.loop error, sleep and retry",
};
