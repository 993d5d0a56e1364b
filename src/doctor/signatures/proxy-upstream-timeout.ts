import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "proxy-upstream-timeout",
  category: "proxy",
  severity: "error",
  title: "Proxy gave up waiting for Odoo (504)",
  patterns: [
    /upstream timed out \(110: (?:Connection|Operation) timed out\) while (?:reading response header from|connecting to) upstream/,
  ],
  loggers: ["nginx"],
  meaning: "nginx closed the request because Odoo did not answer within `proxy_read_timeout`: the user got a 504, while Odoo may still be working on it.",
  cause: "A slow request (report, import) longer than the proxy timeout (nginx's default is 60 s), or all workers busy.",
  fix: "Set `proxy_read_timeout 720s; proxy_connect_timeout 720s; proxy_send_timeout 720s;` (Odoo's deployment guide) and keep `limit_time_real` in line; add workers if they are all busy.",
  source: "nginx ngx_http_upstream.c",
  example: "2026/11/27 03:00:00 [error] 31#31: *1234 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 203.0.113.7, server: erp.example.com, request: \"POST /web/dataset/call_kw HTTP/1.1\", upstream: \"http://172.18.0.3:8069/web/dataset/call_kw\"",
};
