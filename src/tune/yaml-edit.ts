/**
 * Surgical edits of a user's YAML file: `yaml`'s Document API parses the file and locates the
 * nodes (their source ranges); each change is spliced into the original text, rendered with
 * `yaml`'s stringifier at the indentation the file already uses. Every byte outside the edited
 * values stays as it was: comments, key order, quoting, folded long scalars, `? ` keys, flow
 * spacing. (Re-serialising the whole Document would not: on the Doodba corpus, `toString()`
 * rewrites 24 of 48 compose files even with no change, e.g. `[sh, -c]` -> `[ sh, -c ]`, refolded
 * labels, 4-space files re-indented to 2.)
 *
 * After the splices the result is parsed again and compared with the original data plus the
 * intended changes: any other difference is a bug and throws, so a user's file is never written
 * with an unintended change.
 */
import { isDeepStrictEqual } from "node:util";
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, stringify, visit, type Document, type Node, type Pair, type Scalar, type YAMLMap } from "yaml";
import { UserError } from "../errors.js";

export type YPath = readonly (string | number)[];

interface Splice {
  start: number;
  end: number;
  text: string;
  /** Insertions at the same offset: the deeper mapping's keys come first. */
  depth?: number;
}

interface PendingKeys {
  map: YAMLMap;
  /** The JS path of the map (for the expected data). */
  path: YPath;
  entries: Map<string, { value: unknown; comment?: string }>;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** A plain JS object (not an array or null). */
function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export class YamlEditor {
  readonly file: string;
  readonly original: string;
  private readonly doc: Document.Parsed;
  private readonly expected: unknown;
  private readonly splices: Splice[] = [];
  private readonly pending = new Map<YAMLMap, PendingKeys>();
  private readonly unit: number;
  private readonly indentSeq: boolean;
  private readonly aliased = new Set<string>();

  /** @throws UserError when the text is not valid YAML. */
  constructor(text: string, file: string) {
    this.file = file;
    this.original = text;
    this.doc = parseDocument(text, { merge: true, uniqueKeys: false, keepSourceTokens: false });
    const err = this.doc.errors[0];
    if (err) {
      throw new UserError(`${file} is not valid YAML: ${err.message.split("\n")[0] ?? err.message}`, {
        hint: "Fix the file (doodba-ops check reports where), then run tune again. Nothing was written.",
      });
    }
    this.expected = this.toData(this.doc);
    const style = detectStyle(this.doc, text);
    this.unit = style.unit;
    this.indentSeq = style.indentSeq;
    visit(this.doc, {
      Alias: (_k, n) => {
        this.aliased.add(n.source);
      },
    });
  }

  private toData(doc: Document): unknown {
    return doc.toJS({ maxAliasCount: -1 }) as unknown;
  }

  /** The data at a path (after merge keys and aliases), or undefined. */
  get(path: YPath): unknown {
    let cur: unknown = this.expected;
    for (const k of path) {
      if (Array.isArray(cur) && typeof k === "number") cur = cur[k];
      else if (isObj(cur) && typeof k === "string") cur = cur[k];
      else return undefined;
    }
    return cur;
  }

  /** The node written at a path of this file (no merge keys followed), or undefined. */
  node(path: YPath): Node | undefined {
    const n = this.doc.getIn(path, true) as Node | undefined;
    return n ?? undefined;
  }

  /** Whether the map at `path` is written in this file with the key (not through a merge key). */
  hasOwn(path: YPath): boolean {
    const parent = path.length === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, -1), true);
    const key = path[path.length - 1];
    return isMap(parent) && typeof key === "string" && parent.has(key);
  }

  private setExpected(path: YPath, value: unknown): void {
    let cur: unknown = this.expected;
    for (let i = 0; i < path.length - 1; i++) {
      const k = path[i] as string | number;
      const next = isObj(cur) ? cur[k as string] : Array.isArray(cur) ? cur[k as number] : undefined;
      if (!isObj(next) && !Array.isArray(next)) {
        if (!isObj(cur)) throw new Error(`${this.file}: cannot set ${path.join(".")} (not a mapping)`);
        cur[k as string] = {};
      }
      cur = isObj(cur) ? cur[k as string] : (cur as unknown[])[k as number];
    }
    const last = path[path.length - 1];
    if (isObj(cur) && typeof last === "string") cur[last] = clone(value);
    else if (Array.isArray(cur) && typeof last === "number") cur[last] = clone(value);
    else throw new Error(`${this.file}: cannot set ${path.join(".")}`);
  }

  /**
   * Sets the value at `path` (a mapping key), creating the mappings on the way. A value equal to
   * what the file holds (after merges) is left alone when it is written at that very key.
   * @param comment a comment line written above a key this call adds
   */
  set(path: YPath, value: unknown, comment?: string): void {
    if (path.length === 0) throw new Error("empty path");
    const key = path[path.length - 1];
    if (typeof key !== "string") throw new Error(`${this.file}: set() takes a mapping key, got ${String(key)}`);
    // Walk down the existing mappings.
    let map: unknown = this.doc.contents;
    let depth = 0;
    let flow: { map: YAMLMap; path: YPath } | undefined;
    for (; depth < path.length - 1; depth++) {
      if (!isMap(map)) break;
      if (map.flow && !flow) flow = { map, path: path.slice(0, depth) };
      const k = path[depth] as string;
      const child = map.get(k, true);
      if (!isMap(child)) {
        if (child !== undefined && !(isScalar(child) && child.value === null)) {
          throw new UserError(`${this.file}: ${path.slice(0, depth + 1).join(".")} is not a mapping, so tune cannot set ${path.join(".")} in it`, {
            hint: "Edit that key by hand, or write it as a mapping, then run tune again.",
          });
        }
        if (child !== undefined) {
          throw new UserError(`${this.file}: ${path.slice(0, depth + 1).join(".")} is empty; tune cannot add ${path.slice(depth + 1).join(".")} under it`, {
            hint: "Remove the empty key or give it a value, then run tune again.",
          });
        }
        break;
      }
      map = child;
    }
    if (!isMap(map)) throw new UserError(`${this.file}: ${path.slice(0, depth).join(".") || "the document"} is not a mapping`);
    if (map.flow && !flow) flow = { map, path: path.slice(0, depth) };
    if (flow) {
      // Inside a flow mapping (`{memory: 4G}`): the whole flow mapping is written again.
      if (isDeepStrictEqual(this.get(path), value)) return;
      this.checkAnchor(flow.map, flow.path);
      if (!this.pending.has(flow.map)) this.pending.set(flow.map, { map: flow.map, path: flow.path, entries: new Map() });
      const base = this.get(path.slice(0, depth + 1));
      const rest = path.slice(depth);
      let nested: unknown = value;
      for (let i = rest.length - 1; i >= 1; i--) nested = { [rest[i] as string]: nested };
      this.setExpected(path.slice(0, depth + 1), isObj(base) && isObj(nested) ? deepMerge(base, nested) : nested);
      return;
    }
    if (depth === path.length - 1) {
      const existing = map.get(key, true) as Node | undefined;
      if (existing !== undefined && existing !== null) {
        const now = this.get(path);
        if (isDeepStrictEqual(now, value)) return;
        this.replaceNode(map, key, existing as Node, value, path);
        this.setExpected(path, value);
        return;
      }
    }
    // Missing from depth on: a pending key of `map` holding the rest of the path as nested objects.
    const rest = path.slice(depth);
    const first = rest[0] as string;
    let nested: unknown = value;
    for (let i = rest.length - 1; i >= 1; i--) nested = { [rest[i] as string]: nested };
    const p = this.pending.get(map) ?? { map, path: path.slice(0, depth), entries: new Map() };
    this.pending.set(map, p);
    const prev = p.entries.get(first);
    p.entries.set(first, { value: prev && isObj(prev.value) && isObj(nested) ? deepMerge(prev.value, nested) : nested, comment: prev ? prev.comment : comment });
    // The expected data: merge keys in the source may already define part of it.
    const base = this.get(path.slice(0, depth + 1));
    this.setExpected(path.slice(0, depth + 1), isObj(base) && isObj(nested) ? deepMerge(base, nested) : nested);
  }

  /**
   * Makes the sequence at `path` equal to `values` by replacing the items that differ and
   * appending the new ones (it never removes items). A scalar string there (a shell-form
   * `command:`) is rewritten as one string of the values joined by spaces.
   */
  setSequence(path: YPath, values: readonly string[]): void {
    const node = this.node(path);
    const current = this.get(path);
    if (node === undefined) {
      this.set(path, [...values]);
      return;
    }
    if (isScalar(node) && typeof node.value === "string") {
      const joined = values.join(" ");
      if (current === joined) return;
      this.replaceScalar(node, joined, path);
      this.setExpected(path, joined);
      return;
    }
    if (!isSeq(node)) throw new UserError(`${this.file}: ${path.join(".")} is neither a list nor a string`, { hint: "Edit it by hand, then run tune again." });
    if (node.items.length > values.length) throw new Error(`${this.file}: setSequence would remove items of ${path.join(".")}`);
    this.checkAnchor(node, path);
    const items = node.items as unknown[];
    values.forEach((v, i) => {
      const item = items[i];
      if (item === undefined) return;
      if (!isScalar(item)) throw new UserError(`${this.file}: item ${i} of ${path.join(".")} is not a plain value`, { hint: "Edit it by hand, then run tune again." });
      if (item.value === v) return;
      const start = item.range?.[0];
      this.replaceScalar(item, v, [...path, i], node.flow === true, undefined, start === undefined ? undefined : this.dashColumn(start) + 2);
    });
    const extra = values.slice(items.length);
    if (extra.length > 0) {
      const end = node.range?.[1];
      if (end === undefined) throw new Error("no source range");
      if (node.flow) {
        // before the closing bracket
        const close = this.original.lastIndexOf("]", end);
        const inner = this.original.slice(this.original.indexOf("[", node.range?.[0] ?? 0) + 1, close).trim();
        const text = (inner === "" ? "" : ", ") + extra.map((v) => flowScalar(v)).join(", ");
        this.splices.push({ start: close, end: close, text });
      } else {
        const last = items[items.length - 1] as Node | undefined;
        const lastStart = last?.range?.[0];
        if (lastStart === undefined) throw new Error("empty block sequence");
        const dashCol = this.dashColumn(lastStart);
        const at = this.lineEnd(last?.range?.[1] ?? lastStart);
        const text = extra.map((v) => `${" ".repeat(dashCol)}- ${scalarText(v, dashCol + 2)}\n`).join("");
        this.splices.push({ start: at.offset, end: at.offset, text: (at.needsNewline ? "\n" : "") + text, depth: path.length });
      }
    }
    this.setExpected(path, [...values]);
  }

  private checkAnchor(node: Node, path: YPath): void {
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor && this.aliased.has(anchor)) {
      throw new UserError(`${this.file}: ${path.join(".")} carries the anchor &${anchor}, which other values refer to; changing it would change them too`, {
        hint: `Give ${path.join(".")} its own value (not the anchor) by hand, then run tune again.`,
      });
    }
  }

  private replaceNode(map: YAMLMap, key: string, node: Node, value: unknown, path: YPath): void {
    this.checkAnchor(node, path);
    if (isAlias(node)) {
      // `key: *anchor`: replace the alias with the value.
      const r = node.range;
      if (!r) throw new Error("no source range");
      this.splices.push({ start: r[0], end: r[1], text: isObj(value) || Array.isArray(value) ? flowValue(value) : blockScalar(value) });
      return;
    }
    if (isScalar(node) && (value === null || ["string", "number", "boolean"].includes(typeof value))) {
      const pair = map.items.find((p: Pair) => isScalar(p.key) && p.key.value === key);
      this.replaceScalar(node, value as string | number | boolean | null, path, false, pair);
      return;
    }
    if ((isMap(node) || isSeq(node)) && node.flow) {
      const r = node.range;
      if (!r) throw new Error("no source range");
      this.splices.push({ start: r[0], end: r[1], text: flowValue(value) });
      return;
    }
    throw new UserError(`${this.file}: tune cannot rewrite ${path.join(".")} (a ${isMap(node) ? "mapping" : isSeq(node) ? "list" : "value"} written in block style) as ${JSON.stringify(value)}`, {
      hint: "Edit it by hand, then run tune again.",
    });
  }

  /** @param blockIndent indentation of a multi-line value's lines (default: the key's column + the unit) */
  private replaceScalar(node: Scalar, value: string | number | boolean | null, path: YPath, inFlow = false, pair?: Pair, blockIndentAt?: number): void {
    this.checkAnchor(node, path);
    const r = node.range;
    if (!r) throw new Error("no source range");
    const multiline = typeof value === "string" && value.includes("\n");
    if (!multiline) {
      let text: string;
      if (typeof value === "string" && node.type === "QUOTE_DOUBLE") text = JSON.stringify(value);
      else if (typeof value === "string" && node.type === "QUOTE_SINGLE") text = `'${value.replace(/'/g, "''")}'`;
      else text = inFlow ? flowScalar(value) : blockScalar(value);
      if (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED") {
        // A block scalar's range ends after its last line: keep the line structure.
        text += "\n";
      }
      this.splices.push({ start: r[0], end: r[1], text });
      return;
    }
    const str = value;
    const lines = str.replace(/\n$/, "").split("\n");
    const chomp = str.endsWith("\n") ? "" : "-";
    if (/\n\n$/.test(str)) throw new Error("multi-line values with trailing blank lines are not supported");
    if (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED") {
      const header = this.original.slice(r[0], this.original.indexOf("\n", r[0]) + 1);
      const contentIndent = blockIndent(this.original, r[0] + header.length) ?? blockIndentAt ?? this.keyColumn(pair) + this.unit;
      const body = lines.map((l) => (l === "" ? "" : " ".repeat(contentIndent) + l)).join("\n");
      const endsWithNewline = this.original[r[1] - 1] === "\n";
      this.splices.push({ start: r[0], end: r[1], text: `|${chomp}\n${body}${endsWithNewline ? "\n" : ""}` });
      return;
    }
    const after = this.original.slice(r[1], this.original.indexOf("\n", r[1]) < 0 ? undefined : this.original.indexOf("\n", r[1]));
    if (after.trim() !== "") {
      throw new UserError(`${this.file}: ${path.join(".")} is followed by a comment on its line; tune cannot turn it into a multi-line value`, {
        hint: "Move the comment to its own line, then run tune again.",
      });
    }
    if (inFlow) throw new UserError(`${this.file}: ${path.join(".")} is in a flow list; tune cannot write a multi-line value there`, { hint: "Write the list in block style, then run tune again." });
    const indent = blockIndentAt ?? this.keyColumn(pair) + this.unit;
    const body = lines.map((l) => (l === "" ? "" : " ".repeat(indent) + l)).join("\n");
    this.splices.push({ start: r[0], end: r[1], text: `|${chomp}\n${body}` });
  }

  private keyColumn(pair: Pair | undefined): number {
    const k = pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
    return k === undefined ? 0 : this.column(k);
  }

  private column(offset: number): number {
    return offset - (this.original.lastIndexOf("\n", offset - 1) + 1);
  }

  private dashColumn(itemStart: number): number {
    return dashColumnOf(this.original, itemStart) ?? Math.max(0, this.column(itemStart) - 2);
  }

  /** The offset after the line holding `offset - 1` (the end of a node's value). */
  private lineEnd(end: number): { offset: number; needsNewline: boolean } {
    if (end > 0 && this.original[end - 1] === "\n") return { offset: end, needsNewline: false };
    const nl = this.original.indexOf("\n", end);
    if (nl < 0) return { offset: this.original.length, needsNewline: true };
    return { offset: nl + 1, needsNewline: false };
  }

  private renderPending(p: PendingKeys): Splice {
    const obj: Record<string, unknown> = {};
    for (const [k, v] of p.entries) obj[k] = v.value;
    if (p.map.flow) {
      const r = p.map.range;
      if (!r) throw new Error("no source range");
      return { start: r[0], end: r[1], text: flowValue(this.get(p.path)) };
    }
    const first = p.map.items[0] as Pair | undefined;
    const firstKey = first && isScalar(first.key) ? first.key.range?.[0] : undefined;
    const col = firstKey !== undefined ? this.column(firstKey) : 0;
    const lines: string[] = [];
    for (const [k, v] of p.entries) {
      if (v.comment) lines.push(`${" ".repeat(col)}# ${v.comment}`);
      lines.push(...renderBlock(k, v.value, col, this.unit, this.indentSeq));
    }
    const end = p.map.range?.[1];
    if (end === undefined) throw new Error("no source range");
    const at = this.lineEnd(end);
    return { start: at.offset, end: at.offset, text: `${at.needsNewline ? "\n" : ""}${lines.join("\n")}\n`, depth: p.path.length };
  }

  /** Whether any edit is planned. */
  get changed(): boolean {
    return this.splices.length > 0 || this.pending.size > 0;
  }

  /**
   * The edited text. Parses it again and checks that its data is the original's plus exactly
   * the changes asked for.
   * @throws Error when it is not (a bug: nothing must be written)
   */
  result(): string {
    const all = [...this.splices, ...[...this.pending.values()].map((p) => this.renderPending(p))];
    all.sort((a, b) => a.start - b.start || a.end - b.end || (b.depth ?? 0) - (a.depth ?? 0));
    for (let i = 1; i < all.length; i++) {
      const prev = all[i - 1];
      const cur = all[i];
      if (prev && cur && cur.start < prev.end) throw new Error(`${this.file}: overlapping edits at offset ${cur.start}`);
    }
    let out = this.original;
    for (const s of [...all].reverse()) out = out.slice(0, s.start) + s.text + out.slice(s.end);
    const check = parseDocument(out, { merge: true, uniqueKeys: false });
    if (check.errors.length > 0) throw new Error(`${this.file}: the edited YAML does not parse (${check.errors[0]?.message ?? ""}); nothing was written`);
    const data = this.toData(check);
    if (!isDeepStrictEqual(normalize(data), normalize(this.expected))) {
      throw new Error(`${this.file}: the edited YAML does not hold exactly the intended changes; nothing was written`);
    }
    return out;
  }
}

function normalize(v: unknown): Json {
  return JSON.parse(JSON.stringify(v ?? null)) as Json;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isObj(prev) && isObj(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

/** A scalar as a block-context YAML value (quoted only when needed). */
function blockScalar(v: unknown): string {
  return stringify(v, { lineWidth: 0 }).replace(/\n$/, "");
}

/** A scalar inside a flow collection: quoted when it holds flow indicators. */
function flowScalar(v: unknown): string {
  const s = blockScalar(v);
  return typeof v === "string" && /[,[\]{}#]/.test(s) && !/^["']/.test(s) ? JSON.stringify(v) : s;
}

/**
 * `key: value` as block YAML lines starting at column `col`: mappings nested by `unit`, lists
 * of scalars under their key (indented or not, like the file), multi-line strings as `|`.
 */
function renderBlock(key: string, value: unknown, col: number, unit: number, indentSeq: boolean): string[] {
  const pad = " ".repeat(col);
  const k = blockScalar(key);
  if (Array.isArray(value)) {
    if (value.length === 0 || value.some((x) => isObj(x) || Array.isArray(x))) return [`${pad}${k}: ${flowValue(value)}`];
    const itemPad = " ".repeat(indentSeq ? col + unit : col);
    return [`${pad}${k}:`, ...value.map((x) => `${itemPad}- ${scalarText(x, col + unit)}`)];
  }
  if (isObj(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return [`${pad}${k}: {}`];
    return [`${pad}${k}:`, ...entries.flatMap(([ck, cv]) => renderBlock(ck, cv, col + unit, unit, indentSeq))];
  }
  return [`${pad}${k}: ${scalarText(value, col + unit)}`];
}

/** A scalar after `key: ` or `- `; a multi-line string becomes a literal block at `indent`. */
function scalarText(v: unknown, indent: number): string {
  if (typeof v === "string" && v.includes("\n")) {
    if (/\n\n$/.test(v)) throw new Error("multi-line values with trailing blank lines are not supported");
    const lines = v.replace(/\n$/, "").split("\n");
    return `|${v.endsWith("\n") ? "" : "-"}\n${lines.map((l) => (l === "" ? "" : " ".repeat(indent) + l)).join("\n")}`;
  }
  return blockScalar(v);
}

function flowValue(v: unknown): string {
  return stringify(v, { collectionStyle: "flow", lineWidth: 0, flowCollectionPadding: false }).replace(/\n$/, "");
}

/** Indentation of the first non-empty line from `offset` (a block scalar's content). */
function blockIndent(text: string, offset: number): number | undefined {
  let i = offset;
  while (i < text.length) {
    const nl = text.indexOf("\n", i);
    const line = text.slice(i, nl < 0 ? undefined : nl);
    if (line.trim() !== "") return line.length - line.trimStart().length;
    if (nl < 0) return undefined;
    i = nl + 1;
  }
  return undefined;
}

/**
 * Column of the `- ` that introduces the block-sequence item starting at `itemStart` (the item
 * itself may start with a dash: `- -c`, `- -i module`). undefined when there is none on its line.
 */
function dashColumnOf(text: string, itemStart: number): number | undefined {
  const lineStart = text.lastIndexOf("\n", itemStart - 1) + 1;
  let i = itemStart - 1;
  while (i >= lineStart && (text[i] === " " || text[i] === "\t")) i--;
  return i >= lineStart && text[i] === "-" ? i - lineStart : undefined;
}

/** The file's indentation unit and whether lists are indented under their key. */
function detectStyle(doc: Document.Parsed, text: string): { unit: number; indentSeq: boolean } {
  const col = (o: number): number => o - (text.lastIndexOf("\n", o - 1) + 1);
  let unit: number | undefined;
  let indentSeq: boolean | undefined;
  visit(doc, {
    Pair: (_k, pair) => {
      if (!isPair(pair) || !isScalar(pair.key)) return;
      const keyStart = pair.key.range?.[0];
      if (keyStart === undefined) return;
      const v = pair.value;
      if (unit === undefined && isMap(v) && !v.flow) {
        const first = v.items[0];
        const childStart = first && isScalar(first.key) ? first.key.range?.[0] : undefined;
        if (childStart !== undefined && col(childStart) > col(keyStart)) unit = col(childStart) - col(keyStart);
      }
      if (indentSeq === undefined && isSeq(v) && !v.flow) {
        const item = v.items[0] as Node | undefined;
        const start = item?.range?.[0];
        const dash = start === undefined ? undefined : dashColumnOf(text, start);
        if (dash !== undefined) indentSeq = dash > col(keyStart);
      }
      if (unit !== undefined && indentSeq !== undefined) return visit.BREAK;
      return undefined;
    },
  });
  return { unit: unit ?? 2, indentSeq: indentSeq ?? true };
}
