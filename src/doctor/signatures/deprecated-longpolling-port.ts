import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "deprecated-longpolling-port",
  category: "proxy",
  severity: "info",
  title: "longpolling_port is deprecated (use gevent_port)",
  patterns: [
    /longpolling-port is a deprecated alias to the gevent-port option/,
    /longpolling_port.*deprecated/,
  ],
  levels: ["WARNING"],
  meaning: "Since Odoo 16 the evented port is `gevent_port`; `longpolling_port` still works as an alias but is going away.",
  cause: "An old `longpolling_port` in odoo.conf or `--longpolling-port` in the command.",
  fix: "Rename it: `gevent_port = 8072` in conf.d (or `--gevent-port=8072`), and route `/websocket` (not `/longpolling`) to that port at the proxy.",
  odoo: ">=16",
  source: "odoo/tools/config.py",
  example: "2026-11-27 03:00:00,000 1 WARNING ? py.warnings: /opt/odoo/odoo/tools/config.py:634: DeprecationWarning: The longpolling-port is a deprecated alias to the gevent-port option, please use the latter.",
};
