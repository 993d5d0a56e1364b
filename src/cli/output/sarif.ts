/**
 * `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers. One run; the
 * driver lists the rules that ran; every result has a location (findings without a position
 * point at line 1 of their environment's compose file) and a partial fingerprint that does not
 * depend on the line, so moving code keeps an alert's identity.
 */
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import type { CheckReport, ReportRule } from "../../check/index.js";
import type { SuppressedFinding } from "../../check/suppress.js";
import type { Finding, Severity } from "../../check/types.js";
import type { SourcePos } from "../../errors.js";
import { envsText } from "../../check/docs.js";
import { PROJECT_URL, RULES_DOC_URL, findingEnvs, findingFile } from "./common.js";

export const SARIF_SCHEMA_URI =
  "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json";
export const SRCROOT = "%SRCROOT%";
/** Key of our partial fingerprint; bump the suffix if the hashed content ever changes. */
export const FINGERPRINT_KEY = "doodbaOpsFindingHash/v1";

export interface SarifOptions {
  /** Base of the rule docs; helpUri is `${docsUrl}#<rule-id>`. @default RULES_DOC_URL */
  docsUrl?: string;
}

type Level = "error" | "warning" | "note";
type Json = Record<string, unknown>;

export function sarifLevel(s: Severity): Level {
  return s === "error" ? "error" : s === "warning" ? "warning" : "note";
}

/** `list-db-enabled` -> `ListDbEnabled` (SARIF `name`: an identifier for people). */
export function pascalCase(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}

/** Project-relative path to a SARIF relative URI: forward slashes, each segment percent-encoded. */
export function toUri(file: string): string {
  return file
    .replace(/\\/g, "/")
    .replace(/^\.\//, "")
    .split("/")
    .map((seg) => encodeURIComponent(seg))
    .join("/");
}

export function renderSarif(report: CheckReport, opts: SarifOptions = {}): string {
  return `${JSON.stringify(buildSarif(report, opts), null, 2)}\n`;
}

/** The SARIF log as an object (what {@link renderSarif} prints). */
export function buildSarif(report: CheckReport, opts: SarifOptions = {}): Json {
  const docsUrl = opts.docsUrl ?? RULES_DOC_URL;
  const rules: ReportRule[] = [...report.rules];
  const index = new Map(rules.map((r, i) => [r.id, i]));
  // every result must reference a driver rule; a finding of a rule missing from report.rules
  // (never expected) gets a minimal descriptor built from the finding
  for (const f of [...report.findings, ...report.suppressed.map((s) => s.finding)]) {
    if (index.has(f.ruleId)) continue;
    index.set(f.ruleId, rules.length);
    rules.push({
      id: f.ruleId,
      category: f.category,
      severity: f.severity,
      defaultSeverity: f.severity,
      title: f.title,
      why: f.title,
      fix: f.fix,
      appliesTo: {},
      scope: f.env === undefined ? "project" : "env",
      envs: [],
    });
  }

  const seen = new Map<string, number>();
  const fingerprint = (f: Finding): string => {
    const base = createHash("sha256")
      .update(`${f.ruleId}\u0000${findingFile(report, f)}\u0000${f.message}`)
      .digest("hex")
      .slice(0, 32);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}:${n + 1}`;
  };

  const result = (f: Finding, sup?: SuppressedFinding): Json => {
    const props: Json = { category: f.category };
    const envs = findingEnvs(f);
    if (envs.length > 0) props.envs = envs;
    if (f.fix) props.fix = f.fix;
    const r: Json = {
      ruleId: f.ruleId,
      ruleIndex: index.get(f.ruleId) ?? 0,
      level: sarifLevel(f.severity),
      message: { text: f.message },
      locations: [location(findingFile(report, f), f.pos)],
      partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(f) },
      properties: props,
    };
    if (sup) {
      const s: Json = { kind: sup.by === "inline" ? "inSource" : "external" };
      if (sup.reason) s.justification = sup.reason;
      if (sup.at) s.location = location(sup.at.file, sup.at);
      r.suppressions = [s];
    } else {
      r.suppressions = [];
    }
    return r;
  };

  const notifications: Json[] = [
    ...report.ruleErrors.map((e) => ({
      level: "error",
      message: { text: `Rule ${e.ruleId} crashed${e.env !== undefined ? ` in env ${e.env}` : ""}: ${e.error}` },
      associatedRule: { id: e.ruleId, ...(index.has(e.ruleId) ? { index: index.get(e.ruleId) } : {}) },
    })),
    ...report.diagnostics.map((d) => {
      const n: Json = { level: d.level === "warning" ? "warning" : "note", message: { text: d.message } };
      if (d.pos) n.locations = [location(d.pos.file, d.pos)];
      return n;
    }),
  ];

  const dirUri = pathToFileURL(report.project.dir.endsWith("/") ? report.project.dir : `${report.project.dir}/`).href;

  return {
    $schema: SARIF_SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version: report.tool.version,
            semanticVersion: report.tool.version,
            informationUri: PROJECT_URL,
            rules: rules.map((r) => descriptor(r, docsUrl)),
          },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: dirUri } },
        invocations: [
          {
            executionSuccessful: report.ruleErrors.length === 0,
            ...(notifications.length > 0 ? { toolExecutionNotifications: notifications } : {}),
          },
        ],
        columnKind: "utf16CodeUnits",
        results: [...report.findings.map((f) => result(f)), ...report.suppressed.map((s) => result(s.finding, s))],
      },
    ],
  };
}

function descriptor(r: ReportRule, docsUrl: string): Json {
  const help = `${r.fix}`;
  const appliesParts: string[] = [];
  if (r.appliesTo.odoo) appliesParts.push(`Odoo ${r.appliesTo.odoo}`);
  if (r.appliesTo.envs && r.appliesTo.envs.length > 0) appliesParts.push(`environments: ${envsText(r)}`);
  const properties: Json = { tags: [r.category], precision: "high" };
  // GitHub ranks security alerts by this score (CVSS-like, 0.0-10.0)
  if (r.category === "security") {
    properties["security-severity"] = r.severity === "error" ? "8.0" : r.severity === "warning" ? "5.0" : "2.0";
  }
  return {
    id: r.id,
    name: pascalCase(r.id),
    shortDescription: { text: r.title },
    fullDescription: { text: r.why },
    help: {
      text: `${help}${appliesParts.length > 0 ? `\n\nApplies to: ${appliesParts.join("; ")}.` : ""}`,
      markdown: `**How to fix:** ${help}\n\n${r.why}${appliesParts.length > 0 ? `\n\nApplies to: ${appliesParts.join("; ")}.` : ""}\n\n[Rule documentation](${docsUrl}#${r.id})`,
    },
    helpUri: `${docsUrl}#${r.id}`,
    defaultConfiguration: { level: sarifLevel(r.defaultSeverity) },
    properties,
  };
}

function location(file: string, pos: SourcePos | undefined): Json {
  return {
    physicalLocation: {
      artifactLocation: { uri: toUri(file), uriBaseId: SRCROOT },
      region: { startLine: Math.max(1, pos?.line ?? 1), startColumn: Math.max(1, pos?.col ?? 1) },
    },
  };
}
