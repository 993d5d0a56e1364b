/**
 * The `check` findings that explain what the live probes and the logs show. `doctor` runs the
 * rules on the environment and keeps, as findings, those linked to an observed symptom (the
 * websocket failing and the route without workers; refused connections and the connection budget;
 * OOM kills and the memory limits...). The other findings are summarised in the probe line.
 */
import { formatPos, isUserError } from "../../errors.js";
import { runCheck } from "../../check/index.js";
import type { CheckReport } from "../../check/index.js";
import type { Platform } from "../../platform/index.js";
import type { ProjectModel } from "../../project/model.js";
import type { DoctorFinding, ProbeResult } from "../types.js";
import { errorText, probe } from "./util.js";

export interface SymptomLink {
  /** Matched against the ids (and titles) of the doctor's other findings. */
  symptom: RegExp;
  /** Short name of the symptom, for the evidence line. */
  name: string;
  /** check rules that can cause it. */
  rules: readonly string[];
}

/** Well-known symptom -> configuration links. Log signature ids and probe finding ids both match. */
export const SYMPTOM_LINKS: readonly SymptomLink[] = [
  { name: "the bus/websocket failing", symptom: /websocket|longpolling|\bbus\b|gevent/i, rules: ["websocket-route-without-workers", "websocket-route-path-wrong", "deprecated-longpolling-port"] },
  { name: "connections refused or exhausted", symptom: /connection-(slots|budget|limit)|too-many-(clients|connections)|connections-near-limit|pool-(full|exhausted)|slots-reserved/i, rules: ["connection-budget-exceeded"] },
  { name: "memory kills", symptom: /memory|\boom\b|oom-/i, rules: ["memory-hard-exceeds-container", "memory-soft-too-low", "no-memory-limit"] },
  { name: "workers killed on time limits", symptom: /worker-timeout|time-limit|cpu-limit|limit-time|timeout-after/i, rules: ["time-limits-inconsistent", "workers-exceed-cpu"] },
  { name: "database not found / filtered", symptom: /dbfilter|database-not-found|db-not-found|db-not-exist|database-(missing|does-not-exist)|not-initiali[sz]ed/i, rules: ["dbfilter-matches-all"] },
  { name: "modules that fail to load", symptom: /module/i, rules: ["addons-repo-without-source", "addon-in-two-repos"] },
  { name: "concurrent updates", symptom: /serializ|concurren|deadlock|lock-not-available/i, rules: ["cron-on-every-replica"] },
  { name: "scheduled actions that stopped (cron threads die with the database in the threaded server)", symptom: /cron-thread-died|cron-overdue|db-unreachable|database-unreachable/i, rules: ["workers-not-set", "depends-on-not-healthy"] },
  { name: "containers that stay down after they stop", symptom: /container-not-running|without-container|environment-not-running|oom-killed/i, rules: ["no-restart-policy"] },
  { name: "containers restarting", symptom: /container-restart/i, rules: ["depends-on-not-healthy"] },
  { name: "Odoo down or stuck while its container runs", symptom: /odoo-not-answering|bad-gateway|database-unreachable|db-unreachable/i, rules: ["no-healthcheck", "depends-on-not-healthy"] },
  { name: "shared memory errors in PostgreSQL", symptom: /shm|shared-memory/i, rules: ["db-shm-too-small"] },
  { name: "client addresses behind the proxy (failed logins are attributed to the proxy without proxy_mode)", symptom: /login-failed|proxy-mode|x-forwarded/i, rules: ["proxy-mode-off-behind-proxy", "proxy-mode-without-proxy"] },
];

const SEV = { error: "error", warning: "warning", info: "info" } as const;

export interface CheckOutcome {
  probe: ProbeResult;
  findings: DoctorFinding[];
  report?: CheckReport;
}

/**
 * Runs `check` on one environment (the already loaded model is reused) and links its findings to
 * the symptoms in `observed`.
 */
export function probeCheck(platform: Platform, project: ProjectModel, env: string, observed: readonly DoctorFinding[], now?: Date): CheckOutcome {
  const title = "Configuration findings of `check` that explain the symptoms";
  let report: CheckReport;
  try {
    report = runCheck(platform, { dir: project.dir, envs: [env], load: () => project, ...(now ? { now } : {}) });
  } catch (err) {
    const why = isUserError(err) ? `${err.pos ? `${formatPos(err.pos)}: ` : ""}${err.message}` : errorText(err);
    return { probe: probe("check", title, "skipped", `check could not run: ${why}`), findings: [] };
  }
  const findings: DoctorFinding[] = [];
  const linkedRules = new Map<string, Set<string>>(); // rule -> symptom titles
  for (const link of SYMPTOM_LINKS) {
    const hits = observed.filter((f) => f.origin !== "check" && (link.symptom.test(f.id) || link.symptom.test(f.title)));
    if (hits.length === 0) continue;
    for (const r of link.rules) {
      const set = linkedRules.get(r) ?? new Set<string>();
      for (const h of hits) set.add(`${link.name}: ${h.title} (${h.origin})`);
      linkedRules.set(r, set);
    }
  }
  // one doctor finding per rule: every place check found it, then the symptoms it explains
  const byRule = new Map<string, CheckReport["findings"]>();
  for (const f of report.findings) {
    if (!linkedRules.has(f.ruleId)) continue;
    byRule.set(f.ruleId, [...(byRule.get(f.ruleId) ?? []), f]);
  }
  for (const [ruleId, list] of byRule) {
    const first = list[0];
    if (!first) continue;
    const worst = list.some((f) => f.severity === "error") ? "error" : list.some((f) => f.severity === "warning") ? "warning" : "info";
    const why = [...(linkedRules.get(ruleId) ?? [])].sort();
    const d: DoctorFinding = {
      id: ruleId,
      severity: SEV[worst],
      title: first.title,
      evidence: [...list.slice(0, 10).map((f) => `${f.pos ? `${formatPos(f.pos)}: ` : ""}${f.message}`), ...why.slice(0, 5).map((w) => `explains ${w}`)],
      cause: list.length === 1 ? first.message : `${first.message} (and ${list.length - 1} more place${list.length === 2 ? "" : "s"})`,
      fix: first.fix,
      origin: "check",
    };
    if (list.length > 1) d.count = list.length;
    findings.push(d);
  }
  const s = report.summary;
  const counts = `${s.error} error${s.error === 1 ? "" : "s"}, ${s.warning} warning${s.warning === 1 ? "" : "s"}, ${s.info} info`;
  const linked = findings.length > 0 ? `; ${findings.length} explain${findings.length === 1 ? "s" : ""} observed symptoms (${[...new Set(findings.map((f) => f.id))].join(", ")})` : "";
  const detail = `${report.rules.length} rules on environment ${env}: ${counts}${linked}${s.error + s.warning > 0 ? `; all of them: doodba-ops check --env ${env}` : ""}`;
  return { probe: probe("check", title, s.error > 0 ? "problem" : "ok", detail, { error: s.error, warning: s.warning, info: s.info }), findings, report };
}
