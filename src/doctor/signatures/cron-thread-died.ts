import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "cron-thread-died",
  category: "cron",
  severity: "critical",
  title: "A cron thread died (threaded mode): scheduled actions stopped",
  patterns: [
    /^Exception in thread odoo\.service\.cron\.cron\d+/,
  ],
  meaning: "In threaded mode (`workers = 0`) a cron thread crashed on an uncaught exception. It is not restarted: scheduled actions (mail queue, invoicing, backups run by cron) stop until Odoo is restarted, while the web still works and `/web/health` still answers 200.",
  cause: "Usually the database went away (restart, failover, network) while the thread was waiting for notifications.",
  fix: "Restart Odoo now (`docker compose restart odoo`). In production run prefork workers (`workers = 2` or more in conf.d), whose cron workers are respawned, and make Odoo wait for a healthy database (`depends_on: {db: {condition: service_healthy}}`).",
  source: "odoo/service/server.py (ThreadedServer.cron_thread)",
  example: "Exception in thread odoo.service.cron.cron0:",
};
