import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "worker-memory-soft-limit",
  category: "workers",
  severity: "warning",
  title: "Worker recycled at limit_memory_soft",
  patterns: [
    /\bWorker \(\d+\) virtual memory limit \(\d+\) reached/,
    /^Server memory limit \(\d+\) reached/,
  ],
  loggers: ["odoo.service.server"],
  meaning: "After a request, the worker's virtual memory (VMS, not RSS) was above `limit_memory_soft`, so it exits and the master starts a fresh one (in threaded mode, \"Server memory limit\": the whole server restarts). The number in the message is the worker's current virtual memory, not the configured limit. Occasional recycling is by design; several per minute cost a worker restart (about a second of CPU) each.",
  cause: "`limit_memory_soft` too low for the modules installed (an idle Odoo 17 worker already has about 250 MB of virtual memory; below that, workers start and exit in an endless loop without serving a request), or requests that load many records (exports, big `search_read`, asset generation).",
  fix: "Set `limit_memory_soft` to at least 640 MiB per worker (`limit_memory_soft = 671088640`; Odoo's default is 2048 MiB) and `limit_memory_hard` above it (`limit_memory_hard = 1610612736`), sized so that workers x soft limit fits the container's memory limit.",
  source: "odoo/service/server.py (Worker.process_limit)",
  example: "2026-11-27 02:08:27,690 11161 INFO acme odoo.service.server: Worker (11161) virtual memory limit (262664192) reached.",
};
