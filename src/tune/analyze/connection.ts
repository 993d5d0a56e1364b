/**
 * Which database `tune analyze` talks to, and how it is named in output: a `--db` URL, the
 * libpq PG* environment variables, or a Doodba project's environment (database, role and
 * password of its Odoo service, reached through the db service's published port).
 *
 * Passwords never leave this module in clear: {@link ConnectionTarget.display} is masked
 * (`postgres://odoo:***@127.0.0.1:5432/prod`), and {@link redactor} scrubs them (and any
 * URL credentials) from every text that is printed, errors included.
 */
import { UserError } from "../../errors.js";
import type { PgConnectOptions } from "../../platform/pg.js";
import type { EnvModel, ProjectModel } from "../../project/model.js";
import { odooServices } from "../../check/lib/common.js";

export interface ConnectionTarget {
  connect: PgConnectOptions;
  /** The target as shown to the user: a URL without the password. */
  display: string;
  /** Where the parameters came from. */
  source: "url" | "environment" | "project";
  /** Texts that must never be printed (passwords). */
  secrets: string[];
  /** How the project was resolved (service, published port), for the report. */
  note?: string;
}

export interface TargetOptions {
  /** `--db`: a postgres:// URL, or a bare database name completed by the PG* variables. */
  db?: string;
  dir?: string;
  env?: string;
}

/** Masks the password of every URL (and `password=` parameter) in a text. */
export { maskUrls } from "../../platform/mask.js";
import { maskUrls } from "../../platform/mask.js";

/** A function that removes the given secrets (also percent-encoded) and URL passwords from a text. */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const variants = new Set<string>();
  for (const sec of secrets) {
    if (!sec) continue;
    variants.add(sec);
    variants.add(encodeURIComponent(sec));
    variants.add(JSON.stringify(sec).slice(1, -1)); // as it would appear inside a JSON string
  }
  // longest first, so that a secret containing another is replaced whole
  const list = [...variants].sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = maskUrls(text);
    for (const v of list) out = out.split(v).join("***");
    return out;
  };
}

function displayUrl(p: { host?: string; port?: number; user?: string; password?: string; database?: string; extra?: string }): string {
  const cred = p.user ? `${encodeURIComponent(p.user)}${p.password ? ":***" : ""}@` : p.password ? ":***@" : "";
  const host = p.host ?? "localhost";
  const hostPart = host.startsWith("/") ? encodeURIComponent(host) : host.includes(":") ? `[${host}]` : host;
  return `postgres://${cred}${hostPart}:${p.port ?? 5432}/${encodeURIComponent(p.database ?? p.user ?? "")}${p.extra ?? ""}`;
}

function envValue(environ: Record<string, string | undefined>, key: string): string | undefined {
  const v = environ[key];
  return v === undefined || v === "" ? undefined : v;
}

function parsePort(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < 1 || n > 65535) throw new UserError(`${what} is not a port number: "${v}"`);
  return n;
}

function fromEnvironment(environ: Record<string, string | undefined>, database?: string): ConnectionTarget {
  const password = envValue(environ, "PGPASSWORD");
  const connect: PgConnectOptions = {
    host: envValue(environ, "PGHOST"),
    port: parsePort(envValue(environ, "PGPORT"), "PGPORT"),
    user: envValue(environ, "PGUSER"),
    password,
    database: database ?? envValue(environ, "PGDATABASE"),
    sslmode: envValue(environ, "PGSSLMODE"),
  };
  return {
    connect,
    display: displayUrl({ ...connect, database: connect.database }),
    source: "environment",
    secrets: password ? [password] : [],
  };
}

function fromUrl(url: string, environ: Record<string, string | undefined>): ConnectionTarget {
  const masked = maskUrls(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`--db is not a valid connection URL: ${masked}`, {
      hint: "Write it as postgres://user:password@host:5432/database (percent-encode special characters in the password), or give only the database name and set PGHOST/PGPORT/PGUSER/PGPASSWORD.",
    });
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    throw new UserError(`--db must be a postgres:// or postgresql:// URL, not ${u.protocol}//...`, { hint: "Example: --db postgres://odoo@127.0.0.1:5432/prod (the password from PGPASSWORD or ~/.pgpass)." });
  }
  let password: string | undefined;
  try {
    password = u.password ? decodeURIComponent(u.password) : undefined;
  } catch {
    password = u.password;
  }
  const queryPassword = u.searchParams.get("password") ?? undefined;
  const envPassword = envValue(environ, "PGPASSWORD");
  const secrets = [u.password, password, queryPassword, envPassword].filter((x): x is string => Boolean(x));
  const user = u.username ? decodeURIComponent(u.username) : envValue(environ, "PGUSER");
  const database = u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : envValue(environ, "PGDATABASE");
  const port = u.port ? Number(u.port) : parsePort(envValue(environ, "PGPORT"), "PGPORT");
  const host = u.hostname ? u.hostname.replace(/^\[|\]$/g, "") : (u.searchParams.get("host") ?? envValue(environ, "PGHOST"));
  const unsupported = [...u.searchParams.keys()].filter((k) => !["password", "host", "sslmode"].includes(k));
  if (unsupported.length > 0) {
    throw new UserError(`--db: the URL parameter${unsupported.length > 1 ? "s" : ""} ${unsupported.join(", ")} ${unsupported.length > 1 ? "are" : "is"} not supported (only sslmode and host)`, {
      hint: "Remove them; set a role's defaults with ALTER ROLE if needed.",
    });
  }
  const params = [...u.searchParams.entries()].filter(([k]) => k === "sslmode");
  const extra = params.length ? `?${params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")}` : "";
  return {
    // the parts, not the URL, go to the driver: the PG* variables of this platform fill what the URL leaves out
    connect: { host, port, user, password: password ?? queryPassword ?? envPassword, database, sslmode: u.searchParams.get("sslmode") ?? envValue(environ, "PGSSLMODE") },
    display: displayUrl({ host, port, user, password: password ?? queryPassword ?? envPassword, database, extra }),
    source: "url",
    secrets,
  };
}

/** Odoo's notion of "no value" in odoo.conf. */
function unset(v: string | undefined): boolean {
  return v === undefined || v.trim() === "" || /^(false|none)$/i.test(v.trim());
}

function fromProject(project: ProjectModel, envName: string): ConnectionTarget {
  const env: EnvModel | undefined = project.envs[envName];
  if (!env) {
    const have = project.envNames.filter((e) => project.envs[e] !== undefined);
    throw new UserError(`environment "${envName}" not found in ${project.dir}`, { hint: have.length ? `This project has: ${have.join(", ")}.` : "This directory has no compose environment (prod.yaml, test.yaml, ...)." });
  }
  const odoo = odooServices(env);
  const chosen = odoo.find((o) => o.svc.name === "odoo") ?? odoo[0];
  if (!chosen) throw new UserError(`environment ${envName} has no Odoo service to take the database settings from`, { hint: "Pass the database explicitly: --db postgres://user@host:5432/database" });
  const o = (k: string): string | undefined => chosen.cfg.options[k]?.value;
  const dbHost = unset(o("db_host")) ? undefined : o("db_host");
  const dbPort = parsePort(unset(o("db_port")) ? undefined : o("db_port"), "db_port") ?? 5432;
  const user = unset(o("db_user")) ? undefined : o("db_user");
  const password = unset(o("db_password")) ? undefined : o("db_password");
  const rawName = unset(o("db_name")) ? undefined : o("db_name");
  const database = rawName?.split(",")[0]?.trim();
  if (!database) {
    throw new UserError(`the Odoo service ${chosen.svc.name} of ${envName} names no database (db_name / PGDATABASE)`, {
      hint: "Pass it: --db <database name> (with PGHOST, PGPORT, PGUSER, PGPASSWORD), or --db postgres://user@host:port/database",
    });
  }
  const secrets = password ? [password] : [];
  const dbService = dbHost ? (env.compose.services[dbHost] ?? Object.values(env.compose.services).find((s) => Object.values(s.networks).some((n) => n.aliases.includes(dbHost)))) : undefined;
  let host: string;
  let port: number;
  let note: string;
  if (dbService) {
    const published = dbService.ports.find((p) => p.target === dbPort && p.published !== undefined && p.protocol === "tcp");
    if (!published?.published) {
      throw new UserError(`the db service "${dbService.name}" of ${envName} publishes no port: tune analyze runs on this host and cannot reach ${dbHost}:${dbPort} inside the compose network`, {
        hint:
          `Publish it on loopback only (never on all interfaces), e.g. in ${envName}.yaml or an override file:\n` +
          `  services:\n    ${dbService.name}:\n      ports:\n        - "127.0.0.1:${dbPort}:${dbPort}"\n` +
          `then \`docker compose -f ${envName}.yaml up -d ${dbService.name}\`; on a remote host open a tunnel first: ssh -L ${dbPort}:127.0.0.1:${dbPort} <host>.`,
        next: `doodba-ops tune analyze --db postgres://${user ?? "odoo"}@127.0.0.1:${dbPort}/${database}`,
      });
    }
    const ip = published.hostIp;
    host = ip === undefined || ip === "" || ip === "0.0.0.0" || ip === "::" ? "127.0.0.1" : ip;
    port = Number.parseInt(published.published, 10);
    note = `project ${envName}: database ${database} of Odoo service ${chosen.svc.name}, db service ${dbService.name} published on ${host}:${port}`;
  } else {
    if (!dbHost) throw new UserError(`the Odoo service ${chosen.svc.name} of ${envName} names no database host (db_host / PGHOST)`, { hint: "Pass the database explicitly: --db postgres://user@host:5432/database" });
    host = dbHost;
    port = dbPort;
    note = `project ${envName}: database ${database} on ${host}:${port} (an external server: no compose service has that name)`;
  }
  const connect: PgConnectOptions = { host, port, user, password, database };
  return { connect, display: displayUrl(connect), source: "project", secrets, note };
}

/**
 * Resolves the target. `loadProject` is called only for `--env` (so a plain `--db` run never
 * reads project files).
 * @throws UserError naming what is missing or wrong, with the masked target.
 */
export function resolveTarget(
  opts: TargetOptions,
  environ: Record<string, string | undefined>,
  loadProject: (dir: string, env: string) => ProjectModel,
): ConnectionTarget {
  if (opts.db !== undefined && opts.env !== undefined) {
    throw new UserError("--db and --env cannot be combined", { hint: "--env takes the database, role and port from the project; --db names them directly." });
  }
  if (opts.db !== undefined) {
    const db = opts.db.trim();
    if (db === "") throw new UserError("--db is empty", { hint: "Example: --db postgres://odoo@127.0.0.1:5432/prod" });
    if (db.includes("://")) return fromUrl(db, environ);
    if (/[\s=@/]/.test(db)) {
      throw new UserError(`--db takes a postgres:// URL or a database name, not "${maskUrls(db).replace(/password\s*=\s*\S+/gi, "password=***")}"`, {
        hint: "Example: --db postgres://odoo@127.0.0.1:5432/prod, or --db prod with PGHOST/PGPORT/PGUSER/PGPASSWORD set.",
      });
    }
    return fromEnvironment(environ, db);
  }
  if (opts.env !== undefined) return fromProject(loadProject(opts.dir ?? ".", opts.env), opts.env);
  const any = ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE"].some((k) => envValue(environ, k) !== undefined);
  if (!any) {
    throw new UserError("no database to analyse", {
      hint: "Name it with --db postgres://user:password@host:5432/database, with the PG* variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE), or take it from a project: doodba-ops tune analyze [dir] --env prod.",
      next: "doodba-ops tune analyze --db postgres://odoo@127.0.0.1:5432/prod",
    });
  }
  return fromEnvironment(environ);
}
