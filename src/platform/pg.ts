/**
 * PostgreSQL adapter: the core asks a {@link PgClient} for rows and never imports `pg` itself,
 * so analysis code runs against a real server in integration tests and against recorded rows in
 * unit tests. node-postgres is loaded on first use (most commands never talk to PostgreSQL).
 *
 * Sessions opened here are read-only by construction: `default_transaction_read_only = on`, a
 * statement timeout and a lock timeout are set before the caller's first query.
 */
import type { ClientConfig } from "pg";

export type PgValue = string | number | boolean | null | PgValue[] | { [k: string]: unknown };
export type PgRow = Record<string, PgValue>;

export interface PgClient {
  /** Runs one statement with `$1`-style parameters and returns its rows. Rejects on SQL errors. */
  query(sql: string, params?: readonly unknown[]): Promise<PgRow[]>;
  /** Closes the connection (idempotent). */
  close(): Promise<void>;
}

export interface PgConnectOptions {
  /**
   * A `postgres://` URL handed to the driver as is (its parts win over the fields below, and the
   * driver fills gaps from process.env). Prefer the separate fields.
   */
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /**
   * libpq sslmode: disable, allow and prefer connect without TLS (no fallback logic here);
   * require encrypts without checking the certificate; verify-ca and verify-full check it.
   * @default no TLS
   */
  sslmode?: string;
  /** Per-statement limit set on the session. @default 30000 */
  statementTimeoutMs?: number;
  /** Waiting for a lock longer than this fails the statement instead of hanging behind a migration. @default 5000 */
  lockTimeoutMs?: number;
  /** @default 10000 */
  connectTimeoutMs?: number;
  /** Shown in pg_stat_activity. @default "doodba-ops" */
  applicationName?: string;
}

export type PgConnect = (opts: PgConnectOptions) => Promise<PgClient>;

// OIDs: int8 and numeric as numbers (sizes and counters stay far below 2^53); dates and
// timestamps as the server's text, so output does not depend on this machine's time zone.
const AS_NUMBER = new Set([20, 1700]);
const AS_TEXT = new Set([1082, 1083, 1114, 1184, 1186, 1266]);

function sslConfig(mode: string | undefined): ClientConfig["ssl"] {
  if (!mode || mode === "disable" || mode === "allow" || mode === "prefer") return undefined;
  if (mode === "require" || mode === "no-verify") return { rejectUnauthorized: false };
  return { rejectUnauthorized: true };
}

/** The real client (node-postgres). */
export const nodePgConnect: PgConnect = async (opts) => {
  const { default: pg } = await import("pg");
  const config: ClientConfig = {
    connectionString: opts.connectionString,
    host: opts.host,
    port: opts.port,
    user: opts.user,
    password: opts.password,
    database: opts.database,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    application_name: opts.applicationName ?? "doodba-ops",
    types: {
      getTypeParser: ((oid: number, format?: string) => {
        if (AS_NUMBER.has(oid)) return (v: string) => Number(v);
        if (AS_TEXT.has(oid)) return (v: string) => v;
        return pg.types.getTypeParser(oid, format as "text");
      }) as typeof pg.types.getTypeParser,
    },
  };
  if (!opts.connectionString && opts.sslmode) config.ssl = sslConfig(opts.sslmode);
  const client = new pg.Client(config);
  // A dropped connection emits 'error' on the client; without a listener Node would crash.
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query(
      // tagged so that pg_stat_statements reports of this tool can leave its own statements out
      "/* doodba-ops:session */ SELECT set_config('default_transaction_read_only', 'on', false), set_config('statement_timeout', $1, false), set_config('lock_timeout', $2, false)",
      [String(Math.floor(opts.statementTimeoutMs ?? 30_000)), String(Math.floor(opts.lockTimeoutMs ?? 5_000))],
    );
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  let closed = false;
  return {
    async query(sql, params) {
      const r = await client.query(sql, params ? [...params] : undefined);
      return r.rows as PgRow[];
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.end().catch(() => undefined);
    },
  };
};
