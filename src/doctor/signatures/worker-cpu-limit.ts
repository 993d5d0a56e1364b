import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "worker-cpu-limit",
  category: "workers",
  severity: "error",
  title: "Worker killed by limit_time_cpu",
  patterns: [
    /\bWorker \(\d+\) CPU time limit \(\d+\) reached/,
  ],
  loggers: ["odoo.service.server"],
  meaning: "A worker used more CPU seconds than `limit_time_cpu` on one request; it raises `Exception: CPU time limit exceeded.` and exits. The request fails (often the first load of the web client, when asset bundles are generated).",
  cause: "A CPU-heavy request (asset bundle generation, a large report, a computed field over many records) or a limit set too low for the hardware.",
  fix: "Raise `limit_time_cpu` in `odoo/custom/conf.d/*.conf` (Odoo's default is 60; the deployment guide uses 600 for heavy workloads), and keep `limit_time_real` larger than it. If one endpoint keeps hitting it, profile that request instead.",
  source: "odoo/service/server.py (Worker.signal_time_expired_handler)",
  example: "2026-11-27 01:57:34,114 2368 INFO ? odoo.service.server: Worker (2368) CPU time limit (1) reached.",
};
