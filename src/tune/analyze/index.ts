/**
 * `tune analyze`: a live PostgreSQL database (read-only) -> a report with findings.
 *
 *   const report = await analyzeDatabase(client, { memoryBytes: 8 * GiB, cpus: 4 });
 *
 * collectSnapshot (I/O through a PgClient) -> buildReport (pure: settings comparison, findings).
 */
import type { PgClient } from "../../platform/pg.js";
import type { PgTuneInput } from "../postgres.js";
import { collectSnapshot } from "./collect.js";
import { analyzeFindings } from "./findings.js";
import { compareSettings, pgMajorOf, type RecommendationBasis, type SettingComparison } from "./settings.js";
import { thresholds as withDefaults, type AnalyzeThresholds } from "./thresholds.js";
import type { AnalyzeFinding, DbSnapshot } from "./types.js";

export type * from "./types.js";
export { DEFAULT_THRESHOLDS, type AnalyzeThresholds } from "./thresholds.js";
export { FINDING_IDS } from "./findings.js";
export type { SettingComparison, RecommendationBasis } from "./settings.js";

export interface AnalyzeOptions {
  /** RAM of the database server (bytes). Without it, settings are shown but not compared. */
  memoryBytes?: number;
  /** CPUs of the database server (parallel worker settings). */
  cpus?: number;
  /** @default "ssd" */
  storage?: NonNullable<PgTuneInput["storage"]>;
  thresholds?: Partial<AnalyzeThresholds>;
  /** Masks secrets in texts taken from the server (error messages of skipped probes). */
  redact?: (s: string) => string;
  progress?: (step: string) => void;
}

/** The report's JSON schema id; bumped on incompatible changes. */
export const REPORT_SCHEMA = "doodba-ops/tune-analyze@1";

export interface AnalyzeReport {
  schema: typeof REPORT_SCHEMA;
  snapshot: DbSnapshot;
  basis: RecommendationBasis | null;
  settings: SettingComparison[];
  findings: AnalyzeFinding[];
  thresholds: AnalyzeThresholds;
}

/** Pure: a snapshot and the user's statements about the server -> the report. */
export function buildReport(snapshot: DbSnapshot, opts: Omit<AnalyzeOptions, "redact" | "progress"> = {}): AnalyzeReport {
  const t = withDefaults(opts.thresholds);
  const basis: RecommendationBasis | null =
    opts.memoryBytes !== undefined
      ? {
          memoryBytes: opts.memoryBytes,
          cpus: opts.cpus,
          storage: opts.storage ?? "ssd",
          maxConnections: Number(snapshot.settings.max_connections?.setting ?? 100) || 100,
          version: pgMajorOf(snapshot.server.versionNum),
        }
      : null;
  const settings = compareSettings(snapshot.settings, basis);
  const findings = analyzeFindings({ snapshot, settings, basis, thresholds: t });
  return { schema: REPORT_SCHEMA, snapshot, basis, settings, findings, thresholds: t };
}

/** Reads the database through `client` (read-only) and builds the report. */
export async function analyzeDatabase(client: PgClient, opts: AnalyzeOptions = {}): Promise<AnalyzeReport> {
  const t = withDefaults(opts.thresholds);
  const snapshot = await collectSnapshot(client, { thresholds: t, redact: opts.redact, progress: opts.progress });
  return buildReport(snapshot, { ...opts, thresholds: t });
}
