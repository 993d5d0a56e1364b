import type { ProxyRoute } from "../../lib/proxy.js";
import type { RawFinding, Rule } from "../../types.js";
import { analyzeProxy, describeRoute } from "../../lib/proxy.js";
import { odooBool, odooServices, optValue, svcPos } from "../../lib/common.js";

function fixFor(r: ProxyRoute): string {
  const host = r.hosts[0] ?? "example.com";
  if (r.kind === "nginx") {
    return "In the nginx server block add `location ~* ^/web/database { deny all; }` (or `allow <admin CIDR>; deny all;` before the proxy_pass), then `nginx -t` and reload.";
  }
  if (r.kind === "traefik1") {
    return `Add a Traefik 1 frontend that restricts the manager, e.g. \`traefik.dbmanager.frontend.rule: "Host:${host};PathPrefix:/web/database"\` with \`traefik.dbmanager.frontend.whiteList.sourceRange: "<admin CIDR>"\` and \`traefik.dbmanager.port: "8069"\`.`;
  }
  return (
    `Add a router that wins over the Odoo routers for the manager and answers nothing, e.g. ` +
    `\`traefik.http.routers.dbmanager.rule: Host(\\\`${host}\\\`) && PathPrefix(\\\`/web/database\\\`)\`, ` +
    `\`traefik.http.routers.dbmanager.service: noop@internal\` and \`traefik.http.routers.dbmanager.priority: 1000\` ` +
    `(or route it to Odoo through an ipAllowList/ipWhiteList middleware with your admin CIDR), on the same entry points/TLS as the main router.`
  );
}

export const rule: Rule = {
  id: "db-manager-exposed",
  category: "security",
  severity: "error",
  title: "Database manager reachable through the proxy",
  why:
    "Anyone who reaches /web/database/* can try master passwords without limit and, with the right one, back up " +
    "(download), duplicate, restore over and drop every database. The doodba-copier-template routes the whole host to " +
    "Odoo and blocks nothing there; with list_db off Odoo refuses the manager's functions, but the pages are still served " +
    "and remain a target for password guessing.",
  fix: "Block /web/database at the proxy in production, or allow it only from an admin CIDR (Traefik: a higher-priority router to noop@internal or with an ipAllowList middleware; nginx: `location ~* ^/web/database { deny all; }`).",
  appliesTo: { envs: ["prod"] },
  example:
    "services:\n  odoo:\n    labels:\n      traefik.http.routers.main.rule: Host(`erp.example.com`)\n      traefik.http.services.main.loadbalancer.server.port: 8069",
  scope: "env",
  check(env, ctx) {
    const a = analyzeProxy(env, ctx.project);
    if (a.dbManagerBlocked !== false) return [];
    const out: RawFinding[] = [];
    for (const { svc, cfg } of odooServices(env)) {
      const routes = a.dbManagerRoutes.filter((r) => r.service === svc.name);
      const first = routes[0];
      if (!first) continue;
      const listDb = odooBool(optValue(cfg, "list_db"));
      const impact =
        listDb === false
          ? "list_db is off, so Odoo refuses the manager's create/backup/restore/drop calls, but the pages are served and the master password can still be guessed there"
          : "list_db is on, so the manager's backup, restore, duplicate and drop functions work for whoever has the master password";
      // One mention per router (a router with several path alternatives appears once).
      const byRouter = new Map<string, ProxyRoute>();
      for (const r of routes) if (!byRouter.has(`${r.kind}|${r.router ?? ""}|${r.pos?.line ?? ""}`)) byRouter.set(`${r.kind}|${r.router ?? ""}|${r.pos?.line ?? ""}`, r);
      const via = [...byRouter.values()].slice(0, 3).map(describeRoute).join("; ");
      out.push({
        message: `/web/database/* of Odoo service ${svc.name} is served through ${via}: nothing at the proxy blocks it; ${impact}`,
        pos: first.pos ?? svcPos(env, svc.name),
        fix: fixFor(first),
      });
    }
    return out;
  },
};
