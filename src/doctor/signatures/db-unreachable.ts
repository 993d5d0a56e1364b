import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "db-unreachable",
  category: "postgresql",
  severity: "critical",
  title: "PostgreSQL unreachable (down, restarting, or wrong host)",
  patterns: [
    /OperationalError: .*(?:Connection refused|could not connect to server|the database system is (?:shutting down|starting up|in recovery mode|not yet accepting connections)|could not translate host name|timeout expired|Connection timed out|No route to host|Name or service not known)/,
    /OperationalError: server closed the connection unexpectedly/,
    /^the database system is (?:shutting down|starting up|in recovery mode)/,
  ],
  meaning: "Odoo could not reach PostgreSQL: requests fail with 500 while `/web/health` (without `db_server_status`) still answers 200. In threaded mode the cron threads die and stay dead after the database returns; in prefork mode workers crash and respawn until it returns.",
  cause: "The database container is down or restarting (OOM kill, upgrade, `docker compose restart db`), Odoo started before it was ready, or `db_host`/`PGHOST` names a host that does not resolve on Odoo's network.",
  fix: "Check `docker compose ps db` and `docker compose logs db`; make Odoo wait for it (`depends_on: {db: {condition: service_healthy}}` with a `pg_isready` healthcheck on db); check `PGHOST` (Doodba default `db`). After an outage in threaded mode, restart Odoo so cron comes back.",
  source: "psycopg2 / libpq; odoo/sql_db.py (ConnectionPool.borrow)",
  example: "psycopg2.OperationalError: connection to server at \"127.0.0.1\", port 55432 failed: Connection refused",
};
