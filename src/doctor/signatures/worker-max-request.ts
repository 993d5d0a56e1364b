import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "worker-max-request",
  category: "workers",
  severity: "info",
  title: "Worker recycled after limit_request requests",
  patterns: [
    /\bWorker \(\d+\) max request \(\d+\) reached/,
  ],
  loggers: ["odoo.service.server"],
  meaning: "Normal recycling: a worker served `limit_request` requests and is replaced, to bound slow memory growth.",
  cause: "By design.",
  fix: "Nothing to do. Frequent recycling on a busy server can be reduced by raising `limit_request` (default 65536 in recent versions, 8192 in older ones).",
  source: "odoo/service/server.py (Worker.process_limit)",
  example: "2026-11-27 03:00:00,000 2368 INFO ? odoo.service.server: Worker (2368) max request (8192) reached.",
};
