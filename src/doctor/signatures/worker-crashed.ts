import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "worker-crashed",
  category: "workers",
  severity: "error",
  title: "Worker died on an unexpected exception",
  patterns: [
    /\bWorker \(\d+\) Exception occurred, exiting/,
  ],
  exclude: [/CPU time limit exceeded/],
  loggers: ["odoo.service.server"],
  fallback: true,
  meaning: "A prefork worker hit an exception outside a request and exited; the master starts a new one. The traceback under the line says why.",
  cause: "Usually a resource limit or a lost database connection; read the exception at the end of the traceback.",
  fix: "Fix what the traceback names. If it repeats, check the other findings (database reachability, memory limits) and `docker compose logs odoo` around the first occurrence.",
  source: "odoo/service/server.py (Worker.run)",
  example: "2026-11-27 01:57:35,417 2369 ERROR ? odoo.service.server: Worker (2369) Exception occurred, exiting...",
};
