import type { RawFinding, Rule } from "../../types.js";
import { odooInt, odooServices, opt, svcPos } from "../../lib/common.js";
import { analyzeProxy, describeRoute, routesTo, routeTarget } from "../../lib/proxy.js";

export const rule: Rule = {
  id: "websocket-route-without-workers",
  category: "reliability",
  severity: "error",
  title: "Proxy routes to the gevent port but Odoo runs without workers",
  why:
    "Odoo starts its gevent process on gevent_port (8072) only in multiprocess mode (workers > 0). With workers = 0 nothing " +
    "listens there, so the proxy's /websocket (16+) or /longpolling route answers 502: the bus is dead, chat, notifications " +
    "and live updates stop, and the browser keeps reconnecting.",
  fix: "Run prefork workers (`workers = 5` in odoo/custom/conf.d or `--workers=5` in the command), or, for a deliberately threaded instance, route /websocket (/longpolling) to the HTTP port 8069, which serves the bus in threaded mode.",
  appliesTo: { envs: ["any-non-devel"] },
  example:
    "services:\n  odoo:\n    command: [odoo, --workers=0]\n    labels:\n      traefik.http.routers.ws.rule: Host(`erp.example.com`) && Path(`/websocket`)\n      traefik.http.services.ws.loadbalancer.server.port: 8072",
  scope: "env",
  check(env, ctx) {
    const a = analyzeProxy(env, ctx.project);
    if (!a.present) return [];
    const out: RawFinding[] = [];
    for (const { svc, cfg } of odooServices(env)) {
      const gevent = routesTo(a, svc.name).filter((r) => routeTarget(r, cfg) === "gevent");
      const first = gevent[0];
      if (!first) continue;
      const o = opt(cfg, "workers");
      // Images derived from doodba may map a WORKERS/ODOO_WORKERS variable in their own conf.d, which the model cannot see.
      const implicit = o === undefined || o.source === "odoo-default" || o.source === "doodba-default";
      if (implicit && Object.keys(svc.environment).some((k) => /^(ODOO_)?WORKERS$/i.test(k))) continue;
      const workers = o === undefined ? 0 : odooInt(o.value);
      if (workers === undefined || workers > 0) continue;
      const how = implicit ? "workers is not set (0)" : `workers = ${o.value.trim()} (from ${o.source})`;
      out.push({
        message: `Odoo service ${svc.name}: ${describeRoute(first)} sends the bus to port ${first.port ?? "?"}, but ${how}, so no gevent process listens there`,
        pos: !implicit ? (o?.pos ?? first.pos) : (first.pos ?? svcPos(env, svc.name)),
      });
    }
    return out;
  },
};
