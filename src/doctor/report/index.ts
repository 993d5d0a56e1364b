/**
 * `doodba-ops doctor` report renderers: `--format human|json|markdown|html`. Pure: report in,
 * string out; the caller prints or writes it. Used by live mode and by `doctor logs`.
 */
import type { DoctorReport } from "../types.js";
import { renderHtmlDoctor } from "./html.js";
import { renderHumanDoctor } from "./human.js";
import type { DoctorRenderOptions } from "./human.js";
import { renderJsonDoctor } from "./json.js";
import { renderMarkdownDoctor } from "./markdown.js";

export const DOCTOR_FORMATS = ["human", "json", "markdown", "html"] as const;
export type DoctorFormat = (typeof DOCTOR_FORMATS)[number];

export type { DoctorRenderOptions } from "./human.js";

export function isDoctorFormat(s: string): s is DoctorFormat {
  return (DOCTOR_FORMATS as readonly string[]).includes(s);
}

/** Renders a doctor report (findings ranked most severe, then most frequent, first). */
export function renderDoctorReport(report: DoctorReport, format: DoctorFormat, opts: DoctorRenderOptions = {}): string {
  switch (format) {
    case "human":
      return renderHumanDoctor(report, opts);
    case "json":
      return renderJsonDoctor(report);
    case "markdown":
      return renderMarkdownDoctor(report, opts);
    case "html":
      return renderHtmlDoctor(report, opts);
  }
}

export { rankFindings, summarize } from "./rank.js";
export type { DoctorSummary } from "./rank.js";
export { buildTimeline, timelineSvg } from "./timeline.js";
export type { Timeline, TimelineBucket } from "./timeline.js";
export { escapeHtml, escapeMarkdown, fencedBlock, inlineHtml, inlineMarkdown } from "./escape.js";
