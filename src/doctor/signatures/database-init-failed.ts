import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "database-init-failed",
  category: "database",
  severity: "critical",
  title: "Odoo failed to load or initialise the database at start-up",
  patterns: [
    /Failed to initialize database `[^`]*`/,
  ],
  meaning: "The database given with `-d`/`db_name` could not be loaded at start-up; the server runs, but that database is not served (or `--stop-after-init` commands like `-u` did nothing).",
  cause: "The traceback says which: the database does not exist and the role may not create it, the database is unreachable, or a module failed to load or update.",
  fix: "Read the exception at the end of the traceback. For a missing database: create it with Odoo (`-i base`) using a role with CREATEDB, or fix `db_name`. For module errors: fix the module and run `-u <module> --stop-after-init`.",
  source: "odoo/service/server.py (preload_registries)",
  example: "2026-11-27 02:12:52,161 18037 CRITICAL ? odoo.service.server: Failed to initialize database `nosuchdb`.",
};
