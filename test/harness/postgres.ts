/**
 * Test harness: a real, throwaway PostgreSQL cluster (initdb + pg_ctl) on a free 127.0.0.1 port,
 * run as a non-root user (PostgreSQL refuses root). Used by the integration tests of `tune
 * analyze` and `backup`. Nothing here is a mock.
 *
 *   const pg = await startPostgres({ preload: ["pg_stat_statements"] });
 *   ... pg.url("dbname") ...
 *   await pg.stop();
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PgCluster {
  host: string;
  port: number;
  /** Superuser role. */
  user: string;
  /** Connection URL for a database (default "postgres"). */
  url(db?: string): string;
  /** Environment for libpq tools (psql, pg_dump, pg_restore). */
  env(db?: string): Record<string, string>;
  /** Runs psql -c or -f against `db`, returns stdout. Throws with stderr on failure. */
  psql(db: string, sql: string): string;
  bin(name: string): string;
  stop(): Promise<void>;
  dataDir: string;
}

const PG_BIN_DIRS = ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin", "/usr/local/bin", "/usr/bin"];

export function pgBin(name: string): string {
  for (const d of PG_BIN_DIRS) {
    const p = join(d, name);
    if (existsSync(p)) return p;
  }
  return name;
}

export function havePostgres(): boolean {
  return existsSync(pgBin("initdb")) && spawnSync(pgBin("initdb"), ["--version"]).status === 0;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** The OS user the cluster runs as when we are root: `postgres` if present, else one we create. */
function runAsUser(): { name: string; uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let name = "postgres";
  if (spawnSync("id", ["-u", name]).status !== 0) {
    name = "doodbaops-pg";
    if (spawnSync("id", ["-u", name]).status !== 0) execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name]);
  }
  const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
  return { name, uid, gid };
}

function asUser(user: { name: string } | undefined, cmd: string, args: string[]): [string, string[]] {
  return user ? ["runuser", ["-u", user.name, "--", cmd, ...args]] : [cmd, args];
}

export interface StartOptions {
  /** shared_preload_libraries, e.g. ["pg_stat_statements"]. */
  preload?: string[];
  /** Extra postgresql.conf settings. */
  settings?: Record<string, string>;
}

export async function startPostgres(opts: StartOptions = {}): Promise<PgCluster> {
  const user = runAsUser();
  const base = mkdtempSync(join(tmpdir(), "doodba-ops-pg-"));
  chmodSync(base, 0o755);
  const dataDir = join(base, "data");
  const sockDir = join(base, "sock");
  for (const d of [dataDir, sockDir]) {
    execFileSync("mkdir", ["-p", d]);
    if (user) chownSync(d, user.uid, user.gid);
  }
  const [c1, a1] = asUser(user, pgBin("initdb"), ["-D", dataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "-N"]);
  const init = spawnSync(c1, a1, { encoding: "utf8" });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const settings: Record<string, string> = {
    listen_addresses: "'127.0.0.1'",
    port: String(port),
    unix_socket_directories: `'${sockDir}'`,
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    ...(opts.preload?.length ? { shared_preload_libraries: `'${opts.preload.join(",")}'` } : {}),
    ...opts.settings,
  };
  const conf = Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join("\n") + "\n";
  execFileSync("sh", ["-c", `cat >> '${join(dataDir, "postgresql.conf")}'`], { input: conf });
  const [c2, a2] = asUser(user, pgBin("pg_ctl"), ["-D", dataDir, "-l", join(dataDir, "server.log"), "-w", "-t", "60", "start"]);
  const start = spawnSync(c2, a2, { encoding: "utf8" });
  if (start.status !== 0) throw new Error(`pg_ctl start failed: ${start.stderr}${start.stdout}`);
  const host = "127.0.0.1";
  const env = (db = "postgres"): Record<string, string> => ({ ...(process.env as Record<string, string>), PGHOST: host, PGPORT: String(port), PGUSER: "postgres", PGDATABASE: db });
  const cluster: PgCluster = {
    host,
    port,
    user: "postgres",
    dataDir,
    url: (db = "postgres") => `postgres://postgres@${host}:${port}/${db}`,
    env,
    bin: pgBin,
    psql: (db, sql) => {
      const r = spawnSync(pgBin("psql"), ["-X", "-v", "ON_ERROR_STOP=1", "-q", "-t", "-A", "-d", db], { input: sql, encoding: "utf8", env: env(db), maxBuffer: 1 << 28 });
      if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
      return r.stdout;
    },
    stop: async () => {
      const [c3, a3] = asUser(user, pgBin("pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
      spawnSync(c3, a3);
      rmSync(base, { recursive: true, force: true });
    },
  };
  return cluster;
}

/** Leftover clusters of crashed test runs (data dirs in tmp) are harmless; list them for debugging. */
export function leftoverClusters(): string[] {
  return readdirSync(tmpdir()).filter((d) => d.startsWith("doodba-ops-pg-"));
}
