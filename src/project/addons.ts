/**
 * addons.yaml (Tecnativa/doodba lib/doodbalib): several YAML documents; each maps a repo folder
 * to a list of addon globs (Python fnmatch), may carry `ONLY: {VAR: [values]}` (the document
 * applies only when the variable matches) and `ENV: {...}` (variables for that document).
 */
import { UserError } from "../errors.js";
import type { AddonsConfig, AddonsDocument } from "./model.js";
import { parseYaml, scalarString, type LNode } from "./compose/yaml.js";

export const ADDONS_PATH = "odoo/custom/src/addons.yaml";

export function parseAddons(text: string | undefined, file = ADDONS_PATH): AddonsConfig {
  if (text === undefined) return { path: file, exists: false, documents: [] };
  const parsed = parseYaml(text, file);
  const documents: AddonsDocument[] = [];
  for (const doc of parsed.docs) {
    if (doc.kind === "scalar" && doc.value === null) continue;
    if (doc.kind !== "map") {
      throw new UserError(`${file}: each document must map repo folders to lists of addons`, {
        pos: doc.pos,
        hint: "Example:\nweb:\n  - web_responsive",
      });
    }
    const d: AddonsDocument = { pos: doc.pos, only: {}, env: {}, repos: {}, repoPos: {} };
    for (const [key, value] of doc.entries) {
      if (key === "ONLY") {
        if (value.kind === "map") for (const [k, v] of value.entries) d.only[k] = listOf(v);
        continue;
      }
      if (key === "ENV") {
        if (value.kind === "map") for (const [k, v] of value.entries) d.env[k] = scalarString(v) ?? "";
        continue;
      }
      d.repoPos[key] = value.keyPos ?? value.pos;
      const items = value.kind === "seq" ? value.items : value.kind === "scalar" && value.value !== null ? [value] : [];
      d.repos[key] = items
        .map((it) => ({ pattern: scalarString(it) ?? "", pos: it.pos }))
        .filter((p) => p.pattern !== "");
    }
    documents.push(d);
  }
  return { path: file, exists: true, documents };
}

function listOf(n: LNode): string[] {
  if (n.kind === "seq") return n.items.map((i) => scalarString(i) ?? "");
  const s = scalarString(n);
  return s === undefined ? [] : [s];
}

/** Whether a document applies given the variables of the Odoo container (doodbalib semantics). */
export function documentApplies(doc: AddonsDocument, vars: Record<string, string | null | undefined>): boolean {
  for (const [k, values] of Object.entries(doc.only)) {
    const v = vars[k];
    if (v === undefined || v === null || !values.includes(v)) return false;
  }
  return true;
}
