import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "pg-connection-slots-exhausted",
  category: "postgresql",
  severity: "critical",
  title: "PostgreSQL refused connections: max_connections reached",
  patterns: [
    /remaining connection slots are reserved for/,
    /sorry, too many clients already/,
  ],
  meaning: "PostgreSQL has no connection slot left. Requests, cron jobs and even worker start-up fail with `OperationalError`. A non-superuser role gets \"remaining connection slots are reserved...\" first; a superuser role only \"sorry, too many clients already\".",
  cause: "Odoo's connection budget exceeds `max_connections`: each process keeps up to `db_maxconn` connections, and the budget is (1 + workers + max_cron_threads) x db_maxconn (gevent process included), plus other clients (backups, BI tools).",
  fix: "Make (1 + workers + max_cron_threads) x db_maxconn fit under `max_connections` minus reserved slots: lower `db_maxconn` in conf.d (e.g. `db_maxconn = 16`), or raise PostgreSQL's limit (`command: postgres -c max_connections=200` on the db service, with memory for it), or put PgBouncer in transaction mode in front. `doodba-ops check` reports the budget (connection-budget-exceeded).",
  source: "PostgreSQL src/backend/utils/init/postinit.c; odoo/sql_db.py",
  example: "psycopg2.OperationalError: connection to server at \"127.0.0.1\", port 55432 failed: FATAL:  remaining connection slots are reserved for non-replication superuser connections",
};
