/**
 * YAML with positions. Files are parsed with the `yaml` package into a small located tree
 * ({@link LNode}) so that every value keeps the file:line:col it was written at through
 * interpolation, `extends` and multi-file merging.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from "yaml";
import { UserError, type SourcePos } from "../../errors.js";
import type { Path, PositionIndex } from "../model.js";

export type Scalar = string | number | boolean | null;

export type LNode =
  | { kind: "map"; entries: Map<string, LNode>; pos?: SourcePos; keyPos?: SourcePos }
  | { kind: "seq"; items: LNode[]; pos?: SourcePos; keyPos?: SourcePos }
  | { kind: "scalar"; value: Scalar; pos?: SourcePos; keyPos?: SourcePos; /** source text was quoted or a string */ isString?: boolean };

export function lmap(entries: Map<string, LNode> = new Map(), pos?: SourcePos): LNode & { kind: "map" } {
  return { kind: "map", entries, pos };
}
export function lseq(items: LNode[] = [], pos?: SourcePos): LNode & { kind: "seq" } {
  return { kind: "seq", items, pos };
}
export function lscalar(value: Scalar, pos?: SourcePos): LNode & { kind: "scalar" } {
  return { kind: "scalar", value, pos, isString: typeof value === "string" };
}

export interface ParsedYaml {
  /** One located tree per YAML document (`---`). */
  docs: LNode[];
  /** The parsed documents, for callers that need comments or ranges. */
  raw: Document.Parsed[];
}

/**
 * Parses YAML text. Syntax errors become a {@link UserError} at the offending line and column.
 * YAML 1.1 merge keys (`<<: *anchor`), which Compose files use, are honoured.
 */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, merge: true, prettyErrors: false, uniqueKeys: false });
  const list = Array.isArray(docs) ? docs : [docs];
  const toPos = (offset: number | undefined): SourcePos | undefined => {
    if (offset === undefined) return undefined;
    const { line, col } = lc.linePos(offset);
    return { file, line, col };
  };
  for (const d of list) {
    const err = d.errors[0];
    if (err) {
      const pos = toPos(err.pos[0]) ?? { file, line: 1, col: 1 };
      const msg = err.message.split("\n")[0] ?? err.message;
      throw new UserError(`YAML syntax error in ${file}: ${msg}`, {
        pos,
        hint: "Fix the YAML at that position (indentation, a missing colon or quote, tabs instead of spaces).",
        next: `yamllint ${file}`,
      });
    }
  }
  const out: LNode[] = [];
  for (const d of list) {
    out.push(toLNode(d.contents as Node | null, d, toPos, 0));
  }
  return { docs: out, raw: list };
}

function toLNode(node: Node | null | undefined, doc: Document, toPos: (o: number | undefined) => SourcePos | undefined, depth: number): LNode {
  if (depth > 200) throw new UserError("YAML nesting too deep (recursive anchors?)");
  if (node === null || node === undefined) return lscalar(null);
  const pos = toPos(node.range?.[0]);
  if (isAlias(node)) {
    const target = node.resolve(doc);
    const resolved = toLNode(target as Node | undefined, doc, toPos, depth + 1);
    // Position of the alias use, not of the anchor: that is where this value applies.
    return withPos(resolved, pos);
  }
  if (isScalar(node)) {
    let v = node.value as unknown;
    if (typeof v === "bigint") v = Number(v);
    if (v instanceof Date) v = v.toISOString();
    if (v !== null && typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") v = String(v);
    const n = lscalar(v as Scalar, pos);
    n.isString = typeof v === "string";
    return n;
  }
  if (isMap(node)) {
    const entries = new Map<string, LNode>();
    const merges: LNode[] = [];
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const keyNode = item.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : isAlias(keyNode) ? String((keyNode.resolve(doc) as { value?: unknown } | undefined)?.value) : String(keyNode);
      const child = toLNode(item.value as Node | null, doc, toPos, depth + 1);
      const keyPos = toPos((keyNode as Node | null)?.range?.[0]);
      if (key === "<<") {
        merges.push(child);
        continue;
      }
      child.keyPos = keyPos;
      if (!child.pos) child.pos = keyPos;
      entries.set(key, child);
    }
    // YAML merge keys: explicit keys win over merged ones; earlier merge sources win over later.
    for (const m of merges) {
      const sources = m.kind === "seq" ? m.items : [m];
      for (const s of sources) {
        if (s.kind !== "map") continue;
        for (const [k, v] of s.entries) if (!entries.has(k)) entries.set(k, v);
      }
    }
    return { kind: "map", entries, pos };
  }
  if (isSeq(node)) {
    return { kind: "seq", items: node.items.map((i) => toLNode(i as Node, doc, toPos, depth + 1)), pos };
  }
  return lscalar(null, pos);
}

function withPos(n: LNode, pos: SourcePos | undefined): LNode {
  return { ...n, pos: pos ?? n.pos } as LNode;
}

/** Converts a located tree to plain JS values. */
export function toJS(n: LNode | undefined): unknown {
  if (!n) return undefined;
  switch (n.kind) {
    case "scalar":
      return n.value;
    case "seq":
      return n.items.map(toJS);
    case "map": {
      const o: Record<string, unknown> = {};
      for (const [k, v] of n.entries) o[k] = toJS(v);
      return o;
    }
  }
}

/** Records the position of every value under `root` into `into`, keyed by {@link pathKey}. */
export function collectPositions(root: LNode, into: Map<string, SourcePos>, prefix: Path = []): void {
  if (root.pos) into.set(pathKey(prefix), root.pos);
  if (root.kind === "map") for (const [k, v] of root.entries) collectPositions(v, into, [...prefix, k]);
  else if (root.kind === "seq") root.items.forEach((v, i) => collectPositions(v, into, [...prefix, i]));
}

export function pathKey(path: Path): string {
  return path.map(String).join("\u0000");
}

export function positionIndex(map: Map<string, SourcePos>): PositionIndex {
  return {
    exact: (path) => map.get(pathKey(path)),
    at: (path) => {
      for (let i = path.length; i >= 0; i--) {
        const p = map.get(pathKey(path.slice(0, i)));
        if (p) return p;
      }
      return undefined;
    },
  };
}

/** Deep copy of a located tree. */
export function clone(n: LNode): LNode {
  switch (n.kind) {
    case "scalar":
      return { ...n };
    case "seq":
      return { ...n, items: n.items.map(clone) };
    case "map":
      return { ...n, entries: new Map([...n.entries].map(([k, v]) => [k, clone(v)])) };
  }
}

export function getIn(n: LNode | undefined, ...path: string[]): LNode | undefined {
  let cur = n;
  for (const p of path) {
    if (!cur || cur.kind !== "map") return undefined;
    cur = cur.entries.get(p);
  }
  return cur;
}

export function scalarString(n: LNode | undefined): string | undefined {
  if (!n || n.kind !== "scalar" || n.value === null) return undefined;
  return String(n.value);
}
