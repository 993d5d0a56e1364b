import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "pg-statement-canceled",
  category: "postgresql",
  severity: "warning",
  title: "Statement canceled: lock timeout or statement timeout",
  patterns: [
    /canceling statement due to (?:lock|statement) timeout/,
    /could not obtain lock on row in relation/,
  ],
  meaning: "PostgreSQL aborted a statement that waited too long for a lock or ran past `statement_timeout`.",
  cause: "A long transaction holding locks (a module update, a big import, a stuck session `idle in transaction`), or a timeout set too low for a heavy query.",
  fix: "Find the blocker: `SELECT pid, state, now()-xact_start, query FROM pg_stat_activity WHERE state <> 'idle' ORDER BY xact_start;` and `pg_blocking_pids(pid)`; set `idle_in_transaction_session_timeout` on the db service; run module updates in a maintenance window.",
  source: "PostgreSQL src/backend/tcop/postgres.c",
  example: "psycopg2.errors.LockNotAvailable: canceling statement due to lock timeout",
};
