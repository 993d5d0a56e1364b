/**
 * `doodba-ops tune analyze [dir] (--db <url|name> | --env <name>) [--memory 8GiB --cpus 4
 * --storage ssd] [--format human|json]`: a read-only look at a live PostgreSQL database of an
 * Odoo deployment. Exit 0 when the analysis ran (whatever it found), 2 when the target is wrong
 * or cannot be reached.
 *
 * Every text that leaves this command (report, progress, errors) goes through one redactor that
 * knows the password in use: the connection is shown as postgres://user:***@host:port/db.
 */
import { UserError } from "../../errors.js";
import type { Platform } from "../../platform/index.js";
import { nodePgConnect, type PgClient, type PgConnect } from "../../platform/pg.js";
import { parseSize } from "../../project/compose/load.js";
import { loadProject } from "../../project/index.js";
import { redactor, resolveTarget, type ConnectionTarget } from "../../tune/analyze/connection.js";
import { analyzeDatabase, type AnalyzeThresholds } from "../../tune/analyze/index.js";
import { renderHuman, renderJson } from "../../tune/analyze/render.js";
import type { PgTuneInput } from "../../tune/postgres.js";

export interface TuneAnalyzeOptions {
  /** postgres:// URL, or a database name completed by PGHOST/PGPORT/PGUSER/PGPASSWORD. */
  db?: string;
  /** Project directory for --env. @default "." */
  dir?: string;
  /** Take the database from this environment of the project. */
  env?: string;
  format: "human" | "json";
  /** RAM of the database server, e.g. "8GiB" (enables the settings recommendation). */
  memory?: string;
  /** CPUs of the database server. */
  cpus?: string | number;
  /** ssd | hdd | san | nvme (as the PostgreSQL calculator knows them). @default "ssd" */
  storage?: string;
}

export interface TuneAnalyzeDeps {
  /** @default node-postgres */
  connect?: PgConnect;
  /** Lower thresholds (tests). */
  thresholds?: Partial<AnalyzeThresholds>;
}

type Storage = NonNullable<PgTuneInput["storage"]>;
/** What --storage takes; the PostgreSQL calculator decides what each means (nvme: its newer pgtune rules). */
const STORAGES = ["ssd", "hdd", "san", "nvme"] as const;

function parseMemory(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const bytes = parseSize(v);
  if (bytes === undefined || !Number.isFinite(bytes)) throw new UserError(`--memory needs a size like 8GiB or 16g, got "${v}"`);
  if (bytes < 256 * 1024 * 1024) {
    throw new UserError(`--memory ${v} is ${bytes} bytes: too small for a database server`, { hint: "Give the unit: --memory 8GiB (binary units; 8g and 8GB mean the same here)." });
  }
  return bytes;
}

function parseCpus(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new UserError(`--cpus needs a whole number of CPUs (1 or more), got "${v}"`);
  return n;
}

function parseStorage(v: string | undefined): Storage | undefined {
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  const found = STORAGES.find((x) => x === s);
  if (!found) throw new UserError(`--storage must be one of ${STORAGES.join(", ")}, got "${v}"`);
  return found as Storage;
}

interface ErrorLike {
  message?: string;
  code?: string;
}

/** A connection failure, as the user can act on it. Never contains the password. */
export function connectionError(err: unknown, target: ConnectionTarget, redact: (s: string) => string): UserError {
  const e = (typeof err === "object" && err !== null ? err : { message: String(err) }) as ErrorLike;
  const raw = redact(e.message ?? String(err));
  const host = target.connect.host ?? "localhost";
  const port = target.connect.port ?? 5432;
  const where = `${host}:${port}`;
  const publishHint =
    'In a Doodba project, publish the db service on loopback only (ports: ["127.0.0.1:5432:5432"] in the environment\'s compose file, then `docker compose up -d db`), or open an SSH tunnel to the server (ssh -L 5432:127.0.0.1:5432 <host>).';
  switch (e.code) {
    case "ECONNREFUSED":
      return new UserError(`cannot connect to ${target.display}: connection refused at ${where}`, { hint: `Nothing listens on ${where}. Is PostgreSQL running and its port published?\n${publishHint}` });
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new UserError(`cannot connect to ${target.display}: host "${host}" is unknown`, {
        hint: `Compose service names such as "db" resolve only inside the compose network. Connect to the published port on 127.0.0.1, or use --env <name> to take it from the project.\n${publishHint}`,
      });
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return new UserError(`cannot connect to ${target.display}: ${where} does not answer (${e.code})`, { hint: `A firewall or a missing route. ${publishHint}` });
    case "28P01":
      return new UserError(`cannot connect to ${target.display}: password authentication failed for user "${target.connect.user ?? "?"}"`, {
        hint: "Check the password: in the URL (percent-encoded), in PGPASSWORD or ~/.pgpass; a Doodba project keeps it in .docker/db-access.env (PGPASSWORD).",
      });
    case "28000":
      return new UserError(`cannot connect to ${target.display}: the server refused the role or this client (${raw})`, {
        hint: "The role may not exist, or pg_hba.conf has no line for this address and database.",
      });
    case "3D000":
      return new UserError(`cannot connect to ${target.display}: ${raw}`, { hint: "List the databases with: psql -l (same host, port and user), and pass the right one in --db." });
    case "53300":
      return new UserError(`cannot connect to ${target.display}: the server has no free connection slot (${raw})`, {
        hint: "max_connections is exhausted: that is a finding in itself. Retry as a superuser (reserved slots), or end idle sessions first.",
      });
    default:
      if (/timeout/i.test(raw)) return new UserError(`cannot connect to ${target.display}: timed out (${raw})`, { hint: `${where} accepted nothing in 10 s. ${publishHint}` });
      if (/ssl|tls|certificate/i.test(raw)) return new UserError(`cannot connect to ${target.display}: ${raw}`, { hint: "Adjust sslmode in the URL (?sslmode=disable for a server without TLS, require to use TLS without verifying the certificate)." });
      return new UserError(`cannot connect to ${target.display}: ${raw}`);
  }
}

export async function tuneAnalyzeCommand(platform: Platform, opts: TuneAnalyzeOptions, deps: TuneAnalyzeDeps = {}): Promise<number> {
  if (opts.format !== "human" && opts.format !== "json") throw new UserError(`--format must be human or json, got "${String(opts.format)}"`);
  const memoryBytes = parseMemory(opts.memory);
  const cpus = parseCpus(opts.cpus);
  const storage = parseStorage(opts.storage);

  const target = resolveTarget({ db: opts.db, dir: opts.dir, env: opts.env }, platform.environ, (dir, env) => loadProject(dir, { platform, envs: [env] }));
  const redact = redactor(target.secrets);
  const err = (s: string): void => platform.stderr(redact(s));

  err(`tune analyze: connecting to ${target.display}\n`);
  const connect = deps.connect ?? nodePgConnect;
  let client: PgClient;
  try {
    client = await connect({ ...target.connect, applicationName: "doodba-ops tune analyze" });
  } catch (e) {
    throw connectionError(e, target, redact);
  }
  try {
    const report = await analyzeDatabase(client, {
      memoryBytes,
      cpus,
      storage,
      thresholds: deps.thresholds,
      redact,
      progress: (step) => err(`tune analyze: reading ${step}\n`),
    });
    const rt = { url: target.display, source: target.source, note: target.note };
    const text = opts.format === "json" ? renderJson(report, rt) : renderHuman(report, rt);
    platform.stdout(redact(text));
    const n = report.findings.length;
    err(`tune analyze: ${n} finding${n === 1 ? "" : "s"} in ${report.snapshot.server.database}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UserError) throw e;
    const m = redact(e instanceof Error ? e.message : String(e));
    const code = (e as ErrorLike).code;
    // The server ended the session or a catalog query failed: the user's environment, not a bug here.
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) throw new UserError(`the analysis of ${target.display} failed: ${m}`, { hint: "Run it as the database owner or a superuser; a role granted pg_read_all_stats sees every statistic." });
    if (/Connection terminated|ECONNRESET/i.test(m)) throw new UserError(`the connection to ${target.display} was lost during the analysis: ${m}`);
    throw new Error(m);
  } finally {
    await client.close();
  }
}
