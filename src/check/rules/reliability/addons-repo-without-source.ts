import type { SourcePos } from "../../../errors.js";
import type { ProjectModel } from "../../../project/model.js";
import type { RawFinding, Rule } from "../../types.js";

/** Doodba's defaults (Dockerfile `ENV DEFAULT_REPO_PATTERN`, bin/autoaggregate). */
export const DEFAULT_REPO_PATTERN = "https://github.com/OCA/{}.git";

/** Repositories of addons.yaml that doodba never clones from a pattern. */
const NOT_CLONED = new Set(["private", "odoo/addons", "odoo"]);

/** The URL doodba's autoaggregate would clone for a folder: the pattern with `{}` = the folder's base name. */
export function defaultOrigin(pattern: string, folder: string): string {
  const base = folder.replace(/\/+$/, "").split("/").pop() ?? folder;
  return pattern.replace(/\{\}/g, base);
}

/** A repos.yaml / addons.yaml key as doodba resolves it (`./web/` and `web` are the same folder). */
export function repoFolder(key: string): string {
  return key.trim().replace(/^(\.\/)+/, "").replace(/\/+$/, "");
}

/**
 * true when the repository folder is committed in the project (an addon of it is there and the
 * folder is not a git clone): doodba's autoaggregate only clones folders that are missing or
 * are git repositories.
 */
function isVendored(project: ProjectModel, repo: string, addons: readonly string[]): boolean {
  const base = `odoo/custom/src/${repo}`;
  if (project.read(`${base}/.git/HEAD`) !== undefined || project.read(`${base}/.git`) !== undefined) return false;
  return addons.some(
    (a) =>
      !/[*?[\]]/.test(a) &&
      (project.read(`${base}/${a}/__manifest__.py`) !== undefined || project.read(`${base}/${a}/__openerp__.py`) !== undefined),
  );
}

export const rule: Rule = {
  id: "addons-repo-without-source",
  category: "reliability",
  severity: "warning",
  title: "addons.yaml names a repository that repos.yaml does not define",
  why:
    "For a repository listed in addons.yaml but missing from repos.yaml, doodba clones DEFAULT_REPO_PATTERN " +
    "(default https://github.com/OCA/{}.git) at the ODOO_VERSION branch tip: the build is not reproducible, and a " +
    "repository that is not on that pattern (a fork, enterprise, a private repo) makes the build fail when it " +
    "cannot be cloned.",
  fix:
    "Add the repository to odoo/custom/src/repos.yaml with its remote and a pinned merge, e.g. `web: {defaults: " +
    "{depth: $DEPTH_DEFAULT}, remotes: {origin: https://github.com/OCA/web.git}, target: origin 17.0, merges: " +
    "[origin <commit-sha>]}`.",
  appliesTo: {},
  example: "# addons.yaml\nmy-company-addons:\n  - my_module\n# repos.yaml has no my-company-addons entry",
  scope: "project",
  check(ctx) {
    const project = ctx.project;
    const { addons, repos } = project;
    if (!addons.exists) return [];
    const defined = new Set(Object.keys(repos.repos).map(repoFolder));
    const version = project.odooVersion?.value;
    const dockerPattern = project.dockerfile?.args["DEFAULT_REPO_PATTERN"]?.value;
    // One finding per addons.yaml document (a document may set its own DEFAULT_REPO_PATTERN).
    interface Missing {
      repo: string;
      url: string;
      branch: string;
      pos?: SourcePos;
    }
    const groups: Missing[][] = [];
    const seen = new Set<string>();
    for (const doc of addons.documents) {
      const group: Missing[] = [];
      for (const repo of Object.keys(doc.repos)) {
        const name = repoFolder(repo);
        if (NOT_CLONED.has(name) || defined.has(name) || seen.has(name)) continue;
        if (isVendored(project, name, (doc.repos[repo] ?? []).map((g) => g.pattern))) continue;
        seen.add(name);
        const pattern = doc.env["DEFAULT_REPO_PATTERN"] ?? dockerPattern ?? DEFAULT_REPO_PATTERN;
        const branch = doc.env["ODOO_VERSION"] ?? version ?? "$ODOO_VERSION";
        group.push({ repo: name, url: defaultOrigin(pattern, name), branch, pos: doc.repoPos[repo] ?? doc.pos });
      }
      if (group.length > 0) groups.push(group);
    }
    const all = groups.flat();
    if (all.length === 0) return [];
    const describe = (ms: Missing[]): string => ms.map((m) => `${m.repo} <- ${m.url}`).join(", ");
    if (!repos.exists) {
      return [
        {
          message: `${repos.path} does not exist: doodba clones every repository of addons.yaml from its default pattern at the tip of branch ${all[0]?.branch ?? "$ODOO_VERSION"}, unpinned: ${describe(all)}`,
          pos: all[0]?.pos,
          fix: `Create ${repos.path} with an entry (remotes, target, pinned merges) for ${all.map((m) => m.repo).join(", ")} and for odoo itself.`,
        },
      ];
    }
    return groups.map((ms): RawFinding => {
      const first = ms[0];
      const branch = first?.branch ?? "$ODOO_VERSION";
      const what =
        ms.length === 1
          ? `repository ${first?.repo ?? "?"} is used in addons.yaml but not defined in ${repos.path}: doodba clones ${first?.url ?? "?"}`
          : `${ms.length} repositories used in addons.yaml are not defined in ${repos.path}, so doodba clones them from its default pattern: ${describe(ms)}`;
      return {
        message: `${what} at the tip of branch ${branch} (unpinned; the build fails if a repository or branch does not exist there)`,
        pos: first?.pos,
        fix: `Add ${ms.length === 1 ? `\`${first?.repo ?? "?"}:\`` : "each of them"} to ${repos.path} with \`remotes: {origin: <its git URL>}\`, \`target: origin ${branch}\` and \`merges: [origin <commit-sha>]\`.`,
      };
    });
  },
};
