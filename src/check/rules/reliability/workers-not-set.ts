import type { OdooConfig, ServiceModel } from "../../../project/model.js";
import type { RawFinding, Rule } from "../../types.js";
import { odooBool, odooInt, odooServices, opt, optValue, svcPos } from "../../lib/common.js";

const ODOO_BINARIES = /(^|\/)(odoo|odoo-bin|odoo\.py|openerp-server|odoo-server)$/;

/**
 * true when the service runs the Odoo server (the default command of the doodba image, or an
 * `odoo ...` command line without another subcommand such as `shell` or `db`); false for shells,
 * scripts and other tools, where this rule cannot tell.
 */
export function runsOdooServer(svc: ServiceModel): boolean {
  const cmd = svc.command;
  if (!cmd || cmd.length === 0) return true;
  const [bin, ...rest] = cmd;
  if (bin === undefined) return true;
  if (bin.startsWith("-")) return true; // flags only: appended to the image's `odoo` command
  if (!ODOO_BINARIES.test(bin)) return false;
  const sub = rest.find((a) => !a.startsWith("-"));
  // The first bare word right after the binary is a subcommand; later bare words are flag values.
  return sub === undefined || rest.indexOf(sub) !== 0 || sub === "server";
}

/** true for a cron-only / no-HTTP instance. */
export function isHttpDisabled(svc: ServiceModel, cfg: OdooConfig): boolean {
  if (odooBool(optValue(cfg, "http_enable")) === false) return true;
  return (svc.command ?? []).includes("--no-http");
}

export const rule: Rule = {
  id: "workers-not-set",
  category: "reliability",
  severity: "error",
  title: "Production Odoo runs in threaded mode (workers = 0)",
  why:
    "With workers = 0 Odoo serves every request from threads of one process: one slow report or import blocks " +
    "everyone (Python's GIL), no memory or time limit is enforced, a crash takes the whole site down, and no " +
    "gevent process listens on 8072 so /websocket (/longpolling) breaks. Threaded mode is for development only.",
  fix:
    "Run prefork workers, sized about 2 x CPU + 1: in odoo/custom/conf.d/20-workers.conf write `[options]` then " +
    "`workers = 5` and `max_cron_threads = 1` (or add `--workers=5` to the prod `command:`), and route /websocket " +
    "(16+) or /longpolling (older) to port 8072.",
  appliesTo: { envs: ["prod"] },
  example: "services:\n  odoo:\n    build: ./odoo\n    # no workers in conf.d or command: workers = 0",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const { svc, cfg } of odooServices(env)) {
      if (!runsOdooServer(svc) || isHttpDisabled(svc, cfg)) continue;
      if (svc.replicas === 0) continue;
      const o = opt(cfg, "workers");
      const workers = o === undefined ? 0 : odooInt(o.value);
      if (workers === undefined || workers > 0) continue;
      const how =
        o === undefined || o.source === "odoo-default" || o.source === "doodba-default"
          ? "workers is not set (Odoo's default 0)"
          : `workers = ${o.value} (from ${o.source})`;
      out.push({
        message: `Odoo service ${svc.name}: ${how}, so it runs threaded: one process, no limits, no gevent port for /websocket`,
        pos: o?.pos ?? svcPos(env, svc.name),
      });
    }
    return out;
  },
};
