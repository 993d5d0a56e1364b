/** SQL shared by dump, restore and verification, with the reasoning behind each choice. */

/**
 * Exact row count of every table whose data pg_dump writes: ordinary tables and partitions
 * (relkind 'r'; a partitioned parent holds no rows itself), not temporary ones, not the system
 * schemas, and not tables that belong to an extension (pg_dump leaves those to CREATE
 * EXTENSION). `FROM ONLY`: Odoo's ir_actions is the parent of ir_act_window & co. (table
 * inheritance); pg_dump writes each table's own rows, so that is what is counted. `query_to_xml` runs one `count(*)` per table inside this single statement, so the
 * whole set is read in one snapshot without PL/pgSQL (it works in a READ ONLY transaction).
 *
 * Cost: one scan per table (index-only when the visibility map allows, else sequential: at worst
 * reading the heap once more), run in parallel with pg_dump in the same exported snapshot.
 * Measured on an Odoo-shaped 3.4 GB database (mail_message grown to 2.5 M rows, 191 tables,
 * 1.45 GB of uncompressed custom dump): the counts alone take 0.36-0.55 s against 17.5-19.2 s for
 * pg_dump, i.e. about 2-3% when run apart and within the noise when run alongside (ratio of
 * dump+counts to dump alone 0.90 and 1.02 in two of three runs on a loaded 2-CPU machine; the
 * third, 2.2, was load from other processes). Estimates (pg_class.reltuples, n_live_tup) would
 * be free but cannot verify anything, so the counts are exact.
 */
export const ROW_COUNTS_SQL = `
SELECT n.nspname || '.' || c.relname AS t,
       (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM ONLY %I.%I', n.nspname, c.relname), false, true, '')))[1]::text::bigint AS n
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r'
   AND c.relpersistence <> 't'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\\_toast%'
   AND n.nspname NOT LIKE 'pg\\_temp%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 1`;

/** Server version: the display form ("15.18") and the number (150018). */
export const SERVER_VERSION_SQL = `SELECT split_part(current_setting('server_version'), ' ', 1) AS v, current_setting('server_version_num')::int AS num`;

/** Whether this database is an Odoo database (ir_module_module exists in the search path). */
export const IS_ODOO_SQL = `SELECT to_regclass('ir_module_module') IS NOT NULL AS odoo`;

/**
 * Installed modules and their versions: exactly what Odoo's dump_db_manifest reads
 * (`state = 'installed'`), sorted by name so that the output is deterministic.
 */
export const MODULES_SQL = `SELECT name, latest_version AS version FROM ir_module_module WHERE state = 'installed' ORDER BY name`;

/**
 * Odoo's "pg_version" in manifest.json: `"%d.%d" % divmod(server_version / 100, 100)` in Python,
 * i.e. true division then divmod and %d truncation. For 150018 that is "15.0" (as the real
 * fixture shows for 15.18), for 90624 "9.6".
 */
export function odooPgVersion(serverVersionNum: number): string {
  const x = serverVersionNum / 100;
  const major = Math.floor(x / 100);
  const minor = Math.trunc(x - major * 100);
  return `${major}.${minor}`;
}

export function rowCountsFromRows(rows: { t: string; n: number | string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.t] = Number(r.n);
  return out;
}
