/**
 * The terminal report of `doodba-ops check`:
 *
 * ```
 * common.yaml:30:12  warning  image-unpinned   service db: image postgres has no tag
 *   fix: Pin a version: `image: postgres:<version>`
 *   envs: test, prod
 *
 * prod.yaml:12:7     error    list-db-enabled  LIST_DB is "true" on service odoo
 *   fix: Set LIST_DB: "false" in prod.yaml
 *
 * 1 error, 1 warning, 0 info in 3 environments (devel, test, prod)
 * ```
 */
import { formatPos } from "../../errors.js";
import type { CheckReport } from "../../check/index.js";
import type { Finding, Severity } from "../../check/types.js";
import { findingEnvs, plural, style } from "./common.js";
import type { Style } from "./common.js";

export interface HumanOptions {
  /** ANSI colours. @default false */
  color?: boolean;
  /** Also list suppressed findings. @default false */
  showSuppressed?: boolean;
  /** How to name the project directory (e.g. as the user typed it). @default report.project.dir */
  displayDir?: string;
}

export function renderHuman(report: CheckReport, opts: HumanOptions = {}): string {
  const s = style(opts.color ?? false);
  const lines: string[] = [];
  const allEnvs = report.project.envs;

  const rows = report.findings.map((f) => ({ f, loc: location(f) }));
  const suppressedRows = opts.showSuppressed ? report.suppressed.map((x) => ({ f: x.finding, loc: location(x.finding) })) : [];
  const locWidth = Math.max(0, ...[...rows, ...suppressedRows].map((r) => r.loc.length));
  const idWidth = Math.max(0, ...[...rows, ...suppressedRows].map((r) => r.f.ruleId.length));

  const sev = (v: Severity): string => {
    const padded = v.padEnd(7);
    return v === "error" ? s.red(padded) : v === "warning" ? s.yellow(padded) : s.cyan(padded);
  };

  let group: string | undefined;
  for (const { f, loc } of rows) {
    const g = f.pos?.file ?? "";
    if (group !== undefined && g !== group) lines.push("");
    group = g;
    lines.push(`${s.bold(loc.padEnd(locWidth))}  ${sev(f.severity)}  ${s.dim(f.ruleId.padEnd(idWidth))}  ${f.message}`.trimEnd());
    // multi-line fixes (a YAML block to paste) stay indented under "fix:"
    lines.push(`  ${s.dim("fix:")} ${f.fix.trimEnd().replace(/\n/g, `\n${" ".repeat(7)}`)}`);
    const envs = findingEnvs(f);
    if (envs.length > 0 && envs.length < allEnvs.length && !namedByFile(report, f, envs)) {
      lines.push(`  ${s.dim("envs:")} ${envs.join(", ")}`);
    }
  }

  if (suppressedRows.length > 0) {
    if (lines.length > 0) lines.push("");
    lines.push(s.dim("Suppressed:"));
    for (const x of report.suppressed) {
      const why = `${x.by}${x.reason ? `: ${x.reason}` : ""}`;
      lines.push(
        s.dim(`${location(x.finding).padEnd(locWidth)}  ${x.finding.severity.padEnd(7)}  ${x.finding.ruleId.padEnd(idWidth)}  ${x.finding.message} (${why})`),
      );
    }
  }

  if (report.diagnostics.length > 0) {
    if (lines.length > 0) lines.push("");
    for (const d of report.diagnostics) {
      const where = d.pos ? `${formatPos(d.pos)}  ` : "";
      lines.push(s.dim(`${where}${d.level}  ${d.message}`));
    }
  }

  if (report.ruleErrors.length > 0) {
    if (lines.length > 0) lines.push("");
    for (const e of report.ruleErrors) {
      lines.push(
        `${s.red("rule crashed")}  ${e.ruleId}${e.env !== undefined ? ` (env ${e.env})` : ""}: ${e.error}`,
      );
    }
    lines.push(s.dim("The other rules ran. This is a bug in doodba-ops: please report it with the message above."));
  }

  if (lines.length > 0) lines.push("");
  lines.push(summaryLine(report, s, opts.displayDir));
  return `${lines.join("\n")}\n`;
}

/** `3 errors, 5 warnings, 1 info (2 suppressed) in 3 environments (devel, test, prod)` */
export function summaryLine(report: CheckReport, s: Style = style(false), displayDir?: string): string {
  const { error, warning, info, suppressed } = report.summary;
  const envs = report.project.envs;
  const envText = `${plural(envs.length, "environment")}${envs.length > 0 ? ` (${envs.join(", ")})` : ""}`;
  const supText = suppressed > 0 ? ` (${suppressed} suppressed)` : "";
  if (error + warning + info === 0) {
    return `${s.green("✓")} No findings in ${displayDir ?? report.project.dir} (${plural(report.rules.length, "rule")}, ${plural(envs.length, "environment")})${supText}`;
  }
  const counts = [
    error > 0 ? s.red(plural(error, "error")) : plural(error, "error"),
    warning > 0 ? s.yellow(plural(warning, "warning")) : plural(warning, "warning"),
    `${info} info`,
  ].join(", ");
  return `${counts}${supText} in ${envText}`;
}

/** A finding of one env in that env's own compose file (prod.yaml for prod): the file names the env. */
function namedByFile(report: CheckReport, f: Finding, envs: string[]): boolean {
  const [only] = envs;
  return envs.length === 1 && only !== undefined && f.pos !== undefined && report.project.envFiles[only] === f.pos.file;
}

function location(f: Finding): string {
  if (f.pos) return formatPos(f.pos);
  const envs = findingEnvs(f);
  return envs.length > 0 ? `(${envs.join(", ")})` : "(project)";
}
