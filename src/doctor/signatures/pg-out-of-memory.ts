import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "pg-out-of-memory",
  category: "postgresql",
  severity: "critical",
  title: "PostgreSQL out of memory or killed by the OOM killer",
  patterns: [
    /server process \(PID \d+\) was terminated by signal 9/,
    /terminating connection because of crash of another server process/,
    /^out of memory$/,
    /OutOfMemory: out of memory/,
  ],
  loggers: ["postgresql"],
  meaning: "A PostgreSQL backend was killed (usually by the kernel's OOM killer) or could not allocate memory; PostgreSQL restarts all connections to recover, so every Odoo request in flight fails.",
  cause: "The db container's memory limit is too small for `shared_buffers` + `max_connections` x `work_mem`, or Odoo and PostgreSQL share a host without limits.",
  fix: "Size PostgreSQL to its container (`doodba-ops tune` or pgtune: shared_buffers = RAM/4, work_mem from max_connections), give the db service a memory limit that fits, and lower `max_connections`/`work_mem` if needed.",
  source: "PostgreSQL src/backend/postmaster/postmaster.c",
  example: "2026-11-27 03:00:00.000 UTC [1] LOG:  server process (PID 4242) was terminated by signal 9: Killed",
};
