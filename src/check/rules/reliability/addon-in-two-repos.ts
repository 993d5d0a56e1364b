import type { SourcePos } from "../../../errors.js";
import type { AddonsDocument } from "../../../project/model.js";
import type { RawFinding, Rule } from "../../types.js";

const CORE = "odoo/addons";
const PRIVATE = "private";

/**
 * Whether two addons.yaml documents can apply to the same build: doodba skips a document
 * whose `ONLY` does not match, so two documents that demand disjoint values of one variable
 * never meet.
 */
export function documentsCanMeet(a: AddonsDocument, b: AddonsDocument): boolean {
  if (a === b) return true;
  for (const [key, values] of Object.entries(a.only)) {
    const other = b.only[key];
    if (other === undefined) continue;
    if (!values.some((v) => other.includes(v))) return false;
  }
  return true;
}

function isGlob(pattern: string): boolean {
  return /[*?[\]]/.test(pattern);
}

interface Listing {
  addon: string;
  repo: string;
  doc: AddonsDocument;
  pos?: SourcePos;
}

export const rule: Rule = {
  id: "addon-in-two-repos",
  category: "reliability",
  severity: "error",
  title: "Addon listed for two repositories in addons.yaml",
  why:
    "Doodba links each addon from exactly one repository. When addons.yaml names the same addon under two non-core " +
    "repositories (and it is not in private/), the build stops with `AddonsConfigError: Addon X defined in several " +
    "repos`; even when one copy is missing, which code ships depends on the checkout.",
  fix: "Keep the addon under one repository in odoo/custom/src/addons.yaml (or put your fork in private/, which wins).",
  appliesTo: {},
  example: "OCA/web:\n  - web_responsive\nmy-fork:\n  - web_responsive",
  scope: "project",
  check(ctx) {
    const docs = ctx.project.addons.documents;
    const listings: Listing[] = [];
    const privately: Listing[] = [];
    for (const doc of docs) {
      for (const [repo, globs] of Object.entries(doc.repos)) {
        if (repo === CORE) continue;
        for (const g of globs) {
          const addon = g.pattern.trim().replace(/\/+$/, "");
          if (addon === "" || isGlob(addon)) continue;
          const l: Listing = { addon, repo, doc, pos: g.pos };
          if (repo === PRIVATE) privately.push(l);
          else listings.push(l);
        }
      }
    }
    const out: RawFinding[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < listings.length; i++) {
      const b = listings[i];
      if (!b) continue;
      for (let j = 0; j < i; j++) {
        const a = listings[j];
        if (!a || a.addon !== b.addon || a.repo === b.repo) continue;
        if (!documentsCanMeet(a.doc, b.doc)) continue;
        // private/ wins over every other repo: no conflict when it lists the addon too.
        if (privately.some((p) => p.addon === a.addon && documentsCanMeet(p.doc, a.doc) && documentsCanMeet(p.doc, b.doc)))
          continue;
        const key = `${a.addon}\0${[a.repo, b.repo].sort().join("\0")}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const where = a.pos ? ` (first at line ${a.pos.line})` : "";
        out.push({
          message: `addon ${b.addon} is listed under both ${a.repo}${where} and ${b.repo}: when both contain it the build fails with "Addon ${b.addon} defined in several repos", otherwise one entry is wrong`,
          pos: b.pos ?? b.doc.repoPos[b.repo] ?? b.doc.pos,
          fix: `Remove ${b.addon} from ${a.repo} or from ${b.repo} in addons.yaml.`,
        });
      }
    }
    return out;
  },
};
