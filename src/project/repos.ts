/** repos.yaml in git-aggregator format: `folder: {remotes, target, merges, defaults, shell_command_after}`. */
import { UserError } from "../errors.js";
import type { RepoSpec, ReposConfig } from "./model.js";
import { getIn, parseYaml, scalarString, toJS } from "./compose/yaml.js";

export const REPOS_PATH = "odoo/custom/src/repos.yaml";

export function parseRepos(text: string | undefined, file = REPOS_PATH): ReposConfig {
  if (text === undefined) return { path: file, exists: false, repos: {} };
  const parsed = parseYaml(text, file);
  const root = parsed.docs[0];
  const repos: Record<string, RepoSpec> = {};
  if (!root || (root.kind === "scalar" && root.value === null)) return { path: file, exists: true, repos };
  if (root.kind !== "map") {
    throw new UserError(`${file} must map repo folders to git-aggregator specs`, { pos: root.pos });
  }
  for (const [name, spec] of root.entries) {
    const remotesNode = getIn(spec, "remotes");
    const remotes: Record<string, string> = {};
    if (remotesNode?.kind === "map") for (const [r, u] of remotesNode.entries) remotes[r] = scalarString(u) ?? "";
    const mergesNode = getIn(spec, "merges");
    const merges: RepoSpec["merges"] = [];
    if (mergesNode?.kind === "seq") {
      for (const m of mergesNode.items) {
        const s = scalarString(m) ?? (m.kind === "map" ? `${scalarString(getIn(m, "remote")) ?? ""} ${scalarString(getIn(m, "ref")) ?? ""}` : "");
        const [remote = "", ...ref] = s.trim().split(/\s+/);
        merges.push({ remote, ref: ref.join(" "), pos: m.pos });
      }
    }
    const depth = toJS(getIn(spec, "defaults", "depth"));
    const sca = toJS(getIn(spec, "shell_command_after"));
    repos[name] = {
      name,
      remotes,
      target: scalarString(getIn(spec, "target")),
      merges,
      depth: typeof depth === "number" ? depth : depth !== undefined && depth !== null && Number.isFinite(Number(depth)) ? Number(depth) : undefined,
      shellCommandAfter: Array.isArray(sca) ? sca.map(String) : typeof sca === "string" ? [sca] : [],
      pos: spec.keyPos ?? spec.pos,
    };
  }
  return { path: file, exists: true, repos };
}
