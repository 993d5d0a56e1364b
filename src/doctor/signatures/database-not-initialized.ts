import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "database-not-initialized",
  category: "database",
  severity: "error",
  title: "Database exists but has no Odoo in it",
  patterns: [
    /Database .* not initialized, you can force it with `?-i base`?/,
  ],
  meaning: "The database is there but has no Odoo tables (`ir_module_module` missing): Odoo serves errors until it is initialised.",
  cause: "The database was created by the db container (`POSTGRES_DB`) or by hand, not by Odoo, and nobody ran `-i base`.",
  fix: "Initialise it once: `docker compose run --rm odoo odoo -d <db> -i base --stop-after-init` (add `--without-demo=all` in production), or restore a backup into it.",
  source: "odoo/modules/loading.py (load_modules)",
  example: "2026-11-27 03:00:00,000 1 ERROR prod odoo.modules.loading: Database prod not initialized, you can force it with `-i base`",
};
