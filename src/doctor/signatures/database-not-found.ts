import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "database-not-found",
  category: "database",
  severity: "error",
  title: "Requests for a database that does not exist",
  patterns: [
    /database ".*" does not exist/,
    /^Database not found\./,
  ],
  meaning: "A request (or `-d`/`db_name`) named a database that is not in the cluster: the user gets an error or the database selector.",
  cause: "A wrong `db_name`/`PGDATABASE`, an old bookmark or session cookie for a dropped or renamed database, a `dbfilter` or `?db=` naming another database, or a restore that was not done yet.",
  fix: "List the databases (`docker compose exec db psql -U odoo -l`), set `PGDATABASE`/`db_name` and `dbfilter` (Doodba: `DB_FILTER`, written `^prod$$` in compose files) to the real name, or restore the database.",
  source: "odoo/http.py; PostgreSQL",
  example: "psycopg2.OperationalError: connection to server at \"127.0.0.1\", port 55432 failed: FATAL:  database \"nosuchdb\" does not exist",
};
