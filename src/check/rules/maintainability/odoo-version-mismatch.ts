import type { SourcePos } from "../../../errors.js";
import type { ProjectModel } from "../../../project/model.js";
import type { RawFinding, Rule } from "../../types.js";
import { formatPos } from "../../../errors.js";
import { imageTag } from "../../lib/common.js";

/** One place that states the project's Odoo version. */
export interface VersionSource {
  /** What states it, e.g. "odoo/Dockerfile FROM tag", ".env ODOO_MINOR". */
  what: string;
  /** As written, e.g. "17.0", "17". */
  value: string;
  major: number;
  pos?: SourcePos;
}

/** The major version in "17.0", "17", "17.0-onbuild", 16 (YAML number); undefined otherwise. */
export function majorOf(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v !== "string") return undefined;
  const m = /^\s*v?(\d{1,2})(?:\.\d+)?(?:$|[^\d.])/.exec(v);
  if (!m) return undefined;
  const n = Number.parseInt(m[1] ?? "", 10);
  return n >= 6 && n <= 40 ? n : undefined;
}

/** Every place of the project that states an Odoo version, with what it says. */
export function versionSources(project: ProjectModel): VersionSource[] {
  const out: VersionSource[] = [];
  const df = project.dockerfile;
  if (df) {
    for (const from of df.from) {
      const usesArg = /\$\{?ODOO_VERSION\}?/.test(from.image);
      if (usesArg || !/doodba|odoo/i.test(from.image)) continue;
      const tag = imageTag(from.image);
      const major = majorOf(tag);
      if (tag && major !== undefined) out.push({ what: `${df.path} FROM tag`, value: tag, major, pos: from.pos });
    }
    const arg = df.args.ODOO_VERSION;
    const major = majorOf(arg?.value);
    if (arg?.value && major !== undefined) {
      out.push({ what: `${df.path} ARG ODOO_VERSION default`, value: arg.value, major, pos: arg.pos });
    }
  }
  const seen = new Set<string>();
  for (const name of project.envNames) {
    const env = project.envs[name];
    if (!env) continue;
    for (const cfg of env.odoo) {
      const svc = env.compose.services[cfg.service];
      const v = svc?.build?.args.ODOO_VERSION;
      const major = majorOf(v);
      if (!svc || v === undefined || major === undefined) continue;
      const pos = env.compose.positions.at(["services", svc.name, "build", "args", "ODOO_VERSION"]);
      const key = pos ? `${pos.file}:${pos.line}` : `${name}/${svc.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ what: `build arg ODOO_VERSION of ${svc.name}`, value: v, major, pos });
    }
  }
  for (const key of ["ODOO_VERSION", "ODOO_MINOR", "ODOO_MAJOR"]) {
    const e = project.dotenv[key];
    const major = majorOf(e?.value);
    if (e && major !== undefined) out.push({ what: `.env ${key}`, value: e.value, major, pos: e.pos });
  }
  const answers = project.answers;
  if (answers) {
    const raw = answers.data.odoo_version;
    const major = majorOf(raw);
    if (major !== undefined) {
      // YAML reads `odoo_version: 16.0` as the number 16
      const value = typeof raw === "number" && Number.isInteger(raw) ? `${raw}.0` : String(raw);
      out.push({ what: `${answers.path} odoo_version`, value, major, pos: answers.positions.at(["odoo_version"]) });
    }
  }
  return out;
}

export const rule: Rule = {
  id: "odoo-version-mismatch",
  category: "maintainability",
  severity: "warning",
  title: "The project states different Odoo versions in different places",
  why:
    "The Odoo version drives the base image (odoo/Dockerfile), the branches doodba clones (ODOO_VERSION build arg, repos.yaml), copier template updates (.copier-answers.yml) and scripts reading .env. " +
    "When they disagree, a rebuild or `copier update` silently switches the Odoo series or fetches addon branches of another version, and the build or the database upgrade breaks.",
  fix: "Make every place state the same version: `FROM ghcr.io/tecnativa/doodba:${ODOO_VERSION}-onbuild`, `ODOO_VERSION: \"17.0\"` in the build args, `odoo_version: 17.0` in .copier-answers.yml (and ODOO_MINOR/ODOO_MAJOR in .env if used).",
  appliesTo: {},
  example: "# .copier-answers.yml\nodoo_version: 16.0\n# common.yaml\n      args:\n        ODOO_VERSION: \"17.0\"",
  scope: "project",
  check(ctx) {
    const sources = versionSources(ctx.project);
    const majors = new Map<number, number>();
    for (const s of sources) majors.set(s.major, (majors.get(s.major) ?? 0) + 1);
    if (majors.size < 2) return [];
    // The version most places agree on; on a tie, the one the loader settled on.
    const preferred = ctx.project.odooVersion?.major;
    const reference = [...majors.entries()].sort(
      (a, b) => b[1] - a[1] || Number(b[0] === preferred) - Number(a[0] === preferred) || b[0] - a[0],
    )[0]?.[0];
    const agreeing = sources.filter((s) => s.major === reference);
    const where = agreeing.map((s) => (s.pos ? `${s.what} (${formatPos(s.pos)})` : s.what)).join(", ");
    const out: RawFinding[] = [];
    for (const s of sources) {
      if (s.major === reference) continue;
      out.push({
        message: `${s.what} says ${s.value} (Odoo ${s.major}) but ${where} ${agreeing.length === 1 ? "says" : "say"} Odoo ${reference}`,
        pos: s.pos,
      });
    }
    return out;
  },
};
