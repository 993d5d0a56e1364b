import type { ProxyRoute } from "../../lib/proxy.js";
import type { RawFinding, Rule } from "../../types.js";
import { odooServices, svcPos } from "../../lib/common.js";
import { analyzeProxy, describeRoute, routesTo } from "../../lib/proxy.js";

export const rule: Rule = {
  id: "prod-domain-without-tls",
  category: "security",
  severity: "error",
  title: "Production Odoo served over plain HTTP",
  why:
    "Without TLS, logins, session cookies and every business document cross the network in clear text: anyone on the " +
    "path (public Wi-Fi, a compromised router, the hosting network) can read them and hijack sessions.",
  fix:
    "Serve the domain over HTTPS and redirect HTTP to it. Traefik 2/3: `traefik.http.routers.<name>.tls.certresolver: letsencrypt` " +
    "on a TLS entry point plus a redirectScheme middleware on the plain-HTTP router; nginx: `listen 443 ssl;` with " +
    "ssl_certificate/ssl_certificate_key and a port-80 server that does `return 301 https://$host$request_uri;`.",
  appliesTo: { envs: ["prod"] },
  example: "server {\n  listen 80;\n  location / { proxy_pass http://odoo:8069; }\n}",
  scope: "env",
  check(env, ctx) {
    const a = analyzeProxy(env, ctx.project);
    if (!a.present) return [];
    const out: RawFinding[] = [];
    for (const { svc } of odooServices(env)) {
      const plain = routesTo(a, svc.name).filter((r) => r.tls === false && r.httpsRedirect !== true);
      // One finding per router / nginx server.
      const groups = new Map<string, ProxyRoute[]>();
      for (const r of plain) {
        const key = `${r.kind}|${r.router ?? ""}|${r.kind === "nginx" ? (r.pos?.file ?? "") : (r.pos?.line ?? "")}`;
        groups.set(key, [...(groups.get(key) ?? []), r]);
      }
      for (const routes of groups.values()) {
        const first = routes[0];
        if (!first) continue;
        const paths = [...new Set(routes.map((r) => r.pathPrefix ?? "/"))].join(", ");
        const why =
          first.kind === "nginx"
            ? "the nginx server has no `listen ... ssl` and does not redirect to https"
            : `its entry points (${first.entrypoints.join(", ") || "the defaults"}) are plain HTTP and no middleware redirects to https`;
        out.push({
          message: `Odoo service ${svc.name} is served without TLS by ${describeRoute(first)} (paths ${paths}): ${why}`,
          pos: first.pos ?? svcPos(env, svc.name),
        });
      }
    }
    return out;
  },
};
