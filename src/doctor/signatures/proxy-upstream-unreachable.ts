import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "proxy-upstream-unreachable",
  category: "proxy",
  severity: "critical",
  title: "Proxy could not connect to Odoo (502)",
  patterns: [
    /connect\(\) failed \(111: Connection refused\) while connecting to upstream/,
    /no live upstreams while connecting to upstream/,
    /could not be resolved \(\d+: [^)]*\)/,
  ],
  loggers: ["nginx"],
  meaning: "nginx could not open a connection to Odoo: users get 502 Bad Gateway.",
  cause: "Odoo is down or restarting, the upstream port is wrong, or `/websocket` is routed to 8072 while Odoo runs without workers (nothing listens on 8072 then).",
  fix: "Check `docker compose ps odoo` and its logs; make sure the upstream ports match (8069 HTTP, 8072 gevent with `workers > 0`); add a healthcheck so the proxy only routes to a ready Odoo.",
  source: "nginx ngx_http_upstream.c",
  example: "2026/11/27 03:00:00 [error] 31#31: *77 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.7, server: erp.example.com, request: \"GET /websocket HTTP/1.1\", upstream: \"http://172.18.0.3:8072/websocket\"",
};
