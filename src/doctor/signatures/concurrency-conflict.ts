import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "concurrency-conflict",
  category: "postgresql",
  severity: "warning",
  title: "Concurrent updates: serialization failures, deadlocks, lock timeouts",
  patterns: [
    /\b\w+, \d+ tries left, try again in [\d.]+ sec/,
    /\b\w+, maximum number of tries reached/,
    /could not serialize access due to concurrent update/,
    /\bdeadlock detected\b/,
  ],
  loggers: ["odoo.service.model", "odoo.http", "postgresql"],
  meaning: "Two transactions touched the same rows. Odoo retries the request (up to 5 times) after SERIALIZATION_FAILURE, DEADLOCK_DETECTED or LOCK_NOT_AVAILABLE; \"maximum number of tries reached\" means the user got the error.",
  cause: "Hot rows updated by many users or by a cron job and users at once (sequences, stock quants, the same partner), long transactions, or several cron workers running the same heavy job.",
  fix: "Occasional retries are normal. Frequent ones: find the model in the traceback or PostgreSQL log (`log_lock_waits = on`), shorten long transactions, run heavy cron jobs off-peak, and avoid running cron on every replica (`max_cron_threads = 0` on web replicas).",
  source: "odoo/service/model.py (retrying)",
  example: "2026-11-27 03:00:00,000 2369 INFO acme odoo.service.model: SERIALIZATION_FAILURE, 4 tries left, try again in 0.5012 sec...",
};
