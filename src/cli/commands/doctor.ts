/**
 * `doodba-ops doctor [dir] --env prod`: live troubleshooting of a deployment (Docker engine,
 * recent Odoo logs, HTTP directly and through the proxy, PostgreSQL, disk, and the `check`
 * findings that explain what is seen), and `doodba-ops doctor signatures` (the log signature
 * catalog). `doctor logs` lives in ./doctor-logs.ts. Wiring only: src/doctor decides, the
 * renderers in src/doctor/report print.
 */
import { UserError } from "../../errors.js";
import type { Platform } from "../../platform/index.js";
import { runDoctorLive, type LiveDeps } from "../../doctor/live.js";
import { renderDoctorReport, type DoctorFormat } from "../../doctor/report/index.js";
import type { DoctorReport, DoctorSeverity } from "../../doctor/types.js";
import { stableJson } from "../output/common.js";
import { parseSince } from "./doctor-logs.js";

export type DoctorFailOn = DoctorSeverity | "never";

export interface DoctorCliOptions {
  env: string;
  format: DoctorFormat;
  output?: string;
  /** `docker logs --since`: a duration (30m, 2h, 1d) or a UTC date/time. */
  since?: string;
  db?: string;
  url?: string;
  projectName?: string;
  skip?: string[];
  failOn?: DoctorFailOn;
  color?: boolean;
}

const RANK: Record<DoctorSeverity, number> = { info: 0, warning: 1, error: 2, critical: 3 };

/** 1 when a finding reaches `failOn` (default error: errors and critical findings), else 0. */
export function doctorExitCode(report: DoctorReport, failOn: DoctorFailOn = "error"): 0 | 1 {
  if (failOn === "never") return 0;
  return report.findings.some((f) => RANK[f.severity] >= RANK[failOn]) ? 1 : 0;
}

export async function doctorCommand(platform: Platform, dir: string, opts: DoctorCliOptions, deps: LiveDeps = {}): Promise<number> {
  const now = platform.now?.() ?? new Date();
  const since = opts.since ?? "1h";
  const sinceMs = parseSince(since, now);
  if (sinceMs > now.getTime()) throw new UserError(`--since ${since} is in the future`);
  const progress = process.stderr.isTTY ? (line: string): void => platform.stderr(`doodba-ops doctor: ${line}\n`) : undefined;
  const report = await runDoctorLive(
    platform,
    { dir, env: opts.env, since, sinceMs, db: opts.db, url: opts.url, projectName: opts.projectName, skip: opts.skip },
    { progress, ...deps },
  );
  const out = renderDoctorReport(report, opts.format, {
    color: (opts.color ?? true) && platform.isTTY && !process.env.NO_COLOR && !opts.output,
    displayDir: dir,
  });
  if (opts.output) {
    await platform.fs.writeText(opts.output, out);
    platform.stderr(`doodba-ops: report written to ${opts.output}\n`);
  } else platform.stdout(out);
  return doctorExitCode(report, opts.failOn);
}

export interface DoctorSignaturesOptions {
  format: "human" | "markdown" | "json";
}

/** `doodba-ops doctor signatures`: the catalog as a table, as docs/doctor-signatures.md, or as JSON. */
export async function doctorSignaturesCommand(platform: Platform, opts: DoctorSignaturesOptions): Promise<number> {
  const { SIGNATURES, renderSignaturesMarkdown, renderSignaturesTable } = await import("../../doctor/signatures/index.js");
  if (opts.format === "markdown") platform.stdout(renderSignaturesMarkdown(SIGNATURES));
  else if (opts.format === "json") {
    platform.stdout(
      stableJson(
        [...SIGNATURES]
          .sort((a, b) => a.id.localeCompare(b.id))
          .map((s) => ({
            ...s,
            patterns: s.patterns.map((p) => (p.flags ? `/${p.source}/${p.flags}` : p.source)),
            exclude: s.exclude?.map((p) => (p.flags ? `/${p.source}/${p.flags}` : p.source)),
          })),
      ),
    );
  } else platform.stdout(renderSignaturesTable(SIGNATURES));
  return 0;
}
