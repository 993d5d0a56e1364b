/** `--format json`: the whole report, findings ranked, a summary, keys sorted, no added timestamps. */
import { stableJson } from "../../cli/output/common.js";
import type { DoctorReport } from "../types.js";
import { rankFindings, summarize } from "./rank.js";

export function renderJsonDoctor(report: DoctorReport): string {
  return stableJson({ ...report, findings: rankFindings(report.findings), summary: summarize(report) });
}
