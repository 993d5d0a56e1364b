import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "db-auth-failed",
  category: "postgresql",
  severity: "critical",
  title: "PostgreSQL rejected Odoo's credentials",
  patterns: [
    /password authentication failed for user/,
    /no pg_hba\.conf entry for host/,
    /role ".*" does not exist/,
  ],
  meaning: "PostgreSQL refused the login: every request needing the database fails.",
  cause: "`PGUSER`/`PGPASSWORD` in `.docker/odoo.env` / `db-access.env` differ from the role in the database (a password changed on one side only, or a restored cluster with other roles), or `pg_hba.conf` does not allow Odoo's network.",
  fix: "Make `.docker/db-access.env` (Odoo) and `.docker/db-creation.env` (db service) agree, or reset the role's password: `docker compose exec db psql -U postgres -c \"ALTER ROLE odoo PASSWORD '...'\"`.",
  source: "PostgreSQL src/backend/libpq/auth.c",
  example: "psycopg2.OperationalError: connection to server at \"db\" (172.18.0.2), port 5432 failed: FATAL:  password authentication failed for user \"odoo\"",
};
