import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "cron-skipped-pending-modules",
  category: "cron",
  severity: "error",
  title: "Scheduled actions skipped: modules waiting to be installed/upgraded/removed",
  patterns: [
    /Skipping database \S+ because of modules to install\/upgrade\/remove/,
  ],
  levels: ["WARNING"],
  meaning: "The cron runner does not run any scheduled action in a database where modules are in a pending state (`to install`, `to upgrade`, `to remove`): mail queues, invoicing, queue jobs, everything cron-driven stops for that database, silently for users.",
  cause: "A module install/upgrade was scheduled from Apps (\"Upgrade\" clicked, or an install that failed half-way) and never completed, or new code was deployed and the modules marked for update were not updated.",
  fix: "Finish it: `docker compose run --rm odoo odoo -d <db> -u <module> --stop-after-init` (or `click-odoo-update` in Doodba); or cancel it in Apps (\"Cancel Install/Upgrade\"). List the pending ones with `SELECT name, state FROM ir_module_module WHERE state IN ('to install','to upgrade','to remove');`.",
  source: "odoo/addons/base/models/ir_cron.py (_process_jobs)",
  example: "2026-11-27 03:00:00,000 2373 WARNING ? odoo.addons.base.models.ir_cron: Skipping database acme because of modules to install/upgrade/remove.",
};
