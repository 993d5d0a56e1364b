import type { RawFinding, Rule } from "../../types.js";

/**
 * true when a git-aggregator merge ref names a fixed commit: a commit SHA (7-40 hex digits), a
 * tag ref, or a release-like tag (`v1.2.3`, `1.2.3`). Branches (`17.0`, `main`), pull
 * request heads (`refs/pull/123/head`, they move on force-push) and `$VARIABLES` (a branch
 * at build time) are not.
 */
export function isPinnedRef(ref: string): boolean {
  const r = ref.trim();
  if (/^[0-9a-f]{7,40}$/i.test(r)) return true;
  if (/^refs\/tags\//.test(r)) return true;
  if (/^v?\d+\.\d+\.\d+([-.+][0-9A-Za-z.-]+)?$/.test(r)) return true;
  return false;
}

export const rule: Rule = {
  id: "repo-merges-unpinned",
  category: "reliability",
  severity: "info",
  title: "repos.yaml merges follow branches, not commits",
  why:
    "A merge like `origin 17.0` or `OCA refs/pull/123/head` fetches whatever the branch points to at build time: two " +
    "builds of the same commit of your project can ship different code, a broken upstream push breaks your next " +
    "build, and an old release cannot be rebuilt. Doodba has no lock file for repos.yaml.",
  fix:
    "Pin each merge to a commit: `merges: [\"origin 1a2b3c4d5e6f...\"]` (keep `target: origin 17.0` for the " +
    "branch name), and bump the SHAs deliberately (e.g. with a script that runs `git ls-remote`).",
  appliesTo: {},
  example: "web:\n  remotes:\n    origin: https://github.com/OCA/web.git\n  target: origin 17.0\n  merges:\n    - origin 17.0",
  scope: "project",
  check(ctx) {
    const out: RawFinding[] = [];
    for (const spec of Object.values(ctx.project.repos.repos)) {
      const unpinned = spec.merges.filter((m) => !isPinnedRef(m.ref));
      const first = unpinned[0];
      if (!first) continue;
      const more = unpinned.length > 1 ? ` (${unpinned.length} of its ${spec.merges.length} merges are unpinned)` : "";
      out.push({
        message: `repository ${spec.name} merges \`${first.remote} ${first.ref}\`, a moving ref, not a commit${more}`,
        pos: first.pos ?? spec.pos,
        fix: `Replace \`${first.remote} ${first.ref}\` with \`${first.remote} <commit-sha>\` (the commit you tested) in ${ctx.project.repos.path}.`,
      });
    }
    return out;
  },
};
