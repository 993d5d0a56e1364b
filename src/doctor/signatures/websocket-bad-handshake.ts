import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "websocket-bad-handshake",
  category: "proxy",
  severity: "warning",
  title: "Websocket handshake without the required headers",
  patterns: [
    /Empty or missing header\(s\): /,
    /Invalid upgrade header/,
    /Invalid connection header/,
  ],
  meaning: "The gevent port received a websocket request without Upgrade/Connection/Origin/Sec-WebSocket-* headers and answered 400: the browser falls back to reconnecting forever.",
  cause: "The proxy does not forward the Upgrade and Connection headers (nginx needs them set explicitly, HTTP/1.1, and `map $http_upgrade $connection_upgrade`), or strips Origin.",
  fix: "In nginx's `/websocket` location: `proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade;` and keep the Origin header; Traefik forwards them by default.",
  odoo: ">=16",
  source: "addons/bus/websocket.py (_assert_handshake_validity)",
  example: "werkzeug.exceptions.BadRequest: 400 Bad Request: Empty or missing header(s): upgrade",
};
