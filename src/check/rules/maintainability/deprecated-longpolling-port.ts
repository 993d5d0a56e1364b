import type { RawFinding, Rule } from "../../types.js";
import { odooServices, svcPos } from "../../lib/common.js";
import { isOdooCommand } from "../../../project/odoo-config.js";

export const rule: Rule = {
  id: "deprecated-longpolling-port",
  category: "maintainability",
  severity: "info",
  title: "longpolling_port is a deprecated alias of gevent_port",
  why:
    "Since Odoo 16 the evented process serves /websocket and its port is `gevent_port`; `longpolling_port` / `--longpolling-port` is only a deprecated alias kept for compatibility (`odoo-bin --help`: \"Deprecated alias to the gevent-port option\")." +
    " The old name also suggests the /longpolling route, which no longer exists, so proxies get configured for the wrong path.",
  fix: "Rename it: `gevent_port = 8072` in odoo/custom/conf.d, or `--gevent-port=8072` in the compose command.",
  appliesTo: { odoo: ">=16" },
  example: "[options]\nlongpolling_port = 8072",
  scope: "env",
  check(env, ctx) {
    const out: RawFinding[] = [];
    const services = odooServices(env);
    if (services.length === 0) return out;
    // conf.d is read by every Odoo service; the message does not name the env so the engine merges them.
    for (const file of ctx.project.confd) {
      for (const e of file.entries) {
        if (e.section !== "options" || e.key.trim().toLowerCase() !== "longpolling_port") continue;
        out.push({
          message: `longpolling_port in [options] is a deprecated alias of gevent_port`,
          pos: e.pos,
          fix: `Write \`gevent_port = ${e.raw || "8072"}\` instead.`,
        });
      }
    }
    for (const { svc } of services) {
      const argv = svc.command;
      if (!argv || !(isOdooCommand(argv) || argv[0]?.startsWith("-"))) continue;
      argv.forEach((item, i) => {
        if (item !== "--longpolling-port" && !item.startsWith("--longpolling-port=")) return;
        const value = item.includes("=") ? item.slice(item.indexOf("=") + 1) : (argv[i + 1] ?? "8072");
        out.push({
          message: `${svc.name}: --longpolling-port is a deprecated alias of --gevent-port`,
          pos: svcPos(env, svc.name, "command", i),
          fix: `Write "--gevent-port=${value}".`,
        });
      });
    }
    return out;
  },
};
