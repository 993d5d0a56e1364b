/** One entry point for the check report renderers: `--format human|json|sarif|junit`. */
import type { CheckReport } from "../../check/index.js";
import { renderHuman } from "./human.js";
import type { HumanOptions } from "./human.js";
import { renderJson } from "./json.js";
import { renderJunit } from "./junit.js";
import { renderSarif } from "./sarif.js";

export const OUTPUT_FORMATS = ["human", "json", "sarif", "junit"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function isOutputFormat(s: string): s is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(s);
}

export interface RenderOptions extends HumanOptions {
  /** Base URL of the rule docs for SARIF helpUri. */
  docsUrl?: string;
}

/** Renders the report in `format`. Pure: the caller prints the string. */
export function renderReport(report: CheckReport, format: OutputFormat, opts: RenderOptions = {}): string {
  switch (format) {
    case "human":
      return renderHuman(report, opts);
    case "json":
      return renderJson(report);
    case "sarif":
      return renderSarif(report, opts.docsUrl ? { docsUrl: opts.docsUrl } : {});
    case "junit":
      return renderJunit(report);
  }
}

export { renderHuman, renderJson, renderJunit, renderSarif };
