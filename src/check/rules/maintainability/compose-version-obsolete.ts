import { posix } from "node:path";
import type { SourcePos } from "../../../errors.js";
import type { RawFinding, Rule } from "../../types.js";

/**
 * Compose files an environment reads: its root files and, recursively, the files their services
 * `extends` (`extends: {file: common.yaml, service: odoo}`), project-relative.
 */
export function composeFilesOf(rootFiles: readonly string[], read: (rel: string) => string | undefined): string[] {
  const seen = new Set<string>();
  const queue = [...rootFiles];
  while (queue.length > 0) {
    const f = posix.normalize(queue.shift() ?? "");
    if (seen.has(f)) continue;
    const text = read(f);
    if (text === undefined) continue;
    seen.add(f);
    for (const target of extendedFiles(text)) queue.push(posix.join(posix.dirname(f), target));
  }
  return [...seen];
}

/** `file:` values of `extends:` blocks in a compose file's text. */
export function extendedFiles(text: string): string[] {
  const out: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    // flow form: extends: {file: common.yaml, service: odoo}
    const flow = /^\s*extends\s*:\s*\{(.*)\}/.exec(line);
    if (flow) {
      const m = /(?:^|,)\s*file\s*:\s*["']?([^"',}\s]+)/.exec(flow[1] ?? "");
      if (m?.[1]) out.push(m[1]);
      continue;
    }
    const block = /^(\s*)extends\s*:\s*(#.*)?$/.exec(line);
    if (!block) continue;
    const indent = (block[1] ?? "").length;
    for (let j = i + 1; j < lines.length; j++) {
      const l = lines[j] ?? "";
      if (/^\s*(#.*)?$/.test(l)) continue;
      if (l.length - l.trimStart().length <= indent) break;
      const m = /^\s*file\s*:\s*["']?([^"'\s#]+)/.exec(l);
      if (m?.[1]) out.push(m[1]);
    }
  }
  return out;
}

/** Position of a top-level `version:` key, if the file has one. */
export function topLevelVersion(text: string, file: string): { value: string; pos: SourcePos } | undefined {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = /^version\s*:\s*(.*?)\s*(#.*)?$/.exec(lines[i] ?? "");
    if (m) return { value: (m[1] ?? "").replace(/^["']|["']$/g, ""), pos: { file, line: i + 1, col: 1 } };
  }
  return undefined;
}

export const rule: Rule = {
  id: "compose-version-obsolete",
  category: "maintainability",
  severity: "info",
  title: "Compose file declares the obsolete top-level `version:`",
  why:
    "Docker Compose v2 ignores `version:` (the Compose Specification has no versions) and prints \"the attribute `version` is obsolete\" on every command, noise that hides real warnings. " +
    "docker-compose 1.x before 1.27 (Debian 11 and Ubuntu 20.04 still package 1.25) needs it: it reads a file without `version:` as the legacy v1 format and rejects it, so drop the line only once every host runs Compose v2 (or docker-compose >= 1.27).",
  fix: "Delete the `version: \"2.4\"` line from the compose files when all your hosts use `docker compose` (v2).",
  appliesTo: {},
  example: 'version: "2.4"\nservices:\n  odoo: {build: ./odoo}',
  scope: "env",
  check(env, ctx) {
    const out: RawFinding[] = [];
    for (const file of composeFilesOf(env.compose.files, (f) => ctx.project.read(f))) {
      const text = ctx.project.read(file);
      if (text === undefined) continue;
      const v = topLevelVersion(text, file);
      if (!v) continue;
      out.push({ message: `${file} declares \`version: ${v.value}\`, which Compose v2 ignores`, pos: v.pos });
    }
    return out;
  },
};
