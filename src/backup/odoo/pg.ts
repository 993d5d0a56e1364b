/**
 * Running the PostgreSQL client tools through Platform.exec: psql for queries and statements,
 * pg_dump / pg_restore for data. Every message that leaves this module is masked.
 */
import type { Readable } from "node:stream";
import { UserError } from "../../errors.js";
import type { ExecResult, StreamingProcess } from "../../platform/index.js";
import { dbConninfo, maskSecrets, resolveConn, type PgConn, type ResolvedConn } from "./conn.js";
import { execOf, type BackupPlatform } from "./files.js";

export type PgTool = "psql" | "pg_dump" | "pg_restore";

/** A client tool failed: the message carries the tool's own (masked) error lines. Exit code 2 (a user-facing problem: server, credentials, input). */
export class PgToolError extends UserError {
  constructor(
    readonly tool: string,
    readonly toolExitCode: number,
    message: string,
    hint?: string,
  ) {
    super(message, { hint });
    this.name = "PgToolError";
  }
}

export interface PgSession {
  platform: BackupPlatform;
  conn: ResolvedConn;
}

export function pgSession(platform: BackupPlatform, conn: PgConn): PgSession {
  return { platform, conn: resolveConn(conn, platform.environ) };
}

export function toolPath(s: PgSession, tool: PgTool): string {
  return s.conn.binDir ? `${s.conn.binDir.replace(/\/$/, "")}/${tool}` : tool;
}

/** The environment of a tool: inherited variables, then the connection's libpq variables. */
export function toolEnv(s: PgSession): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(s.platform.environ)) if (!k.startsWith("PG")) env[k] = v;
  return { ...env, ...s.conn.pgEnv };
}

export function mask(s: PgSession, text: string): string {
  return maskSecrets(text, s.conn.secrets);
}

/** The meaningful lines of a tool's stderr (errors first), masked and trimmed to a few lines. */
export function errorSummary(s: PgSession, stderr: string, max = 6): string {
  const lines = mask(s, stderr)
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0);
  const important = lines.filter((l) => /error|fatal|could not|failed|does not exist|denied|refused/i.test(l));
  const chosen = (important.length ? important : lines).slice(0, max);
  return chosen.join("\n");
}

function hintFor(stderr: string): string | undefined {
  if (/password authentication failed|no password supplied/i.test(stderr)) return "Check the user and password (URL, PGUSER/PGPASSWORD or ~/.pgpass).";
  if (/Connection refused|could not connect|No such file or directory.*socket/i.test(stderr)) return "Is PostgreSQL running and reachable at that host and port?";
  if (/server version mismatch|aborting because of server version mismatch/i.test(stderr)) return "pg_dump must be at least as new as the server: install the matching postgresql-client or pass its bin directory.";
  if (/permission denied/i.test(stderr)) return "The role needs more privileges (CREATEDB to create databases; superuser or ownership for extensions).";
  if (/ENOENT|not found/i.test(stderr)) return "Install the PostgreSQL client tools (Debian: postgresql-client).";
  return undefined;
}

export function toolError(s: PgSession, tool: string, what: string, r: Pick<ExecResult, "exitCode" | "stderr">): PgToolError {
  const detail = errorSummary(s, r.stderr);
  return new PgToolError(tool, r.exitCode, `${what} failed (${tool} exit ${r.exitCode}) on ${s.conn.description}${detail ? `:\n${detail}` : ""}`, hintFor(r.stderr));
}

const PSQL_FLAGS = ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"];

/** Runs SQL (sent on stdin, never argv) in `db`; returns stdout. Throws a masked error on failure. */
export async function psql(s: PgSession, db: string, sql: string, opts: { singleTransaction?: boolean; quiet?: boolean } = {}): Promise<string> {
  const flags = opts.quiet === false ? PSQL_FLAGS.filter((f) => f !== "-q") : PSQL_FLAGS;
  const args = [...flags, ...(opts.singleTransaction ? ["-1"] : []), `--dbname=${dbConninfo(db)}`, "-f", "-"];
  const r = await execOf(s.platform).run(toolPath(s, "psql"), args, { env: toolEnv(s), cleanEnv: true, input: sql });
  if (r.exitCode !== 0) throw toolError(s, "psql", `SQL on database "${db}"`, r);
  return r.stdout;
}

/** Runs a SELECT and returns its rows as objects (via json_agg: types survive, no parsing of text tables). */
export async function query<T>(s: PgSession, db: string, select: string): Promise<T[]> {
  const out = await psql(s, db, `SELECT coalesce(json_agg(q), '[]'::json) FROM (${select}) q;\n`);
  return JSON.parse(out.trim() || "[]") as T[];
}

export async function databaseExists(s: PgSession, name: string, maintenanceDb = "postgres"): Promise<boolean> {
  const rows = await query<{ n: number }>(s, maintenanceDb, `SELECT count(*)::int AS n FROM pg_database WHERE datname = ${sqlString(name)}`);
  return (rows[0]?.n ?? 0) > 0;
}

export function sqlString(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

/** Starts a tool with streaming stdin/stdout. */
export async function spawnTool(s: PgSession, tool: PgTool, args: string[]): Promise<StreamingProcess> {
  return await execOf(s.platform).spawn(toolPath(s, tool), args, { env: toolEnv(s), cleanEnv: true });
}

/**
 * Feeds `input` to a started process's stdin (backpressure respected) and waits for it to exit.
 * An input error kills the process and rejects.
 */
export async function pipeInto(proc: StreamingProcess, input: Readable): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      proc.kill();
      reject(e instanceof Error ? e : new Error(String(e)));
    };
    input.on("error", fail);
    proc.stdin.on("error", (e: NodeJS.ErrnoException) => {
      // EPIPE: the tool exited early; its exit code and stderr tell why.
      if (e.code === "EPIPE" || e.code === "ERR_STREAM_DESTROYED") {
        if (!settled) {
          settled = true;
          resolve();
        }
      } else fail(e);
    });
    proc.stdin.on("finish", () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    });
    input.pipe(proc.stdin);
  });
}
