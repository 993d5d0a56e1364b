/**
 * `.env` and `env_file` parsing with Docker Compose semantics and line positions.
 * Hand-written because the `dotenv` package keeps no positions and differs from Compose
 * (Compose: `export` prefix allowed, `KEY` without `=` passes the host value through,
 * single quotes are literal, double quotes process \n escapes, ` #` starts an inline comment
 * in unquoted values).
 */
import type { SourcePos } from "../errors.js";
import { UserError } from "../errors.js";

export interface EnvEntry {
  key: string;
  /** undefined for a bare `KEY` line (value comes from the host environment). */
  value: string | undefined;
  pos: SourcePos;
}

export function parseDotEnv(text: string, file: string): EnvEntry[] {
  const out: EnvEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? "";
    const line = raw.replace(/^\uFEFF/, "");
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const lead = line.length - line.trimStart().length;
    let body = trimmed.replace(/^export\s+/, "");
    const eq = body.indexOf("=");
    const pos = { file, line: i + 1, col: lead + 1 };
    if (eq < 0) {
      if (!/^[A-Za-z_][\w.-]*$/.test(body)) {
        throw new UserError(`Cannot parse line ${i + 1} of ${file}: expected KEY=VALUE`, {
          pos,
          hint: "Each line must be KEY=VALUE, a bare KEY, or a # comment.",
        });
      }
      out.push({ key: body, value: undefined, pos });
      continue;
    }
    const key = body.slice(0, eq).trim();
    if (!/^[A-Za-z_][\w.-]*$/.test(key)) {
      throw new UserError(`Invalid variable name "${key}" in ${file}`, {
        pos,
        hint: "Variable names start with a letter or underscore and contain letters, digits, _ . -",
      });
    }
    body = body.slice(eq + 1);
    let value: string;
    const q = body.trimStart()[0];
    if (q === '"' || q === "'") {
      let rest = body.trimStart().slice(1);
      // Multi-line quoted values continue on the next lines until the closing quote.
      let close = findCloseQuote(rest, q);
      while (close < 0 && i + 1 < lines.length) {
        i++;
        rest += "\n" + (lines[i] ?? "");
        close = findCloseQuote(rest, q);
      }
      if (close < 0) {
        throw new UserError(`Unterminated ${q === '"' ? "double" : "single"}-quoted value for ${key} in ${file}`, {
          pos,
          hint: `Close the quote opened on line ${pos.line}.`,
        });
      }
      value = rest.slice(0, close);
      if (q === '"') value = value.replace(/\\(["\\nrt$])/g, (_m, c: string) => ({ n: "\n", r: "\r", t: "\t" })[c] ?? c);
    } else {
      value = body.replace(/\s+#.*$/, "").trim();
    }
    out.push({ key, value, pos });
  }
  return out;
}

function findCloseQuote(s: string, q: string): number {
  for (let j = 0; j < s.length; j++) {
    if (q === '"' && s[j] === "\\") {
      j++;
      continue;
    }
    if (s[j] === q) return j;
  }
  return -1;
}
