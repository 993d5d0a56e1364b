import type { ServiceModel } from "../../../project/model.js";
import type { RawFinding, Rule } from "../../types.js";
import { odooBool, odooInt, odooServices, optValue, svcPos } from "../../lib/common.js";
import { pgServerServices } from "../../lib/postgres.js";

function hasHealthcheck(svc: ServiceModel): boolean {
  const hc = svc.healthcheck;
  if (!hc || hc.disable) return false;
  const test = hc.test ?? [];
  return !(test.length > 0 && (test[0] ?? "").toUpperCase() === "NONE");
}

/** The healthcheck to suggest for an Odoo service, by Odoo version. */
export function odooHealthcheckYaml(major: number | undefined, port: number): string {
  const url =
    major === undefined || major >= 17
      ? `http://localhost:${port}/web/health?db_server_status=1`
      : major >= 15
        ? `http://localhost:${port}/web/health`
        : `http://localhost:${port}/web/login`;
  return [
    "healthcheck:",
    `  test: ["CMD", "curl", "--fail", "--silent", "--output", "/dev/null", "${url}"]`,
    "  interval: 30s",
    "  timeout: 10s",
    "  retries: 3",
    "  start_period: 2m",
  ].join("\n");
}

const PG_HEALTHCHECK = [
  "healthcheck:",
  '  test: ["CMD-SHELL", "pg_isready --username=$$POSTGRES_USER --dbname=$$POSTGRES_DB"]',
  "  interval: 10s",
  "  timeout: 5s",
  "  retries: 5",
].join("\n");

export const rule: Rule = {
  id: "no-healthcheck",
  category: "reliability",
  severity: "warning",
  title: "Odoo or PostgreSQL service without a healthcheck",
  why:
    "Neither the doodba image nor the postgres images define a HEALTHCHECK, so Docker reports a hung Odoo or a " +
    "PostgreSQL still recovering as `running`: `depends_on: condition: service_healthy`, rolling deploys, Swarm and " +
    "monitoring cannot tell a working service from a dead one. Note that `/web/health` answers 200 even when the " +
    "database is down; add `?db_server_status=1` (Odoo 17+) so the check covers PostgreSQL too.",
  fix:
    "Odoo: `healthcheck: {test: [\"CMD\", \"curl\", \"--fail\", \"--silent\", \"--output\", \"/dev/null\", " +
    "\"http://localhost:8069/web/health?db_server_status=1\"], interval: 30s, timeout: 10s, retries: 3, start_period: 2m}` " +
    "(Odoo 15-16: `/web/health`; older: `/web/login`). PostgreSQL: `healthcheck: {test: [\"CMD-SHELL\", " +
    "\"pg_isready --username=$$POSTGRES_USER --dbname=$$POSTGRES_DB\"], interval: 10s, timeout: 5s, retries: 5}`.",
  appliesTo: { envs: ["prod"] },
  example: "services:\n  odoo:\n    build: ./odoo\n    # no healthcheck\n  db:\n    image: postgres:16",
  scope: "env",
  check(env, ctx) {
    const out: RawFinding[] = [];
    const major = ctx.project.odooVersion?.major;
    for (const { svc, cfg } of odooServices(env)) {
      if (hasHealthcheck(svc)) continue;
      const noHttp =
        odooBool(optValue(cfg, "http_enable")) === false || (svc.command ?? []).some((a) => a === "--no-http");
      if (noHttp) {
        // A cron-only instance has no HTTP endpoint to probe; a process check is all there is.
        continue;
      }
      const port = odooInt(optValue(cfg, "http_port")) ?? 8069;
      const fixYaml = odooHealthcheckYaml(major, port);
      const dbNote =
        major !== undefined && major < 17
          ? major >= 15
            ? " (/web/health does not check the database before Odoo 17)"
            : " (/web/health exists only from Odoo 15)"
          : "";
      out.push({
        message: `Odoo service ${svc.name} has no healthcheck: Docker cannot tell a hung or database-less Odoo from a working one${dbNote}`,
        pos: svcPos(env, svc.name),
        fix: `Add under \`services.${svc.name}\`:\n${fixYaml}`,
      });
    }
    for (const svc of pgServerServices(env)) {
      if (hasHealthcheck(svc)) continue;
      out.push({
        message: `PostgreSQL service ${svc.name} has no healthcheck: a database still starting or recovering counts as up`,
        pos: svcPos(env, svc.name),
        fix: `Add under \`services.${svc.name}\`:\n${PG_HEALTHCHECK}`,
      });
    }
    return out;
  },
};
