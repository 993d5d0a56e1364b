import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "running-as-root",
  category: "security",
  severity: "warning",
  title: "Odoo runs as root",
  patterns: [
    /^Running as user 'root' is a security risk/,
  ],
  meaning: "The Odoo process runs as root inside its container: a code execution flaw in any addon (or a malicious one) owns the container and everything mounted into it.",
  cause: "A custom image or entrypoint that does not drop to the `odoo` user (Doodba's image runs as `odoo`, uid 1000), or `user: root` in the compose file.",
  fix: "Run as an unprivileged user: remove `user: root` from the service, or add `USER odoo` to the Dockerfile; give the data volumes to that user (`chown -R 1000:1000`).",
  source: "odoo/cli/server.py (check_root_user)",
  example: "Running as user 'root' is a security risk.",
};
