import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "connection-pool-full",
  category: "postgresql",
  severity: "error",
  title: "Odoo's connection pool is full (db_maxconn)",
  patterns: [
    /The Connection Pool Is Full/i,
    /\bPoolError\b/,
  ],
  meaning: "One Odoo process wanted more simultaneous database connections than `db_maxconn` allows.",
  cause: "Many concurrent requests in threaded mode (all share one pool), or long transactions holding connections.",
  fix: "Run prefork workers in production (`workers = N`), or raise `db_maxconn` while keeping (1 + workers + max_cron_threads) x db_maxconn under PostgreSQL's `max_connections`.",
  source: "odoo/sql_db.py (ConnectionPool.borrow)",
  example: "psycopg2.pool.PoolError: The Connection Pool Is Full",
};
