/**
 * A long-lived psql session driven over pipes. The dump uses one to hold a REPEATABLE READ
 * transaction open: it exports its snapshot to pg_dump (`--snapshot`) and counts rows and reads
 * Odoo's module list in that same snapshot, so the counts describe exactly the dumped data even
 * while Odoo keeps writing.
 */
import type { StreamingProcess } from "../../platform/index.js";
import { dbConninfo } from "./conn.js";
import { errorSummary, PgToolError, spawnTool, toolError, type PgSession } from "./pg.js";

const MARK = "__doodba_ops_end_of_result__";

export class PsqlSession {
  private buffer = "";
  private lines: string[] = [];
  private waiter: (() => void) | undefined;
  private ended = false;
  private closed = false;

  private constructor(
    private readonly s: PgSession,
    private readonly proc: StreamingProcess,
    private readonly db: string,
  ) {
    proc.stdout.setEncoding("utf8");
    proc.stdout.on("data", (chunk: string) => {
      this.buffer += chunk;
      const parts = this.buffer.split("\n");
      this.buffer = parts.pop() ?? "";
      this.lines.push(...parts);
      this.waiter?.();
    });
    proc.stdout.on("end", () => {
      this.ended = true;
      this.waiter?.();
    });
    proc.stdin.on("error", () => {
      // the process died: reported through `done` by ask()
    });
  }

  static async open(s: PgSession, db: string): Promise<PsqlSession> {
    const proc = await spawnTool(s, "psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", `--dbname=${dbConninfo(db)}`]);
    return new PsqlSession(s, proc, db);
  }

  /** Sends SQL and returns everything it printed (rows as psql -A -t lines). */
  async ask(sql: string): Promise<string> {
    if (this.closed) throw new Error("psql session closed");
    this.proc.stdin.write(`${sql.trim()}\n\\echo ${MARK}\n`);
    const out: string[] = [];
    for (;;) {
      while (this.lines.length) {
        const line = this.lines.shift() as string;
        if (line === MARK) return out.join("\n");
        out.push(line);
      }
      if (this.ended) {
        throw toolError(this.s, "psql", `query on database "${this.db}"`, await this.proc.done);
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
  }

  async json<T>(select: string): Promise<T> {
    const out = await this.ask(`SELECT coalesce(json_agg(q), '[]'::json) FROM (${select}) q;`);
    return JSON.parse(out.trim() || "[]") as T;
  }

  /** Ends the transaction (if any) and the session. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.proc.stdin.end("COMMIT;\n\\q\n");
    const r = await this.proc.done;
    if (r.exitCode !== 0 && !/no transaction in progress/.test(r.stderr)) {
      throw new PgToolError("psql", r.exitCode, `psql session on "${this.db}" ended with exit ${r.exitCode}:\n${errorSummary(this.s, r.stderr)}`);
    }
  }

  kill(): void {
    this.closed = true;
    this.proc.kill();
  }
}
