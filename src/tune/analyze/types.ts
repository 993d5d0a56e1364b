/**
 * Types of `tune analyze`: what is read from a live database ({@link DbSnapshot}, plain data
 * collected by ./collect.ts) and what is concluded from it ({@link AnalyzeFinding}, decided by
 * the pure ./findings.ts). Keeping the two apart lets unit tests feed recorded snapshots.
 */

export type AnalyzeSeverity = "error" | "warning" | "info";

export type AnalyzeCategory = "settings" | "cache" | "queries" | "tables" | "indexes" | "sessions" | "connections" | "odoo";

export type Evidence = Record<string, number | string | boolean | null>;

export interface AnalyzeFinding {
  /** Stable kebab-case id (see FINDING_IDS in ./findings.ts). */
  id: string;
  severity: AnalyzeSeverity;
  category: AnalyzeCategory;
  /** What it is about: a table, an index, a setting, a session (`pid 1234`). */
  subject?: string;
  /** One line with the key numbers. */
  message: string;
  /** The numbers the finding rests on, as read from the server. */
  evidence: Evidence;
  /** A concrete remedy: the SQL, the setting, or the Odoo action. May span lines. */
  remedy: string;
}

// ---------------------------------------------------------------------------------------------
// Snapshot

export interface PgSettingRow {
  name: string;
  /** pg_settings.setting (in `unit`). */
  setting: string;
  unit: string | null;
  /** current_setting(name): how PostgreSQL prints it, e.g. "128MB". */
  display: string;
  /** default, configuration file, command line, ... */
  source: string;
  /** postmaster (restart needed), sighup (reload), user, ... */
  context: string;
}

export interface ServerInfo {
  /** e.g. "15.18 (Debian 15.18-0+deb12u1)" */
  version: string;
  /** server_version_num, e.g. 150018 */
  versionNum: number;
  database: string;
  databaseBytes: number;
  /** Role the analysis ran as. */
  user: string;
  superuser: boolean;
  /** Member of pg_read_all_stats (or superuser): sees other roles' sessions and queries. */
  readAllStats: boolean;
  /** pg_postmaster_start_time(), server text. */
  startedAt: string;
  /** pg_stat_database.stats_reset of this database (null: never reset since initdb/start). */
  statsReset: string | null;
  /** Seconds over which the cumulative statistics were gathered. */
  statsAgeSeconds: number;
}

export interface CacheStats {
  /** This database. */
  blksHit: number;
  blksRead: number;
  /** Whole cluster. */
  clusterBlksHit: number;
  clusterBlksRead: number;
  xactCommit: number;
  xactRollback: number;
  deadlocks: number;
  tempFiles: number;
  tempBytes: number;
}

export interface StatementRow {
  queryid: string | null;
  /** Normalised text (constants are $n), whitespace collapsed, truncated. */
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  sharedBlksHit: number;
  sharedBlksRead: number;
  /** Share of the total execution time of all statements of this database (0..1). */
  share: number;
}

export interface StatementsInfo {
  /** shared_preload_libraries lists pg_stat_statements. */
  preloaded: boolean;
  /** CREATE EXTENSION pg_stat_statements was run in this database. */
  installed: boolean;
  /** The extension's files are present on the server (pg_available_extensions). */
  availableOnServer: boolean;
  /** Top statements by total execution time; null when the view could not be read. */
  top: StatementRow[] | null;
  /** Sum of total execution time of every statement of this database (ms). */
  totalMs: number;
  /** Why `top` is null, when it is. */
  error?: string;
}

export interface TableStat {
  schema: string;
  name: string;
  /** pg_relation_size (heap only). */
  bytes: number;
  /** pg_total_relation_size (heap + indexes + TOAST). */
  totalBytes: number;
  seqScan: number;
  seqTupRead: number;
  idxScan: number | null;
  liveTup: number;
  deadTup: number;
  lastVacuum: string | null;
  lastAutovacuum: string | null;
  /** reloptions autovacuum_enabled=false. */
  autovacuumDisabled: boolean;
}

export interface IndexStat {
  schema: string;
  table: string;
  name: string;
  bytes: number;
  idxScan: number;
  unique: boolean;
  primary: boolean;
  /** Backs a constraint (unique, primary key, exclusion): never droppable on its own. */
  constraint: boolean;
  /** CREATE INDEX statement (pg_get_indexdef). */
  definition: string;
}

export interface SessionRow {
  pid: number;
  user: string | null;
  database: string | null;
  application: string | null;
  client: string | null;
  state: string | null;
  /** Seconds since the current query started (active) or since it ended (idle). */
  querySeconds: number | null;
  /** Seconds since the state last changed. */
  stateSeconds: number | null;
  /** Seconds since the transaction started. */
  xactSeconds: number | null;
  waitEvent: string | null;
  /** Query text (truncated, literals that look like passwords masked); null when not visible. */
  query: string | null;
}

export interface ConnectionStats {
  maxConnections: number;
  /** superuser_reserved_connections (+ reserved_connections from PostgreSQL 16). */
  reserved: number;
  /** Client backends connected to any database, this analysis included. */
  used: number;
  byState: Record<string, number>;
  /** Top groups by count: database / user / application. */
  groups: { database: string | null; user: string | null; application: string | null; count: number }[];
}

export interface OdooTable {
  name: string;
  exists: boolean;
  rows: number | null;
  /** false: pg_class.reltuples estimate (the exact count timed out or was too big to count). */
  rowsExact: boolean;
  totalBytes: number | null;
}

export interface OdooInfo {
  /** ir_module_module base latest_version, e.g. "17.0.1.3". */
  baseVersion: string | null;
  tables: OdooTable[];
  attachments: {
    /** Rows with db_datas set. */
    dbCount: number;
    /** Stored size of db_datas (pg_column_size, after compression). */
    dbBytes: number;
    /** Rows with a filestore path (store_fname). */
    fileCount: number;
    /** ir_config_parameter ir_attachment.location (null: not set = "file"). */
    location: string | null;
  } | null;
  bus: { total: number; old: number; oldest: string | null } | null;
  mailQueue: {
    exception: number;
    outgoing: number;
    /** Outgoing mails scheduled (or created) more than the threshold ago. */
    outgoingStale: number;
    /** Most frequent failure reasons (first line, truncated) with counts. */
    failures: { reason: string; count: number }[];
  } | null;
  crons: {
    active: number;
    /** Active crons whose nextcall is older than the threshold. */
    overdue: { name: string; nextcall: string; overdueSeconds: number }[];
    /** Crons with failure_count > 0 (Odoo 18+: the column exists), null when the column does not exist. */
    failing: { name: string; failures: number; firstFailure: string | null }[] | null;
    autovacuum: { active: boolean; lastcall: string | null; nextcall: string | null } | null;
  } | null;
  /** A table holding HTTP sessions, when some module added one (Odoo keeps sessions on the filestore). */
  sessionTables: { name: string; rows: number | null; totalBytes: number }[];
}

export interface DbSnapshot {
  server: ServerInfo;
  settings: Record<string, PgSettingRow>;
  cache: CacheStats;
  statements: StatementsInfo;
  tables: TableStat[];
  unusedIndexes: IndexStat[];
  largestTables: { schema: string; name: string; totalBytes: number }[];
  sessions: SessionRow[];
  connections: ConnectionStats;
  /** null: not an Odoo database (no ir_module_module). */
  odoo: OdooInfo | null;
  /** Probes that failed (permission, timeout), redacted. The analysis goes on without them. */
  skipped: { probe: string; reason: string }[];
}
