/**
 * Database restore following Odoo's own steps (odoo/service/db.py `restore_db` and
 * `_create_empty_database`):
 *
 *   1. refuse an existing database (here: unless `force`, which the CLI confirms first);
 *   2. CREATE DATABASE ... ENCODING 'unicode' LC_COLLATE 'C' TEMPLATE template0;
 *   3. CREATE EXTENSION IF NOT EXISTS pg_trgm, and unaccent (+ ALTER FUNCTION unaccent(text)
 *      IMMUTABLE) when asked; a failure is a warning, as in Odoo;
 *   4. GRANT CREATE ON SCHEMA PUBLIC TO PUBLIC (PostgreSQL 15+ no longer grants it; warning on failure);
 *   5. plain SQL (Odoo zip's dump.sql): `psql -q -f dump.sql`, whose errors do not stop it (as in
 *      Odoo; they are reported as warnings); custom/directory: `pg_restore --no-owner` (-j N),
 *      which must exit 0;
 *   6. copy: new database.uuid/secret/... (see copy.ts); neutralize when asked (neutralize.ts).
 *
 * Unlike Odoo, everything happens in a temporary database that takes the target name only at
 * the end: Odoo never sees a half-restored database, a failed restore leaves nothing behind,
 * and with `force` the old database is dropped only once the new one is complete.
 */
import type { Readable } from "node:stream";
import { UserError } from "../../errors.js";
import type { ProgressSink } from "../types.js";
import { applyCopy, type CopyOptions, type CopyResult } from "./copy.js";
import { checkDbName, dbConninfo, quoteIdent, type PgConn } from "./conn.js";
import { execOf, filesOf, type BackupPlatform } from "./files.js";
import { neutralizeIn, type NeutralizeOptions, type NeutralizeReport } from "./neutralize.js";
import { databaseExists, errorSummary, pgSession, PgToolError, pipeInto, psql, query, spawnTool, toolCommand, toolError, type PgSession } from "./pg.js";

export type RestoreSource =
  | { format: "custom"; path: string }
  /** A custom dump as a stream (from the repository): pg_restore reads stdin, one job. */
  | { format: "custom"; stream: Readable }
  /**
   * A custom dump still being spooled to a temp file (see {@link startSpool}). Its pre-data
   * section (types, tables, functions: 0.8 s of the benchmark's 1.2 GB Odoo database) is restored
   * from `head()`, a stream of the same dump of its own (pg_restore reads only the table of
   * contents for it, about 1.2 MB for an Odoo 17 database, and the stream is then closed), while
   * the spool is still being written; data and post-data then come from what `rest` settles
   * with: the complete file (pg_restore -j) or a fresh stream (one job) when the spool could not
   * be completed. The head does not read the spool file, so a spool that fails early (a full
   * temp dir) cannot cut the schema restore short.
   */
  | { format: "custom"; spooling: { head: () => Readable; rest: Promise<CustomDump> } }
  | { format: "directory"; dir: string }
  | { format: "plain"; path: string }
  | { format: "plain"; stream: Readable };

/** A complete custom dump: a file, or a stream (one pg_restore job). */
export type CustomDump = { format: "custom"; path: string } | { format: "custom"; stream: Readable };

export interface RestoreOptions {
  /** Target database name (Odoo's name rules). */
  db: string;
  /** Replace an existing database. The CLI asks for confirmation before setting it. @default false */
  force?: boolean;
  /** pg_restore --jobs for files and directories (a stream is restored with one job). @default 1 */
  jobs?: number;
  /** Create the unaccent extension (odoo.conf `unaccent = True`; Doodba's UNACCENT default is true). @default false */
  unaccent?: boolean;
  /** Copy semantics: new uuid/secret/create_date, web.base.url reset (see copy.ts). */
  copy?: boolean | CopyOptions;
  /** Neutralise for staging (see neutralize.ts). */
  neutralize?: boolean | NeutralizeOptions;
  /** Database used to create/drop/rename. @default "postgres" */
  maintenanceDb?: string;
  /**
   * Runs after the data is in (and copy/neutralize applied) but before the database takes its
   * name: the place to put the filestore in place, so that a failure there rolls everything back.
   */
  beforeSwap?: (tempDb: string) => Promise<void>;
  progress?: ProgressSink;
}

export interface RestoreResult {
  db: string;
  /** An existing database was replaced. */
  replaced: boolean;
  /** Non-fatal problems: extensions Odoo would only warn about, psql errors in a plain dump. */
  warnings: string[];
  copy?: CopyResult;
  neutralize?: NeutralizeReport;
  seconds: number;
}

/** Refuses to touch an existing database unless forced. Returns whether it exists. */
export async function checkDatabaseTarget(s: PgSession, db: string, force: boolean, maintenanceDb = "postgres"): Promise<boolean> {
  checkDbName(db);
  const exists = await databaseExists(s, db, maintenanceDb);
  if (exists && !force) {
    throw new UserError(`database "${db}" already exists`, {
      hint: "Restore under another name with --as <newdb>, or replace it with --force (asks for confirmation; --yes when not on a terminal).",
    });
  }
  return exists;
}

export async function restoreDatabase(platform: BackupPlatform, conn: PgConn, source: RestoreSource, opts: RestoreOptions): Promise<RestoreResult> {
  return await restoreIn(pgSession(platform, conn), source, opts);
}

export async function restoreIn(s: PgSession, source: RestoreSource, opts: RestoreOptions): Promise<RestoreResult> {
  const started = Date.now();
  const maint = opts.maintenanceDb ?? "postgres";
  const exists = await checkDatabaseTarget(s, opts.db, Boolean(opts.force), maint);
  const temp = tempName(s, opts.db, "restoring");
  const warnings: string[] = [];
  const result: RestoreResult = { db: opts.db, replaced: false, warnings, seconds: 0 };
  await createOdooDatabase(s, temp, { unaccent: opts.unaccent, maintenanceDb: maint, warnings });
  try {
    opts.progress?.({ phase: "restore" });
    await loadInto(s, temp, source, opts.jobs ?? 1, warnings);
    if (opts.copy) result.copy = await applyCopy(s, temp, opts.copy === true ? {} : opts.copy);
    if (opts.neutralize) result.neutralize = { ...(await neutralizeIn(s, temp, opts.neutralize === true ? {} : opts.neutralize)), db: opts.db };
    if (opts.beforeSwap) await opts.beforeSwap(temp);
    if (exists) {
      await replaceDatabase(s, opts.db, temp, maint);
      result.replaced = true;
    } else {
      await psql(s, maint, `ALTER DATABASE ${quoteIdent(temp)} RENAME TO ${quoteIdent(opts.db)};\n`);
    }
  } catch (e) {
    await dropDatabase(s, temp, maint).catch(() => undefined);
    throw e;
  }
  result.seconds = (Date.now() - started) / 1000;
  return result;
}

/** A name for a work database next to `db`: `<db>__<what>_<hex>`, at most 63 bytes. */
export function tempName(s: Pick<PgSession, "platform">, db: string, what: string): string {
  const rnd = (s.platform.randomBytes?.(4) ?? Buffer.from(Date.now().toString(16).slice(-8), "hex")).toString("hex");
  const suffix = `__${what}_${rnd}`;
  return `${db.slice(0, 63 - suffix.length)}${suffix}`;
}

/** `_create_empty_database` of Odoo: the database, its extensions, the schema grant. */
export async function createOdooDatabase(s: PgSession, db: string, opts: { unaccent?: boolean; maintenanceDb?: string; warnings?: string[] } = {}): Promise<void> {
  const maint = opts.maintenanceDb ?? "postgres";
  // 'C' collate is only safe with template0 (Odoo's comment); it makes better indexes
  await psql(s, maint, `CREATE DATABASE ${quoteIdent(db)} ENCODING 'unicode' LC_COLLATE 'C' TEMPLATE template0;\n`);
  const warn = (what: string, e: unknown) => opts.warnings?.push(`${what}: ${e instanceof Error ? e.message.split("\n").slice(-1)[0] : String(e)}`);
  await psql(s, db, "CREATE EXTENSION IF NOT EXISTS pg_trgm;\n").catch((e: unknown) => warn("could not create extension pg_trgm", e));
  if (opts.unaccent) {
    await psql(s, db, "CREATE EXTENSION IF NOT EXISTS unaccent;\nALTER FUNCTION unaccent(text) IMMUTABLE;\n", { singleTransaction: true }).catch((e: unknown) => warn("could not create extension unaccent", e));
  }
  await psql(s, db, "GRANT CREATE ON SCHEMA PUBLIC TO PUBLIC;\n").catch((e: unknown) => warn("could not make the public schema public-accessible", e));
}

/**
 * Inside the db container (compose exec) host files do not exist: a dump file is streamed to
 * the tool's stdin instead (one pg_restore job); a directory dump is copied into a private temp
 * dir of the container (a tar stream into `docker compose exec ... sh`) and removed afterwards.
 */
async function containerSource(s: PgSession, source: RestoreSource): Promise<{ source: RestoreSource; cleanup?: () => Promise<void> }> {
  if (!s.conn.via || "stream" in source) return { source };
  if ("spooling" in source) {
    const { head, rest } = source.spooling;
    const streamed = rest.then(async (r): Promise<CustomDump> => ("path" in r ? { format: "custom", stream: (await filesOf(s.platform)).createReadStream(r.path) } : r));
    return { source: { format: "custom", spooling: { head, rest: streamed } } };
  }
  if (source.format === "directory") {
    const dir = await copyDirIntoContainer(s, source.dir);
    return { source: { format: "directory", dir }, cleanup: async () => removeInContainer(s, dir) };
  }
  const stream = (await filesOf(s.platform)).createReadStream(source.path);
  return { source: source.format === "custom" ? { format: "custom", stream } : { format: "plain", stream } };
}

/** Unpacks the tar stream on stdin into a fresh private directory of the container and prints its path. */
const UNPACK_SH = 'set -e; d=$(mktemp -d "${TMPDIR:-/tmp}/doodba-ops-restore.XXXXXX"); tar -x -f - -C "$d"; echo "$d"';

/** Copies a host directory into the db container (host `tar -c` piped into `tar -x` there); returns the container path. */
export async function copyDirIntoContainer(s: PgSession, hostDir: string): Promise<string> {
  const tar = await execOf(s.platform).spawn("tar", ["-c", "-f", "-", "-C", hostDir, "."]);
  let unpack;
  try {
    unpack = await spawnTool(s, "sh", ["-c", UNPACK_SH]);
  } catch (e) {
    tar.kill();
    throw e;
  }
  let out = "";
  unpack.stdout.setEncoding("utf8");
  const ended = new Promise<void>((resolve) => {
    unpack.stdout.on("data", (c: string) => (out += c));
    unpack.stdout.on("end", () => resolve());
    unpack.stdout.on("error", () => resolve());
  });
  // the unpacker may die early: tar must not block on a pipe nobody reads any more
  void unpack.done.then(() => tar.stdout.resume());
  await pipeInto(unpack, tar.stdout);
  const [t, u] = await Promise.all([tar.done, unpack.done, ended]);
  const dir = out.trim().split("\n").pop() ?? "";
  if (u.exitCode !== 0 || !dir.startsWith("/")) {
    if (t.exitCode === 0) {
      throw new PgToolError("sh", u.exitCode, `copying the dump directory into service ${s.conn.via?.service ?? "db"} failed (exit ${u.exitCode})${u.stderr.trim() ? `:\n${errorSummary(s, u.stderr)}` : ""}`, "The db image needs sh, mktemp and tar to receive a directory dump; or publish the db port on 127.0.0.1 and restore with --db postgres://user:password@127.0.0.1:port/db.");
    }
  }
  if (t.exitCode !== 0) {
    if (dir.startsWith("/")) await removeInContainer(s, dir).catch(() => undefined);
    throw new UserError(`could not read the dump directory ${hostDir} (tar exit ${t.exitCode})${t.stderr.trim() ? `: ${t.stderr.trim().split("\n").slice(-2).join(" ")}` : ""}`);
  }
  return dir;
}

async function removeInContainer(s: PgSession, dir: string): Promise<void> {
  const c = await toolCommand(s, "sh", ["-c", 'rm -rf -- "$1"', "sh", dir]);
  await execOf(s.platform).run(c.cmd, c.args, { env: c.env, cleanEnv: true, ...(c.cwd ? { cwd: c.cwd } : {}) });
}

async function loadInto(s: PgSession, db: string, hostSource: RestoreSource, jobs: number, warnings: string[]): Promise<void> {
  const { source, cleanup } = await containerSource(s, hostSource);
  try {
    await loadSource(s, db, source, jobs, warnings);
  } finally {
    await cleanup?.().catch(() => undefined);
  }
}

async function loadSource(s: PgSession, db: string, source: RestoreSource, jobs: number, warnings: string[], sections: string[] = []): Promise<void> {
  if (source.format === "plain") {
    // Odoo: psql -q -f dump.sql, errors do not stop it (no ON_ERROR_STOP)
    const args = ["-X", "-q", `--dbname=${dbConninfo(db)}`, "-f", "path" in source ? source.path : "-"];
    const proc = await spawnTool(s, "psql", args);
    proc.stdout.resume();
    if ("stream" in source) await pipeInto(proc, source.stream);
    else proc.stdin.end();
    const r = await proc.done;
    if (r.exitCode !== 0) throw toolError(s, "psql", `restore of "${db}"`, r);
    const errors = r.stderr.split("\n").filter((l) => /(^|:)\s*ERROR:/.test(l));
    if (errors.length) warnings.push(`psql reported ${errors.length} error(s) while loading dump.sql (Odoo ignores them too); first: ${errorSummary(s, errors[0] ?? "", 1)}`);
    return;
  }
  const args = ["--no-owner", `--dbname=${dbConninfo(db)}`, ...sections];
  if ("spooling" in source) {
    await restorePreData(s, db, source.spooling.head(), [...args, "--section=pre-data"]);
    await loadSource(s, db, await source.spooling.rest, jobs, warnings, ["--section=data", "--section=post-data"]);
    return;
  }
  if ("stream" in source) {
    const proc = await spawnTool(s, "pg_restore", args);
    proc.stdout.resume();
    await pipeInto(proc, source.stream);
    const r = await proc.done;
    if (r.exitCode !== 0) throw toolError(s, "pg_restore", `restore of "${db}"`, r);
    return;
  }
  const target = source.format === "directory" ? source.dir : source.path;
  const proc = await spawnTool(s, "pg_restore", [...args, `--jobs=${Math.max(1, jobs)}`, ...(source.format === "directory" ? ["--format=directory"] : []), target]);
  proc.stdout.resume();
  proc.stdin.end();
  const r = await proc.done;
  if (r.exitCode !== 0) throw toolError(s, "pg_restore", `restore of "${db}"`, r);
}

/**
 * `pg_restore --section=pre-data` from the head of a dump. pg_restore stops reading once it has
 * the table of contents and exits when the schema is created; the stream is then closed. An
 * error of the stream while pg_restore still needed bytes (a damaged object) is reported as
 * such, not as pg_restore's "end of file".
 */
async function restorePreData(s: PgSession, db: string, head: Readable, args: string[]): Promise<void> {
  let inputError: unknown;
  head.on("error", (e) => (inputError ??= e));
  let proc;
  try {
    proc = await spawnTool(s, "pg_restore", args);
  } catch (e) {
    head.destroy();
    throw e;
  }
  proc.stdout.resume();
  // settles on EPIPE once pg_restore has what it needs; its exit code is what counts
  void pipeInto(proc, head).catch((e: unknown) => (inputError ??= e));
  const r = await proc.done;
  head.destroy();
  if (r.exitCode !== 0) {
    if (inputError) throw inputError instanceof Error ? inputError : new Error(String(inputError));
    throw toolError(s, "pg_restore", `restore of the schema (pre-data) of "${db}"`, r);
  }
}

async function serverVersionNum(s: PgSession, db: string): Promise<number> {
  const [r] = await query<{ n: number }>(s, db, "SELECT current_setting('server_version_num')::int AS n");
  return r?.n ?? 0;
}

/** Drops a database, disconnecting its sessions (WITH (FORCE) on 13+). No error when absent. */
export async function dropDatabase(s: PgSession, db: string, maintenanceDb = "postgres"): Promise<void> {
  const v = await serverVersionNum(s, maintenanceDb);
  if (v >= 130000) {
    await psql(s, maintenanceDb, `DROP DATABASE IF EXISTS ${quoteIdent(db)} WITH (FORCE);\n`);
  } else {
    await psql(s, maintenanceDb, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db.replace(/'/g, "''")}' AND pid <> pg_backend_pid();\nDROP DATABASE IF EXISTS ${quoteIdent(db)};\n`);
  }
}

/**
 * Puts `temp` in place of `db`: the old one is renamed aside first (its sessions terminated),
 * then `temp` takes the name, then the old one is dropped. At every moment one complete
 * database carries the name or none does for the instant between the two renames.
 */
async function replaceDatabase(s: PgSession, db: string, temp: string, maint: string): Promise<void> {
  const aside = tempName(s, db, "replaced");
  const lit = db.replace(/'/g, "''");
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await psql(s, maint, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${lit}' AND pid <> pg_backend_pid();\nALTER DATABASE ${quoteIdent(db)} RENAME TO ${quoteIdent(aside)};\n`);
      lastError = undefined;
      break;
    } catch (e) {
      // a client (Odoo) reconnected between the two statements: try again
      lastError = e;
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  }
  if (lastError) throw lastError;
  try {
    await psql(s, maint, `ALTER DATABASE ${quoteIdent(temp)} RENAME TO ${quoteIdent(db)};\n`);
  } catch (e) {
    await psql(s, maint, `ALTER DATABASE ${quoteIdent(aside)} RENAME TO ${quoteIdent(db)};\n`).catch(() => undefined);
    throw e;
  }
  await dropDatabase(s, aside, maint);
}

/** A dump being written to a private temp file (pg_restore -j needs a seekable file). */
export interface Spool {
  readonly path: string;
  /** Settles once the whole stream is in the file; rejects with the stream's or the disk's error. */
  readonly done: Promise<void>;
  /** Stops a spool still running, waits for it, and removes the file (also after a failure). */
  cleanup(): Promise<void>;
}

/** Starts writing `stream` to a temp file (under `workDir`, default the system temp dir) and returns at once. */
export async function startSpool(platform: BackupPlatform, stream: Readable, workDir?: string): Promise<Spool> {
  // an error before the loop below reads (while the temp dir is made) is its to report, not an
  // unhandled 'error' event that would end the process
  stream.on("error", () => undefined);
  const io = await filesOf(platform);
  const dir = await io.mkdtemp("doodba-ops-spool-", workDir);
  const path = `${dir}/dump`;
  let settled = false;
  // opened before anything is read: a stream that fails at once still finds the file to remove
  const done = (async () => {
    const out = await io.openWrite(path, 0o600);
    try {
      for await (const chunk of stream) await out.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
    } finally {
      await out.close();
    }
  })().finally(() => {
    settled = true;
  });
  done.catch(() => undefined); // surfaced by whoever awaits it
  return {
    path,
    done,
    cleanup: async () => {
      if (!settled) stream.destroy();
      await done.catch(() => undefined);
      await io.rm(dir);
    },
  };
}
