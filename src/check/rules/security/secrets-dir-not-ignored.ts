import type { SourcePos } from "../../../errors.js";
import type { RawFinding, Rule } from "../../types.js";

const PLACEHOLDER = /(^|\/)(\.gitkeep|\.keep|\.empty|README(\.\w+)?)$|\.(example|sample|dist|template)$/i;

export const rule: Rule = {
  id: "secrets-dir-not-ignored",
  category: "security",
  severity: "error",
  title: ".docker secrets folder not git-ignored",
  why:
    "Doodba keeps the master password, database passwords, SMTP and backup credentials in .docker/*.env. If git does not " +
    "ignore that folder, the next `git add .` publishes them to everyone with access to the repository, forever (history).",
  fix: "Add `/.docker/` to .gitignore (the doodba-copier-template has it). If a .docker file was ever committed, `git rm --cached` it and rotate every secret it held.",
  appliesTo: {},
  example: "# .gitignore without /.docker/\n/odoo/auto\n",
  scope: "project",
  check(ctx) {
    const p = ctx.project;
    const files = p.files.filter((f) => f.startsWith(".docker/") && !PLACEHOLDER.test(f));
    const refs: { path: string; pos?: SourcePos }[] = [];
    for (const name of p.envNames) {
      const env = p.envs[name];
      if (!env) continue;
      for (const svc of Object.values(env.compose.services)) {
        const raw = svc.raw.env_file;
        const items = Array.isArray(raw) ? raw : [];
        items.forEach((item, i) => {
          const path = typeof item === "string" ? item : item && typeof item === "object" ? (item as { path?: unknown }).path : undefined;
          if (typeof path !== "string") return;
          const rel = path.replace(/^\.\//, "");
          if (!rel.startsWith(".docker/")) return;
          if (!refs.some((r) => r.path === rel)) refs.push({ path: rel, pos: env.compose.positions.at(["services", svc.name, "env_file", i, "path"]) });
        });
      }
    }
    if (files.length === 0 && refs.length === 0) return [];
    const noGitignore = !p.gitignore.exists;
    const exposed = files.filter((f) => !p.gitignore.ignores(f));
    if (exposed.length > 0) {
      const list = exposed.slice(0, 5).join(", ") + (exposed.length > 5 ? `, and ${exposed.length - 5} more` : "");
      return [
        {
          message: noGitignore
            ? `The project has no .gitignore, so the secret files ${list} would be committed`
            : `.gitignore does not ignore ${list}: these secret files would be committed`,
          pos: { file: exposed[0] ?? ".docker", line: 1, col: 1 },
        },
      ];
    }
    const out: RawFinding[] = [];
    const refExposed = refs.filter((r) => !p.gitignore.ignores(r.path));
    const first = refExposed[0];
    if (first) {
      out.push({
        message: noGitignore
          ? `Compose reads secrets from ${refExposed.map((r) => r.path).join(", ")} but the project has no .gitignore: once created, they would be committed`
          : `Compose reads secrets from ${refExposed.map((r) => r.path).join(", ")} but .gitignore does not ignore them: once created, they would be committed`,
        pos: first.pos,
      });
    }
    return out;
  },
};
