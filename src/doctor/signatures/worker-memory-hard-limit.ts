import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "worker-memory-hard-limit",
  category: "workers",
  severity: "error",
  title: "MemoryError: limit_memory_hard reached during a request",
  patterns: [
    /^(?:\w+\.)*MemoryError\b/,
    /\bMemoryError: /,
  ],
  meaning: "A worker hit `limit_memory_hard` (an RLIMIT_AS address-space limit) in the middle of a request: the allocation failed with `MemoryError` and the request was aborted.",
  cause: "A request that needs more memory than the hard limit (large exports/imports, PDF generation, attachments processed in memory), or a hard limit too close to the soft one.",
  fix: "Raise `limit_memory_hard` (Odoo's default is 2560 MiB, e.g. `limit_memory_hard = 2684354560`) keeping it below the container's memory limit divided by the number of workers, and split the operation (batch the export/import).",
  source: "odoo/service/server.py (set_limit_memory_hard)",
  example: "MemoryError",
};
