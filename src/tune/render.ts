/** `tune`'s output: the table for humans and the data for `--format json`. Pure. */
import { formatPos } from "../errors.js";
import { fmt } from "./odoo.js";
import { pgLabel, type TuneRecommendation, type TuneRow } from "./recommend.js";

const ROLE_TITLE: Record<TuneRow["role"], string> = { web: "Odoo", cron: "Odoo cron-only instance", db: "PostgreSQL" };

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

function describeHost(rec: TuneRecommendation): string {
  const h = rec.host;
  return `${h.cpus} CPU${h.cpus === 1 ? "" : "s"}, ${fmt(h.memoryBytes)} (${h.source})`;
}

function describePg(rec: TuneRecommendation): string {
  const l = rec.layout;
  const where = l.pgPlacement === "shared" ? "on the same host" : "elsewhere (Odoo gets the whole host)";
  const svc = l.db ? ` (service ${l.db.service}, ${l.db.flavour === "autoconf" ? "postgres-autoconf: CONF_EXTRA" : l.db.flavour === "official" ? "official image: command -c" : "unknown image"})` : "";
  return `${pgLabel(l.pgVersion)}${l.pgVersionAssumed ? " (assumed)" : ""} ${where}${svc}, ${rec.inputs.storage} storage, ${rec.inputs.workload} workload`;
}

/**
 * The table: per service, one line per setting with its current value and where it is set,
 * the recommendation and the rule behind it. `~` marks the lines that change.
 */
export function renderTuneHuman(rec: TuneRecommendation, opts: { dir: string; applyHint?: string }): string {
  const out: string[] = [];
  out.push(`Tuning ${rec.env} of ${opts.dir}`);
  out.push(`  host: ${describeHost(rec)}`);
  out.push(`  load: ${rec.inputs.users} concurrent users, ${Math.round(rec.inputs.heavyRatio * 100)}% heavy requests${rec.inputs.splitCron ? ", crons in a cron-only instance" : ""}`);
  out.push(`  database: ${describePg(rec)}`);
  const services: { service: string; role: TuneRow["role"] }[] = [];
  for (const r of rec.rows) if (!services.some((s) => s.service === r.service)) services.push({ service: r.service, role: r.role });
  for (const { service, role } of services) {
    const rows = rec.rows.filter((r) => r.service === service);
    const cur = (r: TuneRow): string => (r.current.value === "" ? "-" : r.current.value);
    const src = (r: TuneRow): string => `${r.current.source}${r.current.pos ? ` ${formatPos(r.current.pos)}` : ""}`;
    const w = {
      setting: Math.max(7, ...rows.map((r) => r.setting.length)),
      current: Math.max(7, ...rows.map((r) => cur(r).length)),
      source: Math.max(6, ...rows.map((r) => src(r).length)),
      rec: Math.max(11, ...rows.map((r) => r.recommended.length)),
    };
    out.push("", `${ROLE_TITLE[role]} service ${service}${role === "web" && rec.layout.odooMajor !== undefined ? ` (Odoo ${rec.layout.odooMajor})` : ""}`);
    out.push(`    ${pad("SETTING", w.setting)}  ${pad("CURRENT", w.current)}  ${pad("SOURCE", w.source)}  ${pad("RECOMMENDED", w.rec)}  WHY`);
    for (const r of rows) {
      out.push(`  ${r.change ? "~" : " "} ${pad(r.setting, w.setting)}  ${pad(cur(r), w.current)}  ${pad(src(r), w.source)}  ${pad(r.recommended, w.rec)}  ${r.why}`);
    }
  }
  const changes = rec.rows.filter((r) => r.change).length;
  if (rec.notes.length > 0) {
    out.push("", "Notes:");
    for (const n of rec.notes) out.push(`  - ${n}`);
  }
  out.push("");
  if (changes === 0) out.push(`Nothing to change: ${rec.env} already has the recommended values (${rec.rows.length} settings).`);
  else {
    out.push(`${changes} of ${rec.rows.length} settings change (~).`);
    if (opts.applyHint) out.push(`Write them into the project (shows the diff, then asks): ${opts.applyHint}`);
  }
  return `${out.join("\n")}\n`;
}

/** The data of `--format json` (stable keys are sorted by the caller). */
export function tuneJson(rec: TuneRecommendation, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    env: rec.env,
    host: { cpus: rec.host.cpus, memoryBytes: rec.host.memoryBytes, source: rec.host.source },
    inputs: rec.inputs,
    layout: rec.layout,
    sizing: {
      workers: rec.sizing.workers,
      maxCronThreads: rec.sizing.maxCronThreads,
      cronInstance: rec.sizing.cron,
      limitMemorySoft: rec.sizing.limitMemorySoft,
      limitMemoryHard: rec.sizing.limitMemoryHard,
      limitTimeCpu: rec.sizing.limitTimeCpu,
      limitTimeReal: rec.sizing.limitTimeReal,
      limitTimeRealCron: rec.sizing.limitTimeRealCron,
      limitRequest: rec.sizing.limitRequest,
      dbMaxconn: rec.sizing.dbMaxconn,
      dbMaxconnGevent: rec.sizing.dbMaxconnGevent,
      containerMemory: rec.sizing.containerMemory,
      containerCpus: rec.sizing.containerCpus,
      postgresMemory: rec.sizing.postgresMemory,
      postgresCpus: rec.sizing.postgresCpus,
      postgresMaxConnections: rec.sizing.postgresMaxConnections,
      reasoning: rec.sizing.reasoning,
    },
    postgres: rec.postgres?.settings,
    settings: rec.rows.map((r) => ({
      service: r.service,
      role: r.role,
      kind: r.kind,
      setting: r.setting,
      current: { value: r.current.value === "" ? null : r.current.value, source: r.current.source, at: r.current.pos ? formatPos(r.current.pos) : undefined },
      recommended: r.recommended,
      change: r.change,
      why: r.why,
    })),
    changes: rec.rows.filter((r) => r.change).length,
    notes: rec.notes,
    ...extra,
  };
}
