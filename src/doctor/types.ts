/**
 * `doodba-ops doctor` contract (issue 6): signatures recognised in logs, the scanner's
 * aggregated result, live probes, and the ranked report both feed.
 */

export type DoctorSeverity = "critical" | "error" | "warning" | "info";

/** Area a signature belongs to (optional extension of the contract, used for the docs and grouping). */
export type SignatureCategory =
  | "server"
  | "workers"
  | "cron"
  | "postgresql"
  | "database"
  | "modules"
  | "proxy"
  | "reports"
  | "mail"
  | "filesystem"
  | "security";

/** One known failure pattern (Odoo, PostgreSQL or proxy). One file per signature in src/doctor/signatures/. */
export interface Signature {
  /** Stable kebab-case id, e.g. "worker-timeout". */
  id: string;
  /** Regexes tested against a log record's message (and traceback text for multi-line records). */
  patterns: RegExp[];
  /**
   * Only records of these levels, when set (cheap pre-filters). When neither `levels` nor `loggers`
   * is set, a record's first line is tested only at WARNING and above (INFO chatter costs nothing);
   * traceback lines are always tested.
   */
  levels?: readonly string[];
  severity: DoctorSeverity;
  title: string;
  /** What the line means. */
  meaning: string;
  /** The likely cause. */
  cause: string;
  /** The fix, with the exact setting or command. */
  fix: string;
  /** Odoo versions it applies to, e.g. ">=16" (undefined: all). */
  odoo?: string;
  /** Where the message comes from (source file of Odoo/PostgreSQL), for the docs. */
  source?: string;
  /**
   * Optional extension: logger-name prefixes (e.g. "odoo.service.server", "postgresql", "nginx") whose
   * records' first lines are tested; undefined: any logger. Lines of a traceback are tested whatever
   * the record's logger and level (an uncaught exception lands under whatever record came before it).
   * This keeps the scanner fast: most records (werkzeug, module loading) have no candidate signature.
   */
  loggers?: readonly string[];
  /** Optional extension: the area, for the docs. */
  category?: SignatureCategory;
  /** Optional extension: a record matching any of these is not counted for this signature. */
  exclude?: RegExp[];
  /**
   * Optional extension: a catch-all (e.g. "Exception during request handling"), counted only for
   * records that no specific signature recognised.
   */
  fallback?: boolean;
  /** Optional extension: a real line it matches (from the fixtures or the Odoo source), for the docs and the tests. */
  example?: string;
}

/** A parsed Odoo log record (one line, or a line plus its traceback). */
export interface LogRecord {
  /** Epoch ms, undefined when the line has no Odoo timestamp. */
  time?: number;
  pid?: number;
  level?: string;
  /** Database name, undefined for "?". */
  db?: string;
  logger?: string;
  message: string;
  /** Continuation lines (traceback). */
  extra?: string[];
  /** 1-based line number in its file and the file name. */
  line: number;
  file: string;
}

export interface SignatureHit {
  signatureId: string;
  count: number;
  firstSeen?: number;
  lastSeen?: number;
  databases: string[];
  /** A few raw sample lines (bounded). */
  samples: { file: string; line: number; text: string }[];
}

export interface RequestStats {
  total: number;
  byStatus: Record<string, number>;
  /** Slowest requests with Odoo's werkzeug columns: query count, SQL time, other time. */
  slowest: { path: string; status: number; queries?: number; sqlSeconds?: number; otherSeconds?: number; totalSeconds?: number; time?: number }[];
  /** Errors (status >= 500) per minute: minute epoch ms -> count. */
  errorsPerMinute: Record<string, number>;
  /** Optional extension: paths (without query string) that answered >= 500, most frequent first (bounded). */
  errorPaths?: { path: string; count: number }[];
}

export interface ScanResult {
  files: string[];
  lines: number;
  bytes: number;
  records: number;
  hits: SignatureHit[];
  /** Failed logins per source IP (from "Login failed for db:X login:Y from IP"). */
  failedLogins: { ip: string; count: number; logins: string[]; databases: string[] }[];
  requests: RequestStats;
  /** Records of level ERROR/CRITICAL per minute, for the timeline. */
  errorTimeline: Record<string, number>;
  firstTime?: number;
  lastTime?: number;
  /**
   * Optional extension: ERROR/CRITICAL records that no signature recognised, grouped by their
   * exception line (or message with numbers blanked), most frequent first (bounded).
   */
  unrecognised?: { key: string; level: string; count: number; firstSeen?: number; lastSeen?: number; databases: string[]; sample: { file: string; line: number; text: string } }[];
  /** Optional extension: records skipped because they are older than `--since` (epoch ms). */
  skippedBeforeSince?: number;
  since?: number;
  /** Optional extension: lines longer than the scanner's line limit, cut (the rest of the line is ignored). */
  truncatedLines?: number;
}

/** A live probe outcome. Probes that cannot run are "skipped" with the reason, never "ok". */
export interface ProbeResult {
  id: string;
  title: string;
  status: "ok" | "problem" | "skipped";
  /** Why skipped, or what was measured. */
  detail: string;
  evidence?: Record<string, unknown>;
}

/** One ranked finding of the doctor report. */
export interface DoctorFinding {
  id: string;
  severity: DoctorSeverity;
  title: string;
  /** What was observed (counts, times, sample lines, probe values). */
  evidence: string[];
  cause: string;
  fix: string;
  /** Where it came from. */
  origin: "logs" | "probe" | "check";
  count?: number;
  /** Optional extension: what the observation means (for log signatures: the signature's `meaning`). */
  meaning?: string;
}

export interface DoctorReport {
  tool: { name: string; version: string };
  target: {
    logs?: string[];
    project?: string;
    env?: string;
    /** Live mode (optional, added by the live part): the Docker Compose project name the containers were matched on. */
    composeProject?: string;
    /** Live mode: the PostgreSQL connection string probed, always masked (`postgres://user:***@host:5432/db`). */
    db?: string;
    /** Live mode: the base URL the proxy probes went through (e.g. https://erp.example.com). */
    url?: string;
    /** Live mode: how far back the container logs were read (`docker logs --since`). */
    since?: string;
  };
  /** Live mode: when the probes ran (ISO 8601, UTC). Undefined for log scans, so their reports stay deterministic. */
  at?: string;
  findings: DoctorFinding[];
  probes: ProbeResult[];
  scan?: ScanResult;
}
