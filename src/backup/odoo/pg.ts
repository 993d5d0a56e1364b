/**
 * Running the PostgreSQL client tools through Platform.exec: psql for queries and statements,
 * pg_dump / pg_restore for data. Every message that leaves this module is masked.
 */
import { posix } from "node:path";
import type { Readable } from "node:stream";
import { UserError } from "../../errors.js";
import type { Exec, ExecResult, StreamingProcess } from "../../platform/index.js";
import { dbConninfo, maskSecrets, resolveConn, type ComposeExecVia, type PgConn, type ResolvedConn } from "./conn.js";
import { execOf, type BackupPlatform } from "./files.js";

export type PgTool = "psql" | "pg_dump" | "pg_restore";
/** What runs in the db container: the tools, and `sh` to move dump files in and out. */
export type ContainerTool = PgTool | "sh";

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

function hintFor(stderr: string, via?: ComposeExecVia): string | undefined {
  if (via) {
    if (stderr.trim() === "" || /no container found|is not running|no such service|no such container|container .* is not running/i.test(stderr)) {
      return `Start the database first: docker compose up -d ${via.service} (in ${via.dir}).`;
    }
    if (/Cannot connect to the Docker daemon|docker\.sock.*permission denied|permission denied.*docker\.sock/i.test(stderr)) {
      return "Docker does not answer: is the engine running, and may this user use it (group docker, or DOCKER_HOST)?";
    }
    if (/executable file not found|exec: "?(pg_dump|pg_restore|psql)"?/i.test(stderr)) {
      return `The image of service ${via.service} has no PostgreSQL client tools: publish its port on 127.0.0.1 and use --db postgres://user:password@127.0.0.1:port/db.`;
    }
  }
  if (/password authentication failed|no password supplied/i.test(stderr)) return "Check the user and password (URL, PGUSER/PGPASSWORD or ~/.pgpass).";
  if (/Connection refused|could not connect|No such file or directory.*socket/i.test(stderr)) return "Is PostgreSQL running and reachable at that host and port?";
  if (/server version mismatch|aborting because of server version mismatch/i.test(stderr)) return "pg_dump must be at least as new as the server: install the matching postgresql-client or pass its bin directory.";
  if (/permission denied/i.test(stderr)) return "The role needs more privileges (CREATEDB to create databases; superuser or ownership for extensions).";
  if (/ENOENT|not found/i.test(stderr)) return "Install the PostgreSQL client tools (Debian: postgresql-client).";
  return undefined;
}

export function toolError(s: PgSession, tool: string, what: string, r: Pick<ExecResult, "exitCode" | "stderr">): PgToolError {
  const via = s.conn.via;
  // docker-compose v1 exits 1 without a word when the service has no running container
  const detail = errorSummary(s, r.stderr) || (via ? `no error output (docker compose exec prints none when service ${via.service} has no running container)` : "");
  return new PgToolError(tool, r.exitCode, `${what} failed (${tool} exit ${r.exitCode}) on ${s.conn.description}${detail ? `:\n${detail}` : ""}`, hintFor(r.stderr, s.conn.via));
}

const PSQL_FLAGS = ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"];

/** Runs SQL (sent on stdin, never argv) in `db`; returns stdout. Throws a masked error on failure. */
export async function psql(s: PgSession, db: string, sql: string, opts: { singleTransaction?: boolean; quiet?: boolean } = {}): Promise<string> {
  const flags = opts.quiet === false ? PSQL_FLAGS.filter((f) => f !== "-q") : PSQL_FLAGS;
  const args = [...flags, ...(opts.singleTransaction ? ["-1"] : []), `--dbname=${dbConninfo(db)}`, "-f", "-"];
  const c = await toolCommand(s, "psql", args);
  const r = await execOf(s.platform).run(c.cmd, c.args, { env: c.env, cleanEnv: true, input: sql, ...(c.cwd ? { cwd: c.cwd } : {}) });
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

/** Starts a tool with streaming stdin/stdout (inside the db container for a compose-exec connection; `sh` only there). */
export async function spawnTool(s: PgSession, tool: ContainerTool, args: string[]): Promise<StreamingProcess> {
  const c = await toolCommand(s, tool, args);
  return await execOf(s.platform).spawn(c.cmd, c.args, { env: c.env, cleanEnv: true, ...(c.cwd ? { cwd: c.cwd } : {}) });
}

/** A process to start: what runs a tool on this host, or in the db container. */
export interface ToolCommand {
  cmd: string;
  args: string[];
  /** The whole environment of the process (started with cleanEnv). */
  env: Record<string, string | undefined>;
  cwd?: string;
}

/** The command line that runs `tool args` for this session: the tool itself, or docker compose exec. */
export async function toolCommand(s: PgSession, tool: ContainerTool, args: string[]): Promise<ToolCommand> {
  const via = s.conn.via;
  if (!via) {
    if (tool === "sh") throw new Error("sh runs only in the db container (compose-exec connections)");
    return { cmd: toolPath(s, tool), args, env: toolEnv(s) };
  }
  const flavour = via.flavour ?? (await composeFlavour(s));
  const [cmd, argv] = composeExecArgv(via, flavour, s.conn.pgEnv, tool, args);
  return { cmd, args: argv, env: toolEnv(s), cwd: posix.resolve(via.dir) };
}

/**
 * `docker compose ... exec -T -e PGUSER -e PGPASSWORD ... <service> <tool> <args>` (v2) or the
 * same with `docker-compose` (v1). Each libpq variable is named without its value: compose takes
 * the value from its own environment (the caller passes them there), so no secret is in argv.
 * Compose files are made absolute (compose resolves -f against its working directory).
 */
export function composeExecArgv(via: ComposeExecVia, flavour: "v2" | "v1", pgEnv: Record<string, string | undefined>, tool: ContainerTool, args: readonly string[]): [string, string[]] {
  const dir = posix.resolve(via.dir);
  const global = ["--project-directory", dir, ...via.files.flatMap((f) => ["-f", posix.resolve(dir, f)]), ...(via.projectName ? ["-p", via.projectName] : [])];
  const vars = Object.keys(pgEnv)
    .filter((k) => pgEnv[k] !== undefined)
    .sort()
    .flatMap((k) => ["-e", k]);
  const exec = ["exec", "-T", ...vars, via.service, tool, ...args];
  return flavour === "v2" ? ["docker", ["compose", ...global, ...exec]] : ["docker-compose", [...global, ...exec]];
}

const flavours = new WeakMap<Exec, Promise<"v2" | "v1">>();

/** `docker compose` (v2) when the docker CLI has it, else `docker-compose` (v1); asked once per Exec. */
export async function composeFlavour(s: PgSession): Promise<"v2" | "v1"> {
  const exec = execOf(s.platform);
  let found = flavours.get(exec);
  if (!found) {
    found = (async (): Promise<"v2" | "v1"> => {
      const v2 = await exec.run("docker", ["compose", "version", "--short"], { env: toolEnv(s), cleanEnv: true });
      if (v2.exitCode === 0) return "v2";
      if (await exec.which("docker-compose")) return "v1";
      throw new UserError(`The database is reached through docker compose exec (${s.conn.description}), but neither \`docker compose\` (v2) nor \`docker-compose\` (v1) is installed`, {
        hint: "Install the Docker Compose plugin (Debian: docker-compose-plugin) or docker-compose, or publish the db port on 127.0.0.1 and pass --db postgres://user:password@127.0.0.1:port/db.",
      });
    })();
    flavours.set(exec, found);
    found.catch(() => flavours.delete(exec));
  }
  return await found;
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
