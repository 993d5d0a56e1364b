/**
 * Renderers of the `tune analyze` report: an aligned human report (findings first, then the
 * sections they come from) and a stable JSON document. Pure: both take the report and the
 * masked target; neither prints.
 */
import { renderPgConf } from "../postgres.js";
import { fmtBytes, fmtDuration, fmtInt } from "./findings.js";
import type { AnalyzeReport } from "./index.js";
import type { AnalyzeFinding, Evidence } from "./types.js";

export interface RenderTarget {
  /** Masked URL. */
  url: string;
  source: "url" | "environment" | "project";
  note?: string;
}

function table(rows: string[][], align: ("l" | "r")[] = []): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 && align[i] !== "r" ? c : align[i] === "r" ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

function evidenceText(e: Evidence): string {
  return Object.entries(e)
    .filter(([, v]) => v !== null && v !== "")
    .map(([k, v]) => `${k}=${typeof v === "string" && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
    .join(" ");
}

function ratio(hit: number, read: number): string {
  const total = hit + read;
  return total === 0 ? "n/a" : `${((hit / total) * 100).toFixed(2)}%`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function indent(text: string, first: string, rest: string): string {
  return text
    .split("\n")
    .map((l, i) => `${i === 0 ? first : rest}${l}`.trimEnd())
    .join("\n");
}

export function renderHuman(report: AnalyzeReport, target: RenderTarget): string {
  const { snapshot: snap } = report;
  const out: string[] = [];
  const srv = snap.server;
  out.push(`tune analyze: ${target.url}${target.note ? `  (${target.note})` : ""}`);
  const odooVer = snap.odoo ? (snap.odoo.baseVersion ? ` · Odoo ${snap.odoo.baseVersion}` : " · Odoo") : " · not an Odoo database";
  const stats = srv.statsReset ? `statistics since ${srv.statsReset}` : srv.statsAgeSeconds >= 0 ? `statistics of the last ${fmtDuration(srv.statsAgeSeconds)}` : "statistics never reset";
  out.push(
    `PostgreSQL ${srv.version.split(" ")[0]} · database ${srv.database} (${fmtBytes(srv.databaseBytes)})${odooVer} · role ${srv.user}${srv.superuser ? " (superuser)" : srv.readAllStats ? " (pg_read_all_stats)" : ""} · ${stats}`,
  );
  if (!srv.readAllStats) out.push("note: not a superuser nor pg_read_all_stats: other roles' sessions and query texts are hidden, so session findings may be incomplete");
  out.push("");

  // ---- findings
  const f = report.findings;
  const count = (sev: string): number => f.filter((x) => x.severity === sev).length;
  if (f.length === 0) out.push("Findings: none");
  else {
    out.push(`Findings (${[["error", count("error")], ["warning", count("warning")], ["info", count("info")]].filter(([, n]) => Number(n) > 0).map(([s, n]) => (s === "info" ? `${n} info` : plural(Number(n), String(s)))).join(", ")})`);
    const idW = Math.max(...f.map((x) => x.id.length));
    for (const x of f) out.push(...renderFinding(x, idW));
  }
  out.push("");

  // ---- settings
  const basis = report.basis;
  out.push(
    basis
      ? `Settings (pgtune "web" workload for ${fmtBytes(basis.memoryBytes)} RAM, ${basis.cpus !== undefined ? plural(basis.cpus, "CPU") : "CPUs unknown"}, ${basis.storage} storage, max_connections ${basis.maxConnections}, PostgreSQL ${basis.version})`
      : "Settings (no recommendation: pass --memory, --cpus and --storage for the server's resources)",
  );
  const srows = [["  setting", "current", "recommended", "status", "source"]];
  for (const s of report.settings) {
    srows.push([`  ${s.name}`, s.current === "" ? "''" : s.current, s.recommended ?? "-", s.status === "not-compared" ? "-" : s.status + (s.restart && s.status !== "ok" ? " (restart)" : ""), s.source]);
  }
  out.push(...table(srows));
  const off = report.settings.filter((s) => s.recommended !== null && (s.status === "low" || s.status === "high" || s.status === "differs"));
  if (off.length > 0) {
    const restart = off.some((s) => s.restart);
    out.push(`  to apply, in the db service of the project (postgres-autoconf; ${restart ? "restart PostgreSQL afterwards" : "reload is enough"}):`);
    out.push("    environment:", "      CONF_EXTRA: |");
    for (const line of renderPgConf(Object.fromEntries(off.map((s) => [s.name, s.recommended ?? ""]))).split("\n")) out.push(`        ${line}`);
  }
  out.push("");

  // ---- cache
  const c = snap.cache;
  out.push("Cache and activity");
  out.push(
    `  cache hit ratio: ${ratio(c.blksHit, c.blksRead)} in ${srv.database} (${fmtInt(c.blksRead)} reads missed of ${fmtInt(c.blksHit + c.blksRead)}), ${ratio(c.clusterBlksHit, c.clusterBlksRead)} on the whole server`,
  );
  out.push(`  transactions: ${fmtInt(c.xactCommit)} committed, ${fmtInt(c.xactRollback)} rolled back; deadlocks ${fmtInt(c.deadlocks)}; temporary files ${fmtInt(c.tempFiles)} (${fmtBytes(c.tempBytes)})`);
  out.push("");

  // ---- queries
  const st = snap.statements;
  if (st.top) {
    out.push(`Top queries (pg_stat_statements, by total time; ${fmtInt(st.totalMs)} ms in all)`);
    if (st.top.length === 0) out.push("  none recorded yet");
    else {
      const qrows = [["  calls", "total ms", "mean ms", "share", "query"]];
      for (const r of st.top) qrows.push([`  ${fmtInt(r.calls)}`, r.totalMs.toFixed(1), r.meanMs.toFixed(2), `${(r.share * 100).toFixed(1)}%`, r.query]);
      out.push(...table(qrows, ["r", "r", "r", "r", "l"]));
    }
  } else out.push(`Top queries: not available (pg_stat_statements ${st.preloaded ? "loaded" : "not loaded"}, extension ${st.installed ? "created" : "not created"}; see pg-stat-statements-missing)`);
  out.push("");

  // ---- tables
  out.push("Largest tables");
  const byName = new Map(snap.tables.map((t) => [`${t.schema}.${t.name}`, t]));
  const trows = [["  table", "total size", "live rows", "dead rows", "seq scans", "rows read by seq scans", "index scans"]];
  for (const l of snap.largestTables) {
    const t = byName.get(`${l.schema}.${l.name}`);
    const name = l.schema === "public" ? l.name : `${l.schema}.${l.name}`;
    trows.push([`  ${name}`, fmtBytes(l.totalBytes), fmtInt(t?.liveTup ?? 0), fmtInt(t?.deadTup ?? 0), fmtInt(t?.seqScan ?? 0), fmtInt(t?.seqTupRead ?? 0), t?.idxScan === null || t === undefined ? "-" : fmtInt(t.idxScan)]);
  }
  out.push(...table(trows, ["l", "r", "r", "r", "r", "r", "r"]));
  const unused = snap.unusedIndexes.filter((i) => i.bytes >= report.thresholds.unusedIndexMinBytes);
  out.push(`  unused indexes of ${fmtBytes(report.thresholds.unusedIndexMinBytes)} or more: ${unused.length === 0 ? "none" : unused.map((i) => `${i.name} (${fmtBytes(i.bytes)})`).join(", ")}`);
  out.push("");

  // ---- sessions
  const cn = snap.connections;
  const usable = cn.maxConnections - cn.reserved;
  out.push("Connections and sessions");
  out.push(
    `  ${plural(cn.used, "client connection")} of ${usable} usable (max_connections ${cn.maxConnections}, ${cn.reserved} reserved): ${Object.entries(cn.byState).map(([k, v]) => `${k} ${v}`).join(", ") || "none"}`,
  );
  for (const g of cn.groups) out.push(`    ${String(g.count).padStart(4)}  ${g.user ?? "?"}@${g.database ?? "?"}${g.application ? `  ${g.application}` : ""}`);
  out.push("");

  // ---- odoo
  const o = snap.odoo;
  if (o) {
    out.push(`Odoo${o.baseVersion ? ` (base ${o.baseVersion})` : ""}`);
    const orows = [["  table", "rows", "size"]];
    for (const t of o.tables) {
      if (!t.exists) {
        orows.push([`  ${t.name}`, "absent", "-"]);
        continue;
      }
      orows.push([`  ${t.name}`, t.rows === null ? "?" : `${t.rowsExact ? "" : "~"}${fmtInt(t.rows)}`, t.totalBytes === null ? "?" : fmtBytes(t.totalBytes)]);
    }
    out.push(...table(orows, ["l", "r", "r"]));
    if (o.attachments) {
      const a = o.attachments;
      out.push(`  attachments: ${fmtInt(a.fileCount)} in the filestore, ${fmtInt(a.dbCount)} in the database (${fmtBytes(a.dbBytes)}); ir_attachment.location ${a.location === null ? "not set (file)" : `= ${a.location}`}`);
    }
    if (o.bus) out.push(`  bus_bus: ${plural(o.bus.total, "row").replace(/^\d+/, fmtInt(o.bus.total))}, ${fmtInt(o.bus.old)} older than ${fmtDuration(report.thresholds.busOldSeconds)}${o.bus.oldest ? ` (oldest ${o.bus.oldest})` : ""}`);
    if (o.mailQueue) out.push(`  mail queue: ${fmtInt(o.mailQueue.outgoing)} outgoing (${fmtInt(o.mailQueue.outgoingStale)} waiting more than ${fmtDuration(report.thresholds.mailStaleSeconds)}), ${fmtInt(o.mailQueue.exception)} failed`);
    if (o.crons) {
      const av = o.crons.autovacuum;
      out.push(
        `  scheduled actions: ${fmtInt(o.crons.active)} active, ${fmtInt(o.crons.overdue.length)} overdue by more than ${fmtDuration(report.thresholds.cronOverdueSeconds)}` +
          (o.crons.failing ? `, ${o.crons.failing.length} failing` : "") +
          (av ? `; autovacuum job ${av.active ? "active" : "inactive"}, last run ${av.lastcall ?? "never"}` : ""),
      );
    }
    if (o.sessionTables.length > 0) {
      for (const t of o.sessionTables) out.push(`  sessions table ${t.name}: ${t.rows === null ? "?" : fmtInt(t.rows)} rows, ${fmtBytes(t.totalBytes)}`);
    } else out.push("  sessions: Odoo keeps HTTP sessions in files under data_dir/sessions (the filestore volume), not in the database");
    out.push("");
  }

  if (snap.skipped.length > 0) {
    out.push("Skipped");
    for (const s of snap.skipped) out.push(`  ${s.probe}: ${s.reason}`);
    out.push("");
  }
  return out.join("\n").trimEnd() + "\n";
}

function renderFinding(x: AnalyzeFinding, idW: number): string[] {
  const head = `  ${x.severity.padEnd(7)}  ${x.id.padEnd(idW)}  ${x.message}`;
  const pad = " ".repeat(2 + 7 + 2 + idW + 2);
  return [head, indent(evidenceText(x.evidence), `${pad}evidence: `, `${pad}          `), indent(x.remedy, `${pad}remedy:   `, `${pad}          `)];
}

/** Stable JSON: fixed key order, the findings first after the target. */
export function renderJson(report: AnalyzeReport, target: RenderTarget): string {
  const snap = report.snapshot;
  const summary = { error: 0, warning: 0, info: 0 };
  for (const f of report.findings) summary[f.severity]++;
  const doc = {
    schema: report.schema,
    target: { url: target.url, source: target.source, ...(target.note ? { note: target.note } : {}) },
    server: snap.server,
    summary,
    findings: report.findings.map((f) => ({ id: f.id, severity: f.severity, category: f.category, subject: f.subject ?? null, message: f.message, evidence: f.evidence, remedy: f.remedy })),
    settings: { basis: report.basis, rows: report.settings },
    cache: {
      ...snap.cache,
      ratio: snap.cache.blksHit + snap.cache.blksRead > 0 ? Math.round((snap.cache.blksHit / (snap.cache.blksHit + snap.cache.blksRead)) * 10000) / 10000 : null,
    },
    statements: snap.statements,
    largestTables: snap.largestTables,
    tables: snap.tables.filter((t) => report.findings.some((f) => f.category === "tables" && f.subject !== undefined && (f.subject === t.name || f.subject === `${t.schema}.${t.name}`))),
    unusedIndexes: snap.unusedIndexes.filter((i) => i.bytes >= report.thresholds.unusedIndexMinBytes),
    connections: snap.connections,
    sessions: snap.sessions,
    odoo: snap.odoo,
    skipped: snap.skipped,
    thresholds: report.thresholds,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
