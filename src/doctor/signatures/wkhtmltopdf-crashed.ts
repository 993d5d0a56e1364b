import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "wkhtmltopdf-crashed",
  category: "reports",
  severity: "error",
  title: "wkhtmltopdf crashed or failed",
  patterns: [
    /Wkhtmltopdf failed \(error code: -?\d+\)/,
  ],
  exclude: [/due to network error/],
  meaning: "The PDF renderer exited with an error; the report was not produced. Error code -11 (segmentation fault) is usually memory.",
  cause: "-11: `limit_memory_hard` too low for wkhtmltopdf (it runs as a child of the worker and shares its address-space limit) or too many files; other codes: a broken binary or fonts.",
  fix: "Raise `limit_memory_hard` (e.g. `limit_memory_hard = 2684354560`), print large batches in smaller chunks, and use the patched-Qt wkhtmltopdf 0.12.6.",
  source: "odoo/addons/base/models/ir_actions_report.py (_run_wkhtmltopdf)",
  example: "Wkhtmltopdf failed (error code: -11). Memory limit too low or maximum file number of subprocess reached. Message : b''",
};
