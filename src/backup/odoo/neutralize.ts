/**
 * Neutralisation of a restored database for staging/testing: the effect of Odoo 16+'s
 * `odoo-bin neutralize` (odoo/modules/neutralize.py), which runs `data/neutralize.sql` of every
 * module in state installed / to upgrade / to remove. No outgoing or incoming mail, no scheduled
 * actions but the autovacuum, no webhooks, no live payments or carriers, no push to real devices,
 * `database.is_neutralized` set.
 *
 * Two sources for the statements:
 *  - built in (default): {@link NEUTRALIZE_CATALOG}, per module, each statement run only if the
 *    tables/columns it touches exist in this schema (the files differ between 16, 17 and 18);
 *  - `addonsPaths`: the real files of the project's Odoo source tree (exactly what `odoo-bin
 *    neutralize` would run for that version). A Doodba project has them under odoo/custom/src/.
 *
 * Everything runs in one transaction: all of it or nothing.
 */
import { UserError } from "../../errors.js";
import { checkDbName, type PgConn } from "./conn.js";
import type { BackupPlatform } from "./files.js";
import { NEUTRALIZE_CATALOG, type NeutralizeStatement } from "./neutralize-catalog.js";
import { pgSession, psql, query, sqlString, type PgSession } from "./pg.js";

export interface NeutralizeOptions {
  /**
   * Odoo addons directories (or Odoo source roots, expanded to `<root>/addons` and
   * `<root>/odoo/addons`): run the `<module>/data/neutralize.sql` files found there, first path
   * wins, like Odoo's addons_path. Default: the built-in catalog.
   */
  addonsPaths?: string[];
  /** Plan only: report what would run. @default false */
  dryRun?: boolean;
}

export interface NeutralizeAction {
  module: string;
  /** What the statement prevents, or the file that was run. */
  what: string;
  /** Rows changed (UPDATE/INSERT/DELETE); null for TRUNCATE or a whole file; undefined in a dry run. */
  rows?: number | null;
}

export interface NeutralizeReport {
  db: string;
  source: "builtin" | "odoo-files";
  /** Modules in state installed / to upgrade / to remove. */
  modules: string[];
  applied: NeutralizeAction[];
  /** Catalog statements of installed modules whose tables/columns are absent here. */
  notApplicable: NeutralizeAction[];
  dryRun: boolean;
}

/** The modules Odoo's neutralize considers. */
export const NEUTRALIZE_MODULES_SQL = `SELECT name FROM ir_module_module WHERE state IN ('installed', 'to upgrade', 'to remove') ORDER BY name`;

export async function neutralizeDatabase(platform: BackupPlatform, conn: PgConn, db: string, opts: NeutralizeOptions = {}): Promise<NeutralizeReport> {
  checkDbName(db);
  return await neutralizeIn(pgSession(platform, conn), db, opts);
}

export async function neutralizeIn(s: PgSession, db: string, opts: NeutralizeOptions = {}): Promise<NeutralizeReport> {
  const [isOdoo] = await query<{ ok: boolean }>(s, db, `SELECT to_regclass('ir_module_module') IS NOT NULL AS ok`);
  if (!isOdoo?.ok) throw new UserError(`database "${db}" is not an Odoo database (no ir_module_module table)`, { hint: "Neutralisation applies to Odoo databases only." });
  const modules = (await query<{ name: string }>(s, db, NEUTRALIZE_MODULES_SQL)).map((r) => r.name);
  const blocks = opts.addonsPaths ? planFromFiles(s, modules, opts.addonsPaths) : await planFromCatalog(s, db, modules);
  const report: NeutralizeReport = { db, source: opts.addonsPaths ? "odoo-files" : "builtin", modules, applied: [], notApplicable: blocks.notApplicable, dryRun: Boolean(opts.dryRun) };
  if (opts.dryRun || blocks.run.length === 0) {
    report.applied = blocks.run.map((b) => ({ module: b.module, what: b.what }));
    return report;
  }
  // each block on its own lines, then a lone ";" (harmless after a ";", needed after a trailing comment)
  const script = blocks.run.map((b, i) => `\\echo @@${i}\n${b.sql.trim()}\n;\n`).join("");
  const out = await psql(s, db, script, { singleTransaction: true, quiet: false });
  const tags = parseTags(out);
  report.applied = blocks.run.map((b, i) => ({ module: b.module, what: b.what, rows: b.whole ? null : rowsOf(tags.get(i)?.at(-1)) }));
  return report;
}

interface Block {
  module: string;
  what: string;
  sql: string;
  /** A whole file (several statements): rows are not attributed. */
  whole?: boolean;
}

/** Pure: which catalog statements apply, given the installed modules and the schema's columns. */
export function selectStatements(
  catalog: readonly NeutralizeStatement[],
  modules: readonly string[],
  columns: ReadonlyMap<string, ReadonlySet<string>>,
): { run: Block[]; notApplicable: NeutralizeAction[] } {
  const installed = new Set(modules);
  const run: Block[] = [];
  const notApplicable: NeutralizeAction[] = [];
  const has = (table: string, column?: string) => {
    const cols = columns.get(table);
    return cols !== undefined && (column === undefined || cols.has(column));
  };
  for (const st of catalog) {
    if (!installed.has(st.module)) continue;
    if (st.unless && has(st.unless.table, st.unless.column)) continue;
    const ok = st.requires.every((r) => has(r.table) && (r.columns ?? []).every((c) => has(r.table, c)));
    if (ok) run.push({ module: st.module, what: st.why, sql: st.sql });
    else if (!st.variant) notApplicable.push({ module: st.module, what: st.why });
  }
  return { run, notApplicable };
}

async function planFromCatalog(s: PgSession, db: string, modules: string[]): Promise<{ run: Block[]; notApplicable: NeutralizeAction[] }> {
  const tables = [...new Set(NEUTRALIZE_CATALOG.flatMap((st) => [...st.requires.map((r) => r.table), ...(st.unless ? [st.unless.table] : [])]))].sort();
  const rows = await query<{ t: string; c: string }>(
    s,
    db,
    `SELECT c.relname AS t, a.attname AS c
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.relkind IN ('r', 'p') AND c.relname IN (${tables.map(sqlString).join(", ")})`,
  );
  const columns = new Map<string, Set<string>>();
  for (const r of rows) {
    const set = columns.get(r.t) ?? new Set<string>();
    set.add(r.c);
    columns.set(r.t, set);
  }
  return selectStatements(NEUTRALIZE_CATALOG, modules, columns);
}

/** Expands Odoo source roots into their two addons directories; keeps plain addons dirs. */
export function expandAddonsPaths(paths: readonly string[], exists: (p: string) => boolean): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const root = p.replace(/\/+$/, "");
    if (exists(`${root}/odoo/addons/base/__manifest__.py`)) out.push(`${root}/odoo/addons`, `${root}/addons`);
    else out.push(root);
  }
  return out;
}

function planFromFiles(s: PgSession, modules: string[], addonsPaths: string[]): { run: Block[]; notApplicable: NeutralizeAction[] } {
  const fs = s.platform.fs;
  const paths = expandAddonsPaths(addonsPaths, (p) => fs.exists(p));
  if (!paths.some((p) => fs.exists(`${p}/base/data/neutralize.sql`))) {
    throw new UserError(`no Odoo "base" module with data/neutralize.sql under ${addonsPaths.join(", ")}`, {
      hint: "Give the Odoo source root (the folder holding odoo-bin) or its odoo/addons folder, for Odoo 16 or later.",
    });
  }
  const run: Block[] = [];
  for (const m of modules) {
    const file = paths.map((p) => `${p}/${m}/data/neutralize.sql`).find((f) => fs.exists(f));
    if (!file) continue;
    const sql = fs.readText(file).trim();
    if (sql) run.push({ module: m, what: file, sql, whole: true });
  }
  return { run, notApplicable: [] };
}

/** Command tags printed after each `\echo @@i` marker. */
export function parseTags(out: string): Map<number, string[]> {
  const tags = new Map<number, string[]>();
  let current = -1;
  for (const line of out.split("\n")) {
    const m = /^@@(\d+)$/.exec(line);
    if (m) {
      current = Number(m[1]);
      tags.set(current, []);
    } else if (current >= 0 && /^(UPDATE|INSERT|DELETE|TRUNCATE)\b/.test(line)) tags.get(current)?.push(line);
  }
  return tags;
}

function rowsOf(tag: string | undefined): number | null {
  const m = tag ? /^(?:UPDATE|DELETE|INSERT \d+) (\d+)$/.exec(tag) : null;
  return m ? Number(m[1]) : null;
}
