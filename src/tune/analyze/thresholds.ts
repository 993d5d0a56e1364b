/**
 * Where `tune analyze` draws its lines. Every number has its reason beside it; the JSON report
 * echoes the thresholds it used. Tests may pass lower ones to make a finding fire on a small
 * database; users get these defaults.
 */
export interface AnalyzeThresholds {
  /**
   * Cache hit ratio of the database (pg_stat_database blks_hit / (hit + read)) below which it is
   * a warning. An OLTP workload like Odoo's should be served from shared_buffers ~99% of the time.
   * @default 0.99
   */
  cacheHitWarning: number;
  /** Below this, an error: most reads go to the OS cache or the disk. @default 0.9 */
  cacheHitError: number;
  /** Fewer block requests than this are too few to judge the ratio (fresh server). @default 10000 */
  cacheMinBlocks: number;

  /** Top statements shown from pg_stat_statements. @default 10 */
  topQueries: number;
  /**
   * A statement is a hotspot when it takes at least this share of the database's total
   * execution time ... @default 0.2
   */
  hotspotShare: number;
  /** ... and its mean time is at least this (ms): Odoo's own short queries add up without being slow. @default 100 */
  hotspotMeanMs: number;

  /** Sequential scans matter on tables at least this big (heap bytes): small tables are cheaper to scan than to index. @default 10 MiB */
  seqScanMinBytes: number;
  /** ... that returned at least this many rows in total since the statistics were reset ... @default 10,000,000 */
  seqScanMinTupRead: number;
  /** ... at least this many rows per scan on average (a scan with LIMIT reads few). @default 10,000 */
  seqScanMinAvgRows: number;

  /** Dead tuples worth a finding: at least this many ... @default 10,000 */
  deadMinTuples: number;
  /** ... and at least this share of live + dead (the common alert is 10%; 20% means autovacuum is not keeping up). @default 0.2 */
  deadMinRatio: number;

  /** Unused indexes smaller than this are noise (Odoo creates hundreds of small ones). @default 1 MiB */
  unusedIndexMinBytes: number;
  /** An unused index this big is a warning rather than info. @default 100 MiB */
  unusedIndexWarnBytes: number;

  /** An active query running longer than this (s). Odoo's limit_time_real default is 120 s. @default 300 */
  longQuerySeconds: number;
  /** A session idle in a transaction longer than this (s) holds locks and blocks vacuum. @default 60 */
  idleInTransactionSeconds: number;

  /** Connections in use (of max_connections minus reserved) for a warning. @default 0.8 */
  connectionsWarning: number;
  /** ... and for an error: the next Odoo worker start may get "too many clients". @default 0.95 */
  connectionsError: number;

  /** Attachments stored in the database (db_datas) worth a finding, in stored bytes. @default 1 MiB */
  dbAttachmentsMinBytes: number;
  /** bus_bus rows older than this (s) are garbage: the bus only needs the last minutes. @default 86400 */
  busOldSeconds: number;
  /** Old bus_bus rows worth a finding. @default 1000 */
  busOldMinRows: number;
  /** ir_logging rows worth a finding (log_db fills it; nothing cleans it). @default 100,000 */
  irLoggingMinRows: number;
  /** mail_message rows for an info finding on chatter growth. @default 5,000,000 */
  mailMessageMinRows: number;
  /** mail_tracking_value rows for an info finding. @default 5,000,000 */
  mailTrackingMinRows: number;
  /** An outgoing mail still queued after this (s): the mail queue cron or the SMTP server is not working. @default 3600 */
  mailStaleSeconds: number;
  /** An active scheduled action whose nextcall is older than this (s): no cron runner serves the database. @default 3600 */
  cronOverdueSeconds: number;
  /** Tables with fewer estimated rows than this are counted exactly; bigger ones use pg_class.reltuples. @default 5,000,000 */
  exactCountMaxRows: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_THRESHOLDS: Readonly<AnalyzeThresholds> = Object.freeze({
  cacheHitWarning: 0.99,
  cacheHitError: 0.9,
  cacheMinBlocks: 10_000,
  topQueries: 10,
  hotspotShare: 0.2,
  hotspotMeanMs: 100,
  seqScanMinBytes: 10 * MiB,
  seqScanMinTupRead: 10_000_000,
  seqScanMinAvgRows: 10_000,
  deadMinTuples: 10_000,
  deadMinRatio: 0.2,
  unusedIndexMinBytes: 1 * MiB,
  unusedIndexWarnBytes: 100 * MiB,
  longQuerySeconds: 300,
  idleInTransactionSeconds: 60,
  connectionsWarning: 0.8,
  connectionsError: 0.95,
  dbAttachmentsMinBytes: 1 * MiB,
  busOldSeconds: 86_400,
  busOldMinRows: 1000,
  irLoggingMinRows: 100_000,
  mailMessageMinRows: 5_000_000,
  mailTrackingMinRows: 5_000_000,
  mailStaleSeconds: 3600,
  cronOverdueSeconds: 3600,
  exactCountMaxRows: 5_000_000,
});

export function thresholds(overrides: Partial<AnalyzeThresholds> = {}): AnalyzeThresholds {
  return { ...DEFAULT_THRESHOLDS, ...overrides };
}
