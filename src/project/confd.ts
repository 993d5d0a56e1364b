/**
 * odoo/custom/conf.d/*.conf: ini fragments that doodba concatenates (image conf.d first, then
 * custom, in name order) and expands `$VAR` in. Parsed by hand because configparser semantics
 * (continuation lines, `;`/`#` comments, `:` or `=`) with line numbers are not offered by the
 * npm `ini` package.
 */
import type { ConfdEntry, ConfdFile } from "./model.js";

export const CONFD_DIR = "odoo/custom/conf.d";

/**
 * @param initialSection section in effect at the top of the file: doodba concatenates files,
 * so a file without a header continues the previous file's section (usually [options]).
 */
export function parseConfd(text: string, file: string, initialSection = "options"): ConfdFile & { endSection: string } {
  const entries: ConfdEntry[] = [];
  let section = initialSection;
  let last: ConfdEntry | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (/^\s*$/.test(line) || /^\s*[;#]/.test(line)) {
      last = undefined;
      return;
    }
    const h = /^\s*\[([^\]]+)\]/.exec(line);
    if (h) {
      section = (h[1] ?? "").trim();
      last = undefined;
      return;
    }
    if (/^\s/.test(line) && last) {
      last.raw += "\n" + line.trim();
      return;
    }
    const m = /^\s*([^=:\s][^=:]*?)\s*[=:]\s?(.*)$/.exec(line);
    if (!m) return;
    const lead = line.length - line.trimStart().length;
    last = { section, key: (m[1] ?? "").trim(), raw: (m[2] ?? "").trim(), pos: { file, line: i + 1, col: lead + 1 } };
    entries.push(last);
  });
  return { path: file, entries, endSection: section };
}

/**
 * Expands `$VAR` / `${VAR}` like doodba's config generation (Python string.Template
 * safe_substitute): `$$` is a literal `$`; unknown variables are left as written.
 */
export function expandConfValue(raw: string, vars: Record<string, string | null | undefined>): string {
  return raw.replace(/\$(?:\$|([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})/g, (whole, a?: string, b?: string) => {
    if (whole === "$$") return "$";
    const name = a ?? b ?? "";
    const v = vars[name];
    return v === undefined || v === null ? whole : v;
  });
}
