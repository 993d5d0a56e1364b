/**
 * `backup verify --restore-test`: restore a dump into a scratch database, count every table's
 * rows exactly as the backup did, compare with the counts recorded at backup time, drop the
 * scratch database (always, even on failure).
 *
 * Also here: row counts of a plain SQL dump without restoring it (count the lines of every
 * `COPY ... FROM stdin;` block), for dumps imported from Odoo zips, which come without counts.
 */
import { Writable } from "node:stream";
import type { ProgressSink } from "../types.js";
import type { PgConn } from "./conn.js";
import type { BackupPlatform } from "./files.js";
import { pgSession, query } from "./pg.js";
import { dropDatabase, restoreIn, tempName, type RestoreSource } from "./restore.js";
import { ROW_COUNTS_SQL, rowCountsFromRows } from "./sql.js";

export interface RowCountDiff {
  table: string;
  expected?: number;
  actual?: number;
}

export interface RowCountComparison {
  ok: boolean;
  tables: number;
  /** Tables whose counts differ, or that exist on one side only. */
  differences: RowCountDiff[];
}

/** Pure comparison of two {schema.table: rows} maps. */
export function compareRowCounts(expected: Record<string, number>, actual: Record<string, number>): RowCountComparison {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  const differences: RowCountDiff[] = [];
  for (const t of names) {
    const e = expected[t];
    const a = actual[t];
    if (e !== a) differences.push({ table: t, ...(e !== undefined ? { expected: e } : {}), ...(a !== undefined ? { actual: a } : {}) });
  }
  return { ok: differences.length === 0, tables: names.length, differences };
}

export interface RestoreTestOptions {
  /** Row counts recorded at backup time (DatabaseDump.rowCounts). */
  expected: Record<string, number>;
  /** Name prefix of the scratch database. @default "doodba_ops_verify" */
  scratchPrefix?: string;
  jobs?: number;
  unaccent?: boolean;
  maintenanceDb?: string;
  progress?: ProgressSink;
}

export interface RestoreTestResult extends RowCountComparison {
  scratchDb: string;
  /** Counts found in the restored scratch database. */
  actual: Record<string, number>;
  warnings: string[];
  seconds: number;
}

export async function restoreTest(platform: BackupPlatform, conn: PgConn, source: RestoreSource, opts: RestoreTestOptions): Promise<RestoreTestResult> {
  const s = pgSession(platform, conn);
  const started = Date.now();
  const maint = opts.maintenanceDb ?? "postgres";
  const scratch = tempName(s, opts.scratchPrefix ?? "doodba_ops_verify", "scratch");
  try {
    const r = await restoreIn(s, source, { db: scratch, jobs: opts.jobs, unaccent: opts.unaccent, maintenanceDb: maint, progress: opts.progress });
    opts.progress?.({ phase: "count" });
    const actual = rowCountsFromRows(await query<{ t: string; n: number }>(s, scratch, ROW_COUNTS_SQL));
    return { ...compareRowCounts(opts.expected, actual), actual, scratchDb: scratch, warnings: r.warnings, seconds: (Date.now() - started) / 1000 };
  } finally {
    await dropDatabase(s, scratch, maint).catch(() => undefined);
  }
}

/** Exact row counts of a live database (same query as the backup). */
export async function countRows(platform: BackupPlatform, conn: PgConn, db: string): Promise<Record<string, number>> {
  return rowCountsFromRows(await query<{ t: string; n: number }>(pgSession(platform, conn), db, ROW_COUNTS_SQL));
}

/**
 * A Writable that counts the rows of each `COPY schema.table (...) FROM stdin;` block of a plain
 * dump as it streams by (text COPY format: one line per row, newlines inside values are escaped).
 * `result()` gives {schema.table: rows} once the stream finished.
 */
export class PlainDumpRowCounter extends Writable {
  private readonly counts: Record<string, number> = {};
  private current: string | undefined;
  private partial = "";

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    const text = this.partial + chunk.toString("latin1");
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) break;
      this.line(text.slice(start, nl));
      start = nl + 1;
    }
    this.partial = text.slice(start);
    // a single line longer than 64 MiB is data of a COPY block: keep counting without keeping it
    if (this.partial.length > 64 << 20 && this.current) this.partial = this.partial.slice(-2);
    cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.partial) this.line(this.partial);
    cb();
  }

  private line(l: string): void {
    if (this.current) {
      if (l === "\\.") this.current = undefined;
      else this.counts[this.current] = (this.counts[this.current] ?? 0) + 1;
      return;
    }
    const m = /^COPY ((?:"(?:[^"]|"")+"|[^ ."]+)\.(?:"(?:[^"]|"")+"|[^ ("]+)) (?:\(.*\) )?FROM stdin;$/.exec(l);
    if (m) {
      const name = (m[1] as string)
        .match(/"(?:[^"]|"")+"|[^.]+/g)
        ?.map((p) => (p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p))
        .join(".");
      if (name) {
        this.current = name;
        this.counts[name] ??= 0;
      }
    }
  }

  result(): Record<string, number> {
    return { ...this.counts };
  }
}
