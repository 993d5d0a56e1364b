import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "db-create-denied",
  category: "database",
  severity: "warning",
  title: "The database role may not create databases",
  patterns: [
    /permission denied to create database/,
    /Could not determine if database \S+ exists, skipping auto-creation/,
  ],
  meaning: "Odoo tried to create a database (auto-creation for `-d name`, the database manager, a duplicate) and PostgreSQL refused.",
  cause: "The role in `PGUSER` has no CREATEDB (intended in hardened setups) and the database does not exist yet.",
  fix: "Create the database with a privileged role, or run the first `-i base` with a role that has CREATEDB; otherwise check `db_name` for a typo.",
  source: "odoo/service/db.py; odoo/sql_db.py",
  example: "ERROR: permission denied to create database",
};
