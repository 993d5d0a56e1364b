import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "wkhtmltopdf-network-error",
  category: "reports",
  severity: "error",
  title: "wkhtmltopdf could not fetch the report's assets (report.url / web.base.url)",
  patterns: [
    /Exit with code 1 due to network error/,
    /ContentNotFoundError|HostNotFoundError|ConnectionRefusedError.*wkhtmltopdf/,
  ],
  meaning: "wkhtmltopdf loads CSS and images from Odoo over HTTP; it could not, so PDFs come out without styling (or fail).",
  cause: "`web.base.url` (or `report.url`) points at the public domain, which the container cannot reach (hairpin NAT, TLS, a proxy that requires auth), or at a port not listening in the container.",
  fix: "Set the system parameter `report.url` to `http://localhost:8069` (Settings > Technical > System Parameters) so wkhtmltopdf talks to Odoo inside the container, and set `web.base.url.freeze = True` with the right public `web.base.url`.",
  source: "odoo/addons/base/models/ir_actions_report.py (_run_wkhtmltopdf)",
  example: "Wkhtmltopdf failed (error code: -11). Message: Exit with code 1 due to network error: ConnectionRefusedError",
};
