import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "request-exception",
  category: "server",
  severity: "error",
  title: "Unhandled exception during an HTTP request (500)",
  patterns: [
    /^Exception during (?:JSON |HTTP )?request handling/,
    /^Exception on \/\S*/,
    /^Error on request:/,
  ],
  levels: ["ERROR", "CRITICAL"],
  fallback: true,
  meaning: "A request failed with an exception that no more specific signature explains; the user got an error page or an RPC error.",
  cause: "Read the last line of the traceback: a bug in a custom module, data the code does not expect, or an infrastructure problem.",
  fix: "Look at the samples and their tracebacks (`grep -n -A40 '<timestamp>' odoo.log`); group by the exception line in the \"unrecognised errors\" finding.",
  source: "odoo/http.py (Application.__call__)",
  example: "2026-11-27 02:12:25,791 17885 ERROR acme_test odoo.http: Exception during request handling.",
};
