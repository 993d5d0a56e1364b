import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "dbfilter-rejects",
  category: "database",
  severity: "warning",
  title: "Session database rejected by dbfilter",
  patterns: [
    /Logged into database .*, but dbfilter rejects it/,
  ],
  meaning: "A browser session points at a database that `dbfilter` does not allow for this host; Odoo logs the user out.",
  cause: "`dbfilter` changed or does not match the database (e.g. `^%d$` with a host name that differs from the database name), or one browser uses two Odoo instances on the same domain.",
  fix: "Make `dbfilter` (Doodba: `DB_FILTER`, written `^prod$$` in compose files because compose interpolates `$`) match the database served on that host, and check `proxy_mode` so Odoo sees the real Host.",
  odoo: ">=16",
  source: "odoo/http.py (Request._get_session_and_dbname)",
  example: "2026-11-27 03:00:00,000 1 WARNING ? odoo.http: Logged into database 'acme_old', but dbfilter rejects it; logging session out.",
};
