/**
 * Text renderers of deploy: the plan, a deploy's summary, status and history. Pure.
 */
import type { DeployRecord } from "./history.js";
import type { DeployPlan } from "./plan.js";
import type { ContainerState } from "./types.js";

const short = (id: string | undefined): string => (id ? id.replace(/^sha256:/, "").slice(0, 12) : "-");

function table(rows: string[][], indent = "  "): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ").trimEnd());
}

export function renderPlan(plan: DeployPlan): string {
  const out: string[] = [];
  out.push(`Deploy plan: environment ${plan.env}, compose project ${plan.project} (${plan.files.join(", ")})`);
  out.push(`  engine:  ${plan.engine.reachable ? `Docker ${plan.engine.version ?? "?"}` : `NOT REACHABLE${plan.engine.error ? `: ${plan.engine.error}` : ""}`}`);
  out.push(`  checks:  ${plan.gates.length === 0 ? "no blocking finding" : `${plan.gates.length} blocking finding(s)`}`);
  for (const g of plan.gates) out.push(`    ${g.where ?? ""}  ${g.ruleId}  ${g.message}`);
  out.push(`  backup:  ${plan.backup.description}`);
  out.push("  images:");
  out.push(...table(plan.images.map((i) => [i.action, i.service, i.image, i.runningId ? `running ${short(i.runningId)}` : "not running", i.localId ? `local ${short(i.localId)}` : "not local"]), "    "));
  out.push("  services:");
  out.push(
    ...table(
      plan.services.map((s) => [s.action, s.service, (s.action === "recreate" || s.action === "recreate-if-changed") ? s.strategy : "", `${s.reason}${s.strategyNote && s.action !== "keep" && s.odoo ? ` (recreate: ${s.strategyNote})` : ""}`]),
      "    ",
    ),
  );
  const mu = plan.moduleUpdate;
  const when = mu.run === "yes" ? "runs" : mu.run === "no" ? "does not run" : "runs if the image changes";
  out.push(`  module update: ${when}${mu.command.length && mu.run !== "no" ? `: ${mu.command.join(" ")} in a one-off ${mu.service ?? ""} container of the new image, before the switch` : ""} (${mu.reason})`);
  if (plan.firstDeploy) out.push("  first deploy: nothing of this environment runs yet");
  if (plan.blockers.length > 0) {
    out.push("  BLOCKED:");
    for (const b of plan.blockers) out.push(`    - ${b}`);
  } else out.push(plan.changes ? "  -> ready to apply" : "  -> nothing to change (a build or pull may still bring new images)");
  return `${out.join("\n")}\n`;
}

export function renderRecord(r: DeployRecord): string {
  const out: string[] = [];
  const secs = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
  out.push(`${r.kind === "rollback" ? "Rollback" : "Deploy"} ${r.id} of ${r.env}: ${r.outcome.toUpperCase()} in ${Number.isFinite(secs) ? secs.toFixed(1) : "?"} s (by ${r.user})`);
  out.push(...table(r.steps.map((s) => [s.status, s.name, `${s.seconds.toFixed(1)} s`, s.detail?.split("\n")[0] ?? ""])));
  const services = [...new Set([...Object.keys(r.from), ...Object.keys(r.to)])].sort();
  const changed = services.filter((s) => r.from[s] !== r.to[s]);
  if (changed.length > 0) {
    out.push("  images:");
    out.push(...table(changed.map((s) => [s, short(r.from[s]), "->", short(r.to[s])]), "    "));
  }
  if (r.snapshot) out.push(`  pre-deploy snapshot: ${r.snapshot}${r.databaseRestored ? " (restored)" : ""}`);
  if (r.error) out.push(`  error: ${r.error.split("\n").join("\n         ")}`);
  if (r.outcome === "rolled-back") out.push("  the previous release serves again");
  return `${out.join("\n")}\n`;
}

export function renderHistory(records: DeployRecord[]): string {
  if (records.length === 0) return "No deploy recorded yet.\n";
  const rows = [["ID", "KIND", "ENV", "OUTCOME", "STARTED", "SECONDS", "USER", "IMAGES"]];
  for (const r of records) {
    const secs = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
    const changed = Object.keys({ ...r.from, ...r.to })
      .sort()
      .filter((s) => r.from[s] !== r.to[s])
      .map((s) => `${s}: ${short(r.from[s])} -> ${short(r.to[s])}`);
    rows.push([r.id, r.kind, r.env, r.outcome, r.startedAt, Number.isFinite(secs) ? secs.toFixed(1) : "?", r.user, changed.join(", ") || "-"]);
  }
  return `${table(rows, "").join("\n")}\n`;
}

export interface StatusView {
  env: string;
  project: string;
  engine?: string;
  containers: ContainerState[];
  last?: DeployRecord;
  lock?: string;
}

export function renderStatus(s: StatusView): string {
  const out: string[] = [`Environment ${s.env} (compose project ${s.project}), engine ${s.engine ?? "NOT REACHABLE"}`];
  const live = s.containers.filter((c) => !c.oneoff);
  if (live.length === 0) out.push("  nothing runs");
  else out.push(...table(live.map((c) => [c.service, c.name, c.state + (c.health ? ` (${c.health})` : ""), c.image, short(c.imageId)])));
  out.push(s.last ? `  last deploy: ${s.last.id} ${s.last.outcome} at ${s.last.finishedAt} by ${s.last.user}` : "  last deploy: none recorded");
  if (s.lock) out.push(`  LOCKED by ${s.lock}`);
  return `${out.join("\n")}\n`;
}
