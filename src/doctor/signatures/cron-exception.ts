import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "cron-exception",
  category: "cron",
  severity: "warning",
  title: "The cron runner could not process jobs",
  patterns: [
    /^Exception in cron:/,
  ],
  loggers: ["odoo.addons.base.models.ir_cron"],
  fallback: true,
  meaning: "The cron loop itself failed (not one job): usually it could not open a cursor on the database.",
  cause: "The database was unreachable or overloaded when the cron thread/worker polled for jobs.",
  fix: "See the database findings; make sure PostgreSQL is up and within its connection limit.",
  source: "odoo/addons/base/models/ir_cron.py (_process_jobs)",
  example: "2026-11-27 02:09:31,335 13422 WARNING acme odoo.addons.base.models.ir_cron: Exception in cron:",
};
