import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "wkhtmltopdf-missing",
  category: "reports",
  severity: "warning",
  title: "wkhtmltopdf not found: PDF reports cannot be printed",
  patterns: [
    /You need Wkhtmltopdf to print a pdf version of the reports/,
    /Unable to find Wkhtmltopdf on this system/,
    /Wkhtmltopdf seems to be broken/,
  ],
  loggers: ["odoo.addons.base.models.ir_actions_report", "odoo.http", "odoo.addons.web"],
  meaning: "Odoo did not find a working `wkhtmltopdf` binary: printing a report to PDF (invoices, quotations) fails or falls back to HTML.",
  cause: "An image without wkhtmltopdf (Doodba images ship the patched-Qt build; source installs and custom images often do not), or a binary that does not run.",
  fix: "Use the Doodba image, or install the patched-Qt build of wkhtmltopdf 0.12.6 in the image (`apt.txt` cannot: Debian's build lacks the patched Qt); or set `bin_path` to where it is.",
  source: "odoo/addons/base/models/ir_actions_report.py",
  example: "2026-11-27 01:54:55,060 18851 INFO ? odoo.addons.base.models.ir_actions_report: You need Wkhtmltopdf to print a pdf version of the reports.",
};
