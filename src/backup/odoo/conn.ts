/**
 * How the PostgreSQL tools (pg_dump, pg_restore, psql) reach the server.
 *
 * A connection is a URL (`postgres://user:pass@host:port/db?sslmode=require`) and/or libpq
 * variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, ...). Everything is handed to the tools as
 * environment variables, never as arguments: a password in argv is visible to every user of the
 * host in `ps`. The database is always named on the command line as `dbname='...'` (a quoted
 * conninfo value), so a database called `a=b` or `postgres://x` is taken as a name, not as a
 * connection string.
 */
import { UserError } from "../../errors.js";
import { maskUrls } from "../../platform/mask.js";

export interface PgConn {
  /** `postgres://` or `postgresql://` URL; its path names the default database. */
  url?: string;
  /** libpq variables that override the process environment (PGHOST, PGPASSWORD, ...). */
  env?: Record<string, string | undefined>;
  /** Directory holding pg_dump/pg_restore/psql. @default the first on PATH */
  binDir?: string;
  /** Run the tools somewhere else than on this host. @default on this host */
  via?: ComposeExecVia;
}

/**
 * The tools run inside the PostgreSQL container of a compose project:
 * `docker compose --project-directory <dir> -f <file>... [-p <name>] exec -T -e PGUSER ... <service> pg_dump ...`.
 * They connect over the container's local socket (no PGHOST/PGPORT) as PGUSER; the libpq
 * variables are passed as `-e NAME` without a value, so compose reads them from its own
 * environment and the password never appears in argv.
 */
export interface ComposeExecVia {
  kind: "compose-exec";
  /** Project directory. */
  dir: string;
  /** Compose files, relative to dir (or absolute). */
  files: string[];
  /** The PostgreSQL service. */
  service: string;
  /** Compose project name, when the project sets one. @default what compose derives */
  projectName?: string;
  /** `docker compose` (v2) or `docker-compose` (v1). @default v2 when `docker compose version` answers, else v1 */
  flavour?: "v2" | "v1";
}

/** What a tool invocation needs: its environment, the secrets to mask, a safe description. */
export interface ResolvedConn {
  /** libpq variables (merged over the inherited environment by the caller). */
  pgEnv: Record<string, string | undefined>;
  /** Default database (URL path, PGDATABASE), if any. */
  database?: string;
  /** Strings that must never appear in output. */
  secrets: string[];
  /** host:port/db without credentials, for messages. */
  description: string;
  binDir?: string;
  /** Where the tools run, when not on this host. */
  via?: ComposeExecVia;
}

/** URL query parameters that libpq understands, mapped to their environment variables. */
const QUERY_TO_ENV: Record<string, string> = {
  host: "PGHOST",
  hostaddr: "PGHOSTADDR",
  port: "PGPORT",
  user: "PGUSER",
  password: "PGPASSWORD",
  dbname: "PGDATABASE",
  sslmode: "PGSSLMODE",
  sslrootcert: "PGSSLROOTCERT",
  sslcert: "PGSSLCERT",
  sslkey: "PGSSLKEY",
  sslcrl: "PGSSLCRL",
  connect_timeout: "PGCONNECT_TIMEOUT",
  application_name: "PGAPPNAME",
  options: "PGOPTIONS",
  target_session_attrs: "PGTARGETSESSIONATTRS",
  passfile: "PGPASSFILE",
  service: "PGSERVICE",
};

const PG_VARS = new Set(["PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSERVICE", "PGPASSFILE", "PGSSLMODE"]);

/**
 * Resolves a connection against the inherited environment (`environ`, usually process.env):
 * inherited PG* < `conn.env` < the URL's parts.
 */
export function resolveConn(conn: PgConn, environ: Record<string, string | undefined>): ResolvedConn {
  if (conn.via) return resolveInContainer(conn, conn.via);
  const pgEnv: Record<string, string | undefined> = { PGAPPNAME: "doodba-ops" };
  for (const [k, v] of Object.entries(environ)) if (k.startsWith("PG") && v !== undefined) pgEnv[k] = v;
  for (const [k, v] of Object.entries(conn.env ?? {})) pgEnv[k] = v;
  if (conn.url) {
    let u: URL;
    try {
      u = new URL(conn.url);
    } catch {
      throw new UserError(`not a valid PostgreSQL URL: ${maskUrl(conn.url)}`, { hint: "Use postgres://user:password@host:5432/dbname (percent-encode special characters in the password)." });
    }
    if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
      throw new UserError(`not a PostgreSQL URL (scheme ${u.protocol}): ${maskUrl(conn.url)}`, { hint: "Use postgres://user:password@host:5432/dbname." });
    }
    // A URL replaces the whole target: inherited host/port/user/password/db must not leak into it.
    for (const k of PG_VARS) if (!(conn.env && k in conn.env)) delete pgEnv[k];
    if (u.hostname) pgEnv.PGHOST = decodeURIComponent(u.hostname.replace(/^\[(.*)\]$/, "$1"));
    if (u.port) pgEnv.PGPORT = u.port;
    if (u.username) pgEnv.PGUSER = decodeURIComponent(u.username);
    if (u.password) pgEnv.PGPASSWORD = decodeURIComponent(u.password);
    const db = decodeURIComponent(u.pathname.replace(/^\//, ""));
    if (db) pgEnv.PGDATABASE = db;
    for (const [k, v] of u.searchParams) {
      const envName = QUERY_TO_ENV[k];
      if (!envName) throw new UserError(`unknown connection parameter "${k}" in ${maskUrl(conn.url)}`, { hint: `Known: ${Object.keys(QUERY_TO_ENV).join(", ")}.` });
      pgEnv[envName] = v;
    }
  }
  const secrets = [pgEnv.PGPASSWORD].filter((s): s is string => typeof s === "string" && s.length > 0);
  const host = pgEnv.PGHOST ?? "local socket";
  const description = `${host}${pgEnv.PGPORT ? `:${pgEnv.PGPORT}` : ""}${pgEnv.PGUSER ? ` as ${pgEnv.PGUSER}` : ""}`;
  return { pgEnv, database: pgEnv.PGDATABASE, secrets, description, binDir: conn.binDir };
}

/** libpq variables about the network or host-side files: meaningless over the container's local socket. */
const HOST_ONLY_VARS = new Set(["PGHOST", "PGHOSTADDR", "PGPORT", "PGSSLMODE", "PGREQUIRESSL", "PGPASSFILE", "PGSERVICE", "PGSERVICEFILE", "PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY", "PGSSLCRL", "PGSYSCONFDIR"]);

/**
 * A connection made inside the db container: only the connection's own variables (the shell's
 * PG* describe another server), without host, port or host-side files (the local socket).
 */
function resolveInContainer(conn: PgConn, via: ComposeExecVia): ResolvedConn {
  const inner = conn.url ? resolveConn({ url: conn.url, env: conn.env }, {}).pgEnv : { ...conn.env };
  const pgEnv: Record<string, string | undefined> = { PGAPPNAME: "doodba-ops" };
  for (const [k, v] of Object.entries(inner)) if (v !== undefined && v !== "" && !HOST_ONLY_VARS.has(k)) pgEnv[k] = v;
  const secrets = [pgEnv.PGPASSWORD].filter((s): s is string => typeof s === "string" && s.length > 0);
  const description = `service ${via.service} (docker compose exec, local socket${pgEnv.PGUSER ? ` as ${pgEnv.PGUSER}` : ""})`;
  return { pgEnv, database: pgEnv.PGDATABASE, secrets, description, via };
}

/** Replaces the password of any URL in `text` (postgres://user:pw@..., also other schemes) by `***`. */
export function maskUrl(text: string): string {
  return maskUrls(text);
}

/** Masks URLs and every known secret in a message. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = maskUrl(text);
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join("***");
  return out;
}

/** A conninfo value naming a database: `dbname='it''s'` (libpq quoting: \ and ' escaped). */
export function dbConninfo(db: string): string {
  return `dbname='${db.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** SQL identifier quoting. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** SQL string literal (standard_conforming_strings on, as in every supported PostgreSQL). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Odoo's DBNAME_PATTERN (odoo/service/db.py): what the database manager accepts as a name. */
export const ODOO_DBNAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Refuses names Odoo would refuse (and anything longer than PostgreSQL's 63 bytes). */
export function checkDbName(name: string, what = "database name"): void {
  if (!ODOO_DBNAME_PATTERN.test(name)) {
    throw new UserError(`invalid ${what} "${name}"`, {
      hint: "Odoo accepts letters, digits, '_', '.' and '-', starting with a letter or digit, at least 2 characters.",
    });
  }
  if (Buffer.byteLength(name) > 63) throw new UserError(`${what} "${name}" is longer than PostgreSQL's 63 bytes`);
}
