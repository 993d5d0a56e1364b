/**
 * Reading one top-level section (`deploy:`, `backup:`) of the project's `.doodba-ops.yaml`, with
 * a file:line:col for every mistake. The `check` section has its own loader (src/check/config.ts);
 * the other sections share these helpers.
 */
import { join } from "node:path";
import { LineCounter, isMap, isScalar, parseDocument } from "yaml";
import type { Node, Pair, YAMLMap } from "yaml";
import { UserError, type SourcePos } from "../errors.js";
import type { Fs } from "../platform/fs.js";

/** The names the config file may have, first found wins. */
export const CONFIG_FILES = [".doodba-ops.yaml", ".doodba-ops.yml"] as const;

/** The position of a YAML node, for messages. */
export type PosOf = (n: unknown) => SourcePos;

/** The first config file present in `dir`: its name and text. */
export function findConfigFile(fs: Fs, dir: string): { name: string; text: string } | undefined {
  for (const f of CONFIG_FILES) {
    const p = join(dir, f);
    if (fs.exists(p)) return { name: f, text: fs.readText(p) };
  }
  return undefined;
}

/**
 * Parses the config text and returns the node of section `name` (undefined when the section is
 * absent or empty) and a position function for messages.
 * @throws UserError at file:line:col when the text is not valid YAML.
 */
export function readSection(text: string, file: string, name: string, hint?: string): { node: unknown; posOf: PosOf } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const posOf: PosOf = (node) => {
    const p = lc.linePos((node as Node | null)?.range?.[0] ?? 0);
    return { file, line: Math.max(1, p.line), col: Math.max(1, p.col) };
  };
  const err = doc.errors[0];
  if (err) {
    const p = lc.linePos(err.pos[0]);
    throw new UserError(`${file} is not valid YAML: ${err.message.split("\n")[0] ?? ""}`, { pos: { file, line: p.line, col: p.col }, ...(hint ? { hint } : {}) });
  }
  const root = doc.contents;
  if (!isMap(root)) return { node: undefined, posOf };
  const section = root.items.find((p) => isScalar(p.key) && p.key.value === name);
  return { node: section && !isNullNode(section.value) ? section.value : undefined, posOf };
}

export function isNullNode(n: unknown): boolean {
  return n === null || n === undefined || (isScalar(n) && n.value === null);
}

export function mapOf(n: unknown, where: string, posOf: PosOf): YAMLMap {
  if (!isMap(n)) throw new UserError(`${where} must be a mapping (key: value lines)`, { pos: posOf(n) });
  return n;
}

/**
 * The pairs of a mapping by key, refusing keys not in `allowed`. `aliases` maps other spellings
 * (camelCase) to the allowed key; a key given in both spellings is refused.
 */
export function pairs(m: YAMLMap, allowed: readonly string[], where: string, posOf: PosOf, aliases: Record<string, string> = {}): Map<string, Pair> {
  const out = new Map<string, Pair>();
  for (const p of m.items) {
    const raw = isScalar(p.key) ? String(p.key.value) : "";
    const key = aliases[raw] ?? raw;
    if (!allowed.includes(key)) throw new UserError(`Unknown key "${raw}" in ${where}`, { pos: posOf(p.key), hint: `Valid keys: ${allowed.join(", ")}.` });
    if (out.has(key)) throw new UserError(`${where}.${key} is given twice (${key} and its camelCase spelling)`, { pos: posOf(p.key) });
    out.set(key, p);
  }
  return out;
}

export function oneOf<T extends string>(n: unknown, where: string, valid: readonly T[], posOf: PosOf): T {
  const v = isScalar(n) ? n.value : undefined;
  if (typeof v === "string" && (valid as readonly string[]).includes(v)) return v as T;
  throw new UserError(`Invalid value ${JSON.stringify(v ?? null)} for ${where}`, { pos: posOf(n), hint: `Valid values: ${valid.join(" | ")}.` });
}
