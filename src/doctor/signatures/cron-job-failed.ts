import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "cron-job-failed",
  category: "cron",
  severity: "error",
  title: "A scheduled action failed",
  patterns: [
    /Call from cron .* for server action #\d+ failed in Job #\d+/,
    /Call of self\.env\[.*\]\.\S+\(.*\) failed in Job #\d+/,
  ],
  meaning: "A scheduled action (`ir.cron`) raised an exception; its transaction was rolled back and it will run again at its next call date. Repeated failures mean the job never completes (e.g. mails never sent, invoices never posted).",
  cause: "A bug or bad data in the job's code, a missing dependency of the module, or a timeout; the traceback names it.",
  fix: "Open Settings > Technical > Scheduled Actions, find the job (the id is in the line), run it manually to see the error, and fix or deactivate it. Check `limit_time_real_cron` if it is killed by time.",
  source: "odoo/addons/base/models/ir_cron.py (_callback)",
  example: "2026-11-27 03:00:00,000 2373 ERROR acme odoo.addons.base.models.ir_cron: Call from cron Mail: Email Queue Manager for server action #42 failed in Job #3",
};
