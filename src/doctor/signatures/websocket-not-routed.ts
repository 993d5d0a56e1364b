import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "websocket-not-routed",
  category: "proxy",
  severity: "error",
  title: "Websocket/longpolling reached the HTTP port instead of the gevent port",
  patterns: [
    /Couldn't bind the websocket\. Is the connection opened on the evented port/,
    /^KeyError: 'socket'$/,
    /bus\.Bus unavailable/,
  ],
  meaning: "The browser's real-time channel (`/websocket` from 16, `/longpolling/poll` before) was served by an HTTP worker, which cannot hold it: every attempt fails with a 500, so chat, notifications and live updates do not work and the logs fill with tracebacks.",
  cause: "The proxy sends `/websocket` (or `/longpolling/`) to port 8069 instead of the gevent port 8072, or Odoo runs prefork workers without the proxy route at all.",
  fix: "Route `/websocket` (Odoo 16+) or `/longpolling/` (<=15) to port 8072 with the Upgrade and Connection headers (nginx: `location /websocket { proxy_pass http://odoo:8072; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade; }`; Traefik: a router with `PathPrefix(`/websocket`)` to a service on 8072). `doodba-ops check` reports websocket-route-* problems.",
  source: "addons/bus/websocket.py (open_connection), addons/bus/controllers/main.py",
  example: "RuntimeError: Couldn't bind the websocket. Is the connection opened on the evented port (18072)?",
};
