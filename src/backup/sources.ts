/**
 * Where a backup reads from and a restore writes to: the database and the filestore.
 *
 * The database is reached, first match wins:
 *  1. `--db <url>` (`postgres://user:password@host:port/dbname`, `postgresql://`, query
 *     parameters such as `sslmode` passed through as libpq variables);
 *  2. the project (`backup ... [dir] --env prod`): the environment's PostgreSQL service and the
 *     Odoo service's `db_*` options (database name `db_name` / PGDATABASE, user, password from
 *     `.docker/db-access.env`). When the PostgreSQL service publishes its port, the tools connect
 *     to that port on 127.0.0.1 ("published"); otherwise they run inside the container through
 *     `docker compose exec -T <db service> pg_dump ...` ("compose-exec", the server's own
 *     pg_dump, so its version always matches);
 *  3. libpq's environment (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) when no project is
 *     named.
 *
 * The filestore is `--filestore <dir>` (the database's folder `<data_dir>/filestore/<db>`, or
 * a data_dir that holds `filestore/<db>`), or, from the project, the volume that holds the Odoo
 * service's `data_dir` (doodba: /var/lib/odoo): a bind mount's host folder, or a named
 * volume's mount point on the host (asked from `docker volume inspect` when Docker answers,
 * else Docker's default /var/lib/docker/volumes/<project>_<volume>/_data).
 *
 * Everything here is pure except {@link locateVolume}, which asks Docker through the platform.
 * Passwords never appear in {@link DbSource.display}: use {@link maskUrl} for any URL shown.
 */
import { posix } from "node:path";
import { UserError, type SourcePos } from "../errors.js";
import type { Exec } from "../platform/exec.js";
import type { EnvModel, ProjectModel, ServiceModel } from "../project/model.js";
import { odooServices, optValue } from "../check/lib/common.js";
import { mountHolding, pgServerServices } from "../check/lib/postgres.js";

/** How a database is reached. */
export interface DbSource {
  /**
   * "url": libpq over TCP/socket with {@link env}; "published": the project's db service through
   * its port published on the host; "compose-exec": tools run inside the db container.
   */
  kind: "url" | "published" | "compose-exec";
  /** Database name. */
  name: string;
  /**
   * libpq environment (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE...) for
   * pg_dump/pg_restore/psql run on this host. Holds the password: never print it.
   */
  env: Record<string, string>;
  /** `postgres://user:***@host:port/db`, safe to print. */
  display: string;
  /** For "compose-exec": how to reach the container. */
  compose?: ComposeTarget;
  /** Where the values came from, for messages. */
  from: string;
}

export interface ComposeTarget {
  /** Project directory (docker compose runs there). */
  dir: string;
  /** Compose files of the environment, relative to dir. */
  files: string[];
  /** The PostgreSQL service. */
  service: string;
  /** Compose project name when the project sets one (`name:` or COMPOSE_PROJECT_NAME). */
  projectName?: string;
}

/** The Odoo filestore of one database. */
export interface FilestoreSource {
  /** Absolute host path of `<data_dir>/filestore/<db>`. */
  path: string;
  /** How it was found, for messages. */
  from: string;
  /** The named volume it lives in, when found through the project. */
  volume?: string;
}

/** Masks the password (and any `password=` query parameter) of a connection URL. */
export function maskUrl(url: string): string {
  let out = url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, "$1:***@");
  out = out.replace(/([?&](?:password|sslpassword|secret|token|key)=)[^&#]*/gi, "$1***");
  // S3-style credentials in URLs: s3://KEY:SECRET@bucket
  return out;
}

/** Replaces every occurrence of the given secrets in a text (error messages of tools). */
export function maskSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 3) out = out.split(s).join("***");
  return out;
}

const LIBPQ_PARAMS: Record<string, string> = {
  sslmode: "PGSSLMODE",
  sslrootcert: "PGSSLROOTCERT",
  sslcert: "PGSSLCERT",
  sslkey: "PGSSLKEY",
  connect_timeout: "PGCONNECT_TIMEOUT",
  application_name: "PGAPPNAME",
  options: "PGOPTIONS",
  host: "PGHOST",
  port: "PGPORT",
  user: "PGUSER",
  password: "PGPASSWORD",
  dbname: "PGDATABASE",
};

function displayOf(env: Record<string, string>): string {
  const user = env.PGUSER ? `${encodeURIComponent(env.PGUSER)}${env.PGPASSWORD ? ":***" : ""}@` : "";
  const host = env.PGHOST ?? "";
  const port = env.PGPORT ? `:${env.PGPORT}` : "";
  const hostPart = host.startsWith("/") ? `[${host}]` : host;
  return `postgres://${user}${hostPart}${port}/${env.PGDATABASE ?? ""}`;
}

/**
 * Parses a PostgreSQL URL into libpq variables.
 * @throws UserError for anything that is not a postgres:// / postgresql:// URL with a database.
 */
export function parseDbUrl(url: string, defaultDb?: string): DbSource {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`--db ${maskUrl(url)} is not a URL`, { hint: "Write it as postgres://user:password@host:5432/dbname (the password may also come from PGPASSWORD)." });
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    throw new UserError(`--db ${maskUrl(url)}: the scheme must be postgres:// or postgresql://, not ${u.protocol}//`);
  }
  const env: Record<string, string> = {};
  if (u.hostname) env.PGHOST = decodeURIComponent(u.hostname.replace(/^\[(.*)\]$/, "$1"));
  if (u.port) env.PGPORT = u.port;
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const db = decodeURIComponent(u.pathname.replace(/^\//, ""));
  if (db) env.PGDATABASE = db;
  for (const [k, v] of u.searchParams) {
    const name = LIBPQ_PARAMS[k];
    if (!name) throw new UserError(`--db: unknown connection parameter "${k}"`, { hint: `Known: ${Object.keys(LIBPQ_PARAMS).sort().join(", ")}.` });
    env[name] = v;
  }
  const name = env.PGDATABASE ?? defaultDb;
  if (!name) {
    throw new UserError(`--db ${maskUrl(url)} names no database`, { hint: "Add it to the path: postgres://user@host:5432/dbname." });
  }
  env.PGDATABASE = name;
  return { kind: "url", name, env, display: displayOf(env), from: "--db" };
}

/** libpq's own environment variables (PGHOST...), for a run without --db and without a project. */
export function dbFromEnviron(environ: Record<string, string | undefined>, dbName?: string): DbSource | undefined {
  const env: Record<string, string> = {};
  for (const k of ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGSSLMODE", "PGSSLROOTCERT", "PGPASSFILE", "PGSERVICE", "PGOPTIONS"]) {
    const v = environ[k];
    if (v !== undefined && v !== "") env[k] = v;
  }
  const name = dbName ?? environ.PGDATABASE;
  if (!name) return undefined;
  env.PGDATABASE = name;
  return { kind: "url", name, env, display: displayOf(env), from: "PG* environment" };
}

/** The Odoo service of an environment that owns the data (the first one with a data_dir). */
function mainOdoo(env: EnvModel): { svc: ServiceModel; db?: string; user?: string; password?: string; host?: string; port?: string; dataDir: string } | undefined {
  const first = odooServices(env)[0];
  if (!first) return undefined;
  const { svc, cfg } = first;
  const val = (k: string): string | undefined => {
    const v = optValue(cfg, k);
    return v === undefined || v === "" || v === "False" || v === "false" ? undefined : v;
  };
  return { svc, db: val("db_name"), user: val("db_user"), password: val("db_password"), host: val("db_host"), port: val("db_port"), dataDir: val("data_dir") ?? "/var/lib/odoo" };
}

/**
 * Whether Odoo runs with its `unaccent` option on in this environment (doodba sets it from
 * UNACCENT, true by default): Odoo then creates the unaccent extension in every database it
 * creates or restores, and a restore should too. Truthiness as Odoo's config reads it: only an
 * empty value, False/false and None are off. Undefined when the environment has no Odoo service.
 */
export function odooUnaccent(project: ProjectModel, envName: string): boolean | undefined {
  const first = odooServices(envOf(project, envName))[0];
  if (!first) return undefined;
  const v = optValue(first.cfg, "unaccent");
  if (v === undefined) return false;
  return !["", "False", "false", "None"].includes(v.trim());
}

/** Compose project name as docker compose derives it (name:, COMPOSE_PROJECT_NAME, folder). */
export function composeProjectName(project: ProjectModel, env: EnvModel): string {
  const fromFile = env.compose.raw.name;
  const raw = typeof fromFile === "string" && fromFile ? fromFile : (env.variables.COMPOSE_PROJECT_NAME ?? posix.basename(project.dir));
  return raw.toLowerCase().replace(/[^a-z0-9_-]/g, "");
}

function envOf(project: ProjectModel, envName: string): EnvModel {
  const env = project.envs[envName];
  if (!env) {
    throw new UserError(`The project has no environment "${envName}"`, {
      hint: `Environments: ${project.envNames.join(", ") || "(none: no compose file with services)"}.`,
    });
  }
  return env;
}

/**
 * The database of a project environment: name and credentials from the Odoo service's options,
 * connection through the db service's published port, or `docker compose exec`.
 * @throws UserError when the environment has no Odoo service and no database service, or no name.
 */
export function dbFromProject(project: ProjectModel, envName: string, overrideDb?: string): DbSource {
  const env = envOf(project, envName);
  const odoo = mainOdoo(env);
  const pgs = pgServerServices(env);
  const hostName = odoo?.host ?? "db";
  const pg = pgs.find((s) => s.name === hostName) ?? pgs[0];
  const name = overrideDb ?? odoo?.db ?? pg?.environment.POSTGRES_DB ?? undefined;
  if (!name) {
    throw new UserError(`Cannot tell which database environment ${envName} uses`, {
      hint: "Neither the Odoo service's PGDATABASE/db_name nor the PostgreSQL service's POSTGRES_DB is set. Name it with --db postgres://user@host:port/<dbname>.",
    });
  }
  const user = odoo?.user ?? pg?.environment.POSTGRES_USER ?? "odoo";
  const password = odoo?.password ?? pg?.environment.POSTGRES_PASSWORD ?? undefined;
  if (!pg) {
    // External database: connect to what Odoo connects to.
    if (!odoo?.host) {
      throw new UserError(`Environment ${envName} has no PostgreSQL service and its Odoo service names no db_host`, {
        hint: "Give the database with --db postgres://user:password@host:port/dbname.",
      });
    }
    const env2: Record<string, string> = { PGHOST: odoo.host, PGUSER: user, PGDATABASE: name };
    if (odoo.port) env2.PGPORT = odoo.port;
    if (password) env2.PGPASSWORD = password;
    return { kind: "url", name, env: env2, display: displayOf(env2), from: `environment ${envName} (Odoo's db_host ${odoo.host})` };
  }
  const published = pg.ports.find((p) => p.target === 5432 && p.published && /^\d+$/.test(p.published));
  if (published?.published) {
    const host = published.hostIp && published.hostIp !== "0.0.0.0" && published.hostIp !== "::" ? published.hostIp : "127.0.0.1";
    const env2: Record<string, string> = { PGHOST: host, PGPORT: published.published, PGUSER: user, PGDATABASE: name };
    if (password) env2.PGPASSWORD = password;
    return { kind: "published", name, env: env2, display: displayOf(env2), from: `environment ${envName}, service ${pg.name} (port ${published.published} published on the host)` };
  }
  const env2: Record<string, string> = { PGUSER: user, PGDATABASE: name };
  if (password) env2.PGPASSWORD = password;
  const fromFile = env.compose.raw.name;
  const projectName = typeof fromFile === "string" && fromFile ? fromFile : env.variables.COMPOSE_PROJECT_NAME;
  return {
    kind: "compose-exec",
    name,
    env: env2,
    display: `docker compose exec ${pg.name}: ${displayOf({ ...env2, PGHOST: pg.name })}`,
    compose: { dir: project.dir, files: env.compose.files, service: pg.name, ...(projectName ? { projectName } : {}) },
    from: `environment ${envName}, service ${pg.name} (docker compose exec: no port published)`,
  };
}

/** Where the filestore of `db` lives for the project's Odoo service: the volume or bind holding data_dir. */
export interface FilestoreLocation {
  /** Bind mount: absolute host path of `<data_dir>/filestore/<db>`. */
  hostPath?: string;
  /** Named volume: the compose volume key, its Docker name, and the path inside it. */
  volume?: { key: string; dockerName: string; subPath: string };
  /** The path inside the container. */
  containerPath: string;
  pos?: SourcePos;
}

/**
 * Locates `<data_dir>/filestore/<db>` through the Odoo service's mounts (pure).
 * @throws UserError when data_dir is on no volume (the filestore is inside the container).
 */
export function filestoreFromProject(project: ProjectModel, envName: string, db: string): FilestoreLocation {
  const env = envOf(project, envName);
  const odoo = mainOdoo(env);
  if (!odoo) {
    throw new UserError(`Environment ${envName} has no Odoo service, so no filestore to locate`, { hint: "Give it with --filestore <data_dir>/filestore/<db>." });
  }
  const containerPath = posix.join(odoo.dataDir, "filestore", db);
  const cover = mountHolding(odoo.svc, containerPath);
  const pos = env.compose.positions.at(["services", odoo.svc.name, "volumes"]);
  if (!cover.mount || !cover.target || (cover.kind !== "named" && cover.kind !== "bind")) {
    throw new UserError(`The filestore of service ${odoo.svc.name} (${containerPath}) is on no named volume or bind mount`, {
      pos,
      hint: "It lives inside the container and cannot be read from the host: mount a volume on the data_dir (doodba: `filestore:/var/lib/odoo`), or give --filestore <path>.",
    });
  }
  const sub = posix.relative(cover.target, containerPath);
  const source = cover.mount.source ?? "";
  if (cover.kind === "bind") {
    const hostBase = posix.isAbsolute(source) ? source : posix.resolve(project.dir, source);
    return { hostPath: posix.join(hostBase, sub), containerPath, pos };
  }
  const decl = env.compose.volumes[source];
  const explicit = decl && typeof decl.name === "string" ? decl.name : undefined;
  const external = decl && decl.external === true;
  const dockerName = explicit ?? (external ? source : `${composeProjectName(project, env)}_${source}`);
  return { volume: { key: source, dockerName, subPath: sub }, containerPath, pos };
}

/**
 * Host path of a filestore location: bind mounts directly; named volumes through
 * `docker volume inspect` (when Docker answers), else Docker's default volume folder.
 */
export async function locateVolume(loc: FilestoreLocation, exec: Exec | undefined): Promise<FilestoreSource> {
  if (loc.hostPath) return { path: loc.hostPath, from: `bind mount of ${loc.containerPath}` };
  const v = loc.volume;
  if (!v) throw new Error("filestore location without path or volume");
  let base = `/var/lib/docker/volumes/${v.dockerName}/_data`;
  let from = `volume ${v.dockerName} (Docker's default location)`;
  if (exec && (await exec.which("docker"))) {
    const r = await exec.run("docker", ["volume", "inspect", "--format", "{{.Mountpoint}}", v.dockerName]);
    if (r.exitCode === 0 && r.stdout.trim()) {
      base = r.stdout.trim();
      from = `volume ${v.dockerName}`;
    }
  }
  return { path: posix.join(base, v.subPath), from, volume: v.dockerName };
}

/**
 * `--filestore <dir>`: the database's folder itself, or a data_dir / filestore folder above it
 * (`<dir>/filestore/<db>` or `<dir>/<db>` when that exists).
 */
export function filestoreFromPath(dir: string, db: string | undefined, isDirectory: (p: string) => boolean): FilestoreSource {
  const abs = posix.resolve(dir);
  if (db) {
    for (const sub of [posix.join("filestore", db), db]) {
      const p = posix.join(abs, sub);
      if (isDirectory(p)) return { path: p, from: `--filestore (${sub} under it)` };
    }
  }
  return { path: abs, from: "--filestore" };
}
