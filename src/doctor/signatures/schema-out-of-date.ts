import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "schema-out-of-date",
  category: "modules",
  severity: "error",
  title: "Database schema behind the code (a module needs updating)",
  patterns: [
    /\bcolumn \S+ does not exist/,
    /\brelation "[^"]+" does not exist/,
    /\bUndefined(?:Column|Table)\b/,
  ],
  meaning: "The code expects a column or table that is not in the database: queries fail with `UndefinedColumn`/`UndefinedTable`.",
  cause: "New code was deployed (a new image, a pull of an addon repository) without updating the modules in the database.",
  fix: "Update the modules: `docker compose run --rm odoo odoo -d <db> -u <module> --stop-after-init` (or `click-odoo-update` in Doodba, which updates changed modules only), then restart.",
  source: "PostgreSQL; odoo/sql_db.py",
  example: "psycopg2.errors.UndefinedColumn: column res_partner.acme_code does not exist",
};
