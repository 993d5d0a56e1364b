import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "address-in-use",
  category: "server",
  severity: "critical",
  title: "Port already in use: a second Odoo (or another process) holds the HTTP port",
  patterns: [
    /\[Errno 98\] Address already in use/,
    /OSError: \[Errno 48\] Address already in use/,
  ],
  meaning: "Odoo could not bind its HTTP (or gevent) port. In threaded mode the HTTP thread dies but the process stays up without serving anything; in prefork mode the server exits.",
  cause: "Another Odoo is still running on the same port (an old container, a `docker compose run` left behind, `odoo shell` started without `--no-http`), or `http_port`/`gevent_port` collide with another service.",
  fix: "Find and stop the other process (`docker compose ps`, `ss -ltnp | grep 8069`); run one-off commands with `--no-http` (`docker compose run --rm odoo odoo shell --no-http`), and give each instance its own `http_port`/`gevent_port`.",
  source: "odoo/service/server.py (ThreadedServer.http_thread, PreforkServer.start)",
  example: "OSError: [Errno 98] Address already in use",
};
