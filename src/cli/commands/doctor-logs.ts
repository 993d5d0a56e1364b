/**
 * `doodba-ops doctor logs FILE... | -`: scans Odoo logs (plain or gzip, any size, stdin with "-")
 * and reports what the signature catalog recognises, ranked, with evidence and the fix.
 * Wiring only: the scanner (src/doctor/scan) and findings (src/doctor/findings.ts) decide.
 * Exit code: 1 when a finding is an error or critical, else 0; 2 on bad input.
 */
import { createReadStream } from "node:fs";
import { UserError } from "../../errors.js";
import { findingsFromScan } from "../../doctor/findings.js";
import { renderDoctorReport } from "../../doctor/report/index.js";
import { scanSources, type LogSource } from "../../doctor/scan/index.js";
import type { DoctorReport, ScanResult } from "../../doctor/types.js";
import type { Platform } from "../../platform/index.js";
import { VERSION } from "../../version.js";

export interface DoctorLogsOptions {
  format: "human" | "json" | "markdown" | "html";
  /** Only records at or after this time: "2h", "30m", "1d", "2026-11-27", "2026-11-27 02:00", ISO 8601. */
  since?: string;
  output?: string;
}

/** Reader buffer: fixed, so memory does not depend on the file size. */
const CHUNK = 1 << 18;

const RELATIVE = /^(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)$/i;
const UNIT_MS: Record<string, number> = { s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses `--since` into epoch ms: a duration back from `now` ("2h") or a date/time (UTC unless it says otherwise). */
export function parseSince(value: string, now: Date): number {
  const v = value.trim();
  const rel = RELATIVE.exec(v);
  if (rel) return now.getTime() - Number(rel[1]) * (UNIT_MS[(rel[2] ?? "").toLowerCase()] ?? 0);
  const m = /^(\d{4}-\d\d-\d\d)(?:[ T](\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?))?(Z|[+-]\d\d:?\d\d)?$/.exec(v);
  if (m) {
    const time = (m[2] ?? "00:00:00").replace(",", ".");
    const t = Date.parse(`${m[1]}T${time.length === 5 ? `${time}:00` : time}${m[3] ?? "Z"}`);
    if (!Number.isNaN(t)) return t;
  }
  throw new UserError(`--since "${value}" is neither a duration nor a date`, {
    hint: 'Use a duration back from now (30m, 2h, 1d) or a UTC date/time as in the log ("2026-11-27 02:00", 2026-11-27T02:00:00Z).',
  });
}

function openSources(platform: Platform, files: readonly string[]): LogSource[] {
  if (files.length === 0) {
    throw new UserError("no log file given", { hint: "Name one or more log files (plain or .gz), or - to read standard input.", next: "docker compose logs --no-color odoo | doodba-ops doctor logs -" });
  }
  if (files.filter((f) => f === "-").length > 1) throw new UserError("standard input (-) can be read only once");
  return files.map((f) => {
    if (f === "-") return { name: "-", stream: process.stdin };
    if (!platform.fs.exists(f)) {
      throw new UserError(`${f}: no such file`, { hint: "Give the path of an Odoo log (for a container, save it first).", next: `docker compose logs --no-color --no-log-prefix odoo > odoo.log && doodba-ops doctor logs odoo.log` });
    }
    if (platform.fs.isDirectory(f)) throw new UserError(`${f} is a directory`, { hint: "Give the log files inside it, e.g. `doodba-ops doctor logs /var/log/odoo/*.log*`." });
    return { name: f, stream: createReadStream(f, { highWaterMark: CHUNK }) };
  });
}

export async function doctorLogsCommand(platform: Platform, files: string[], opts: DoctorLogsOptions): Promise<number> {
  const since = opts.since !== undefined ? parseSince(opts.since, platform.now?.() ?? new Date()) : undefined;
  const sources = openSources(platform, files);
  const started = Date.now();
  let scan: ScanResult;
  try {
    scan = await scanSources(sources, since !== undefined ? { since } : {});
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "Z_DATA_ERROR" || err.code === "Z_BUF_ERROR") throw new UserError(`a .gz input is corrupt or truncated: ${err.message}`, { hint: "Check it with `gzip -t <file>`." });
    if (err.code === "EACCES" || err.code === "EISDIR" || err.code === "ENOENT") throw new UserError(`cannot read ${err.path ?? "a log file"}: ${err.code}`, { hint: "Check the path and its permissions." });
    throw e;
  }
  const secs = (Date.now() - started) / 1000;
  platform.stderr(`doodba-ops: scanned ${files.length === 1 ? "1 input" : `${files.length} inputs`}, ${scan.lines.toLocaleString("en-US")} lines (${(scan.bytes / 1e6).toFixed(1)} MB) in ${secs.toFixed(2)} s${scan.skippedBeforeSince ? `; ${scan.skippedBeforeSince.toLocaleString("en-US")} records before --since skipped` : ""}\n`);

  const findings = findingsFromScan(scan);
  const report: DoctorReport = { tool: { name: "doodba-ops", version: VERSION }, target: { logs: [...files] }, findings, probes: [], scan };
  const out = render(platform, report, opts);
  if (opts.output) {
    await platform.fs.writeText(opts.output, out);
    platform.stderr(`doodba-ops: report written to ${opts.output}\n`);
  } else platform.stdout(out);
  return findings.some((f) => f.severity === "critical" || f.severity === "error") ? 1 : 0;
}

function render(platform: Platform, report: DoctorReport, opts: DoctorLogsOptions): string {
  const out = renderDoctorReport(report, opts.format, { color: platform.isTTY && !process.env.NO_COLOR && !opts.output });
  return out.endsWith("\n") ? out : `${out}\n`;
}
