import type { RawFinding, Rule } from "../../types.js";
import { odooServices } from "../../lib/common.js";
import { analyzeProxy, busPath, describeRoute, routesTo } from "../../lib/proxy.js";

export const rule: Rule = {
  id: "websocket-route-path-wrong",
  category: "reliability",
  severity: "error",
  title: "Bus route uses the wrong path for the Odoo version",
  why:
    "Odoo 16 replaced longpolling with a websocket at /websocket; up to 15 the bus is /longpolling/poll. A proxy that routes " +
    "the old path to the gevent port leaves the real one on the main route: in prefork mode the HTTP workers cannot hold " +
    "the connection (17+ logs `Couldn't bind the websocket. Is the connection opened on the evented port`, 16 `KeyError: 'socket'`, " +
    "older `bus.Bus unavailable`), so chat, notifications and live updates fail.",
  fix: "Route the path of your version to the gevent port 8072: `/websocket` for Odoo 16 and later (Traefik: `Host(`erp.example.com`) && Path(`/websocket`)`; nginx: `location /websocket { proxy_pass http://odoo:8072; ... Upgrade headers }`), `/longpolling/` for 15 and earlier.",
  appliesTo: { envs: ["any-non-devel"] },
  example: "# Odoo 17\nlabels:\n  traefik.http.routers.lp.rule: Host(`erp.example.com`) && PathPrefix(`/longpolling/`)",
  scope: "env",
  check(env, ctx) {
    const major = ctx.project.odooVersion?.major;
    if (major === undefined) return [];
    const a = analyzeProxy(env, ctx.project);
    if (!a.present) return [];
    const want = major >= 16 ? "websocket" : "longpolling";
    const wrong = major >= 16 ? "longpolling" : "websocket";
    const out: RawFinding[] = [];
    for (const { svc } of odooServices(env)) {
      const routes = routesTo(a, svc.name);
      const bad = routes.filter((r) => busPath(r) === wrong);
      const first = bad[0];
      // A leftover route next to the right one is harmless.
      if (!first || routes.some((r) => busPath(r) === want)) continue;
      out.push({
        message: `Odoo ${major} serves the bus at /${want}, but ${describeRoute(first)} routes /${wrong} and nothing routes /${want} to the gevent port of service ${svc.name}`,
        pos: first.pos,
        fix:
          major >= 16
            ? "Change the route's path to `/websocket` (Traefik: `Path(`/websocket`)`), keeping it on port 8072 and passing the Upgrade/Connection headers."
            : "Change the route's path to `/longpolling/` (Traefik: `PathPrefix(`/longpolling/`)`), keeping it on port 8072.",
      });
    }
    return out;
  },
};
