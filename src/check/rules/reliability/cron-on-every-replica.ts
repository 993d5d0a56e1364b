import type { OdooConfig, ServiceModel } from "../../../project/model.js";
import type { RawFinding, Rule } from "../../types.js";
import { odooInt, odooServices, opt, optValue, svcPos } from "../../lib/common.js";
import { isHttpDisabled, runsOdooServer } from "./workers-not-set.js";

/** Replicas of a service; a Swarm `mode: global` service runs one per node, counted as 2 (several). */
function replicasOf(svc: ServiceModel): number {
  const deploy = svc.raw["deploy"];
  if (deploy && typeof deploy === "object" && (deploy as Record<string, unknown>)["mode"] === "global") return 2;
  if (svc.replicas !== undefined) return svc.replicas;
  const scale = svc.raw["scale"];
  const n = typeof scale === "number" ? scale : typeof scale === "string" ? Number.parseInt(scale, 10) : NaN;
  return Number.isFinite(n) ? n : 1;
}

function isGlobal(svc: ServiceModel): boolean {
  const deploy = svc.raw["deploy"];
  return !!deploy && typeof deploy === "object" && (deploy as Record<string, unknown>)["mode"] === "global";
}

/** Database an instance runs its crons for: host, port and name (empty name = every database it lists). */
function dbKey(cfg: OdooConfig): { host: string; port: string; name: string } {
  const v = (k: string, d: string): string => {
    const s = optValue(cfg, k)?.trim();
    return s === undefined || s === "" || s.toLowerCase() === "false" ? d : s;
  };
  return { host: v("db_host", "db"), port: v("db_port", "5432"), name: v("db_name", "") };
}

function sameDatabase(a: OdooConfig, b: OdooConfig): boolean {
  const x = dbKey(a);
  const y = dbKey(b);
  return x.host === y.host && x.port === y.port && (x.name === "" || y.name === "" || x.name === y.name);
}

export const rule: Rule = {
  id: "cron-on-every-replica",
  category: "reliability",
  severity: "warning",
  title: "Scheduled actions run on several Odoo instances",
  why:
    "Every Odoo instance with max_cron_threads > 0 polls the same cron table. With several replicas, or a web and a " +
    "cron service both running crons, they contend for the same job locks, hold extra database connections, and a " +
    "long job on a web worker slows user requests; memory and time limits tuned for web requests also kill long crons.",
  fix:
    "Run crons in one dedicated service (`command: [odoo, --no-http, --workers=0, --max-cron-threads=2]`, one " +
    "replica) and set `max_cron_threads = 0` (or `--max-cron-threads=0`) on every web instance.",
  appliesTo: { envs: ["any-non-devel"] },
  example: "services:\n  odoo:\n    build: ./odoo\n    deploy:\n      replicas: 3   # max_cron_threads defaults to 2 on each",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    const crons: { svc: ServiceModel; cfg: OdooConfig; threads: number }[] = [];
    for (const { svc, cfg } of odooServices(env)) {
      if (!runsOdooServer(svc)) continue;
      const replicas = replicasOf(svc);
      if (replicas <= 0) continue;
      const o = opt(cfg, "max_cron_threads");
      const threads = o === undefined ? 2 : odooInt(o.value);
      if (threads === undefined || threads <= 0) continue;
      crons.push({ svc, cfg, threads });
      if (replicas > 1) {
        out.push({
          message: `Odoo service ${svc.name} runs ${isGlobal(svc) ? "one replica per node (mode: global)" : `${replicas} replicas`}, each with max_cron_threads = ${threads}${o ? "" : " (default)"}: crons run on every replica`,
          pos: o?.pos ?? svcPos(env, svc.name, "deploy", "replicas"),
          fix: `Set \`max_cron_threads = 0\` on ${svc.name} and add a single cron service with \`--no-http --max-cron-threads=${threads}\`.`,
        });
      }
    }
    // Two instances on the same database both running crons: report the web one(s).
    for (let i = 0; i < crons.length; i++) {
      const a = crons[i];
      if (!a) continue;
      const others = crons.filter((b, j) => j !== i && sameDatabase(a.cfg, b.cfg));
      if (others.length === 0) continue;
      const aWeb = !isHttpDisabled(a.svc, a.cfg);
      const earlier = (kindWeb: boolean): boolean =>
        others.some((b) => !isHttpDisabled(b.svc, b.cfg) === kindWeb && crons.indexOf(b) < i);
      // A web instance beside a cron-only one should stop running crons; between instances of
      // the same kind, report all but the first.
      const report = aWeb ? others.some((b) => isHttpDisabled(b.svc, b.cfg)) || earlier(true) : earlier(false);
      if (!report) continue;
      const o = opt(a.cfg, "max_cron_threads");
      out.push({
        message:
          `Odoo service ${a.svc.name} runs cron threads (max_cron_threads = ${a.threads}${o ? "" : ", the default"}) on the same database as ` +
          `${others.map((b) => b.svc.name).join(", ")}, which also run crons`,
        pos: o?.pos ?? svcPos(env, a.svc.name),
        fix: aWeb
          ? `Set \`--max-cron-threads=0\` on ${a.svc.name} and keep crons only in one \`--no-http\` service.`
          : `Keep a single cron service; remove ${a.svc.name} or set its max_cron_threads to 0.`,
      });
    }
    return out;
  },
};
