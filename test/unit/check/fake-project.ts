/**
 * Small in-memory stand-ins for the engine/suppression/renderer tests: a ProjectModel literal,
 * a Map-backed PositionIndex, an in-memory Fs and a rule factory. Not a loader: the loader has
 * its own tests; these build exactly the model a test needs.
 */
import { posix } from "node:path";
import type { SourcePos } from "../../../src/errors.js";
import type { Fs } from "../../../src/platform/fs.js";
import type { Platform } from "../../../src/platform/index.js";
import type { EnvModel, Path, PositionIndex, ProjectModel } from "../../../src/project/model.js";
import type { EnvRule, ProjectRule, RawFinding, Rule } from "../../../src/check/types.js";

export const DIR = "/proj";

export function positions(map: Record<string, SourcePos> = {}): PositionIndex {
  const key = (p: Path): string => p.join("\u0000");
  const m = new Map(Object.entries(map).map(([k, v]) => [k.split(".").join("\u0000"), v]));
  return {
    exact: (p) => m.get(key(p)),
    at: (p) => {
      for (let i = p.length; i >= 0; i--) {
        const v = m.get(key(p.slice(0, i)));
        if (v) return v;
      }
      return undefined;
    },
  };
}

export function fakeEnv(name: string, files: string[] = [`${name}.yaml`]): EnvModel {
  return {
    name,
    compose: {
      files,
      services: {},
      networks: {},
      volumes: {},
      secrets: {},
      raw: {},
      positions: positions({ services: { file: files[0] ?? `${name}.yaml`, line: 1, col: 1 } }),
    },
    variables: {},
    odoo: [],
    addons: [],
  };
}

export interface FakeProjectOptions {
  envs?: string[];
  odooMajor?: number;
  dir?: string;
  files?: Record<string, string>;
}

export function fakeProject(opts: FakeProjectOptions = {}): ProjectModel {
  const envNames = opts.envs ?? ["devel", "test", "prod"];
  const files = opts.files ?? {};
  const project: ProjectModel = {
    dir: opts.dir ?? DIR,
    dotenv: {},
    addons: { path: "odoo/custom/src/addons.yaml", exists: false, documents: [] },
    repos: { path: "odoo/custom/src/repos.yaml", exists: false, repos: {} },
    confd: [],
    gitignore: { exists: false, ignores: () => false },
    files: Object.keys(files).sort(),
    envNames,
    envs: Object.fromEntries(envNames.map((n) => [n, fakeEnv(n)])),
    read: (p) => files[p],
    diagnostics: [],
  };
  if (opts.odooMajor !== undefined) {
    project.odooVersion = { value: `${opts.odooMajor}.0`, major: opts.odooMajor, source: "dockerfile" };
  }
  return project;
}

/** An in-memory Fs over absolute paths; counts reads per path. */
export function memFs(files: Record<string, string>, dir = DIR): Fs & { reads: Map<string, number> } {
  const abs = new Map(Object.entries(files).map(([p, t]) => [posix.join(dir, p), t]));
  const reads = new Map<string, number>();
  const isDir = (p: string): boolean => {
    const prefix = p.endsWith("/") ? p : `${p}/`;
    return p === dir || [...abs.keys()].some((k) => k.startsWith(prefix));
  };
  return {
    reads,
    readText: (p) => {
      reads.set(p, (reads.get(p) ?? 0) + 1);
      const t = abs.get(p);
      if (t === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: "ENOENT" });
      return t;
    },
    exists: (p) => abs.has(p) || isDir(p),
    isDirectory: isDir,
    readdir: () => [],
    writeText: async () => {
      throw new Error("read-only");
    },
  };
}

export function fakePlatform(fs: Fs): Platform {
  return { fs, environ: {}, stdout: () => {}, stderr: () => {}, isTTY: false };
}

type EnvCheck = EnvRule["check"];
type ProjectCheck = ProjectRule["check"];

/** An env rule with sensible metadata; override what the test is about. */
export function envRule(id: string, check: EnvCheck, over: Partial<Omit<EnvRule, "scope" | "check">> = {}): Rule {
  return {
    id,
    category: "security",
    severity: "warning",
    title: `Title of ${id}`,
    why: `Why ${id} matters.`,
    fix: `Fix for ${id}.`,
    appliesTo: {},
    ...over,
    scope: "env",
    check,
  };
}

export function projectRule(id: string, check: ProjectCheck, over: Partial<Omit<ProjectRule, "scope" | "check">> = {}): Rule {
  return {
    id,
    category: "maintainability",
    severity: "info",
    title: `Title of ${id}`,
    why: `Why ${id} matters.`,
    fix: `Fix for ${id}.`,
    appliesTo: {},
    ...over,
    scope: "project",
    check,
  };
}

/** A finding at file:line:col. */
export function at(message: string, file: string, line: number, col = 1): RawFinding {
  return { message, pos: { file, line, col } };
}
