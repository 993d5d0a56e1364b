/**
 * loadProject: a Doodba project folder -> {@link ProjectModel}. Synchronous (small config files);
 * every effect goes through the platform's Fs.
 */
import { posix } from "node:path";
import { DockerfileParser } from "dockerfile-ast";
import ignore from "ignore";
import { UserError, type Diagnostic, type SourcePos } from "../errors.js";
import { nodePlatform, type Platform } from "../platform/index.js";
import type { Fs } from "../platform/fs.js";
import { ADDONS_PATH, documentApplies, parseAddons } from "./addons.js";
import { loadCompose, type ComposeLoadContext } from "./compose/load.js";
import { collectPositions, parseYaml, positionIndex, toJS } from "./compose/yaml.js";
import { CONFD_DIR, parseConfd } from "./confd.js";
import { parseDotEnv } from "./dotenv.js";
import type {
  ConfdFile,
  CopierAnswers,
  DockerfileModel,
  DotEnvEntry,
  EnvModel,
  GitIgnore,
  OdooConfig,
  OdooVersion,
  ProjectModel,
  ServiceModel,
} from "./model.js";
import { effectiveOdooConfig, isOdooCommand } from "./odoo-config.js";
import { REPOS_PATH, parseRepos } from "./repos.js";

export type * from "./model.js";

export interface LoadOptions {
  platform?: Platform;
  /** Environments to load (names as in {@link ProjectModel.envNames}); default all. */
  envs?: string[];
  /** Extra environment made of explicit compose files merged in order (`-f a.yaml -f b.yaml`). */
  files?: string[];
  /** Variables that override `.env` (default: the platform's process environment). */
  environ?: Record<string, string | undefined>;
}

/** Root YAML files that are never environments. */
const NOT_ENVS = new Set([
  "common.yaml",
  "common.yml",
  ".copier-answers.yml",
  ".copier-answers.yaml",
  ".pre-commit-config.yaml",
  ".travis.yml",
  ".gitlab-ci.yml",
  ".eslintrc.yml",
  ".prettierrc.yml",
  ".yamllint.yml",
  ".yamllint.yaml",
  ".doodba-ops.yaml",
  ".doodba-ops.yml",
  "mkdocs.yml",
  "codecov.yml",
  ".codecov.yml",
  ".readthedocs.yml",
]);
const ENV_ORDER = ["devel", "test", "prod"];

/** Folders not walked when listing project files (clones of addon repos, build output). */
const SKIP_DIRS = new Set([".git", "node_modules", ".venv", "odoo/auto", "dist", ".doodba-ops"]);

function listFiles(fs: Fs, dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string, depth: number): void => {
    if (depth > 8 || out.length > 20000) return;
    let entries;
    try {
      entries = fs.readdir(rel ? posix.join(dir, rel) : dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (SKIP_DIRS.has(p) || SKIP_DIRS.has(e.name)) continue;
      // Cloned addon repositories under odoo/custom/src/<repo>/ are not project configuration.
      if (rel === "odoo/custom/src" && e.isDirectory && e.name !== "private") continue;
      if (e.isDirectory) walk(p, depth + 1);
      else out.push(p);
    }
  };
  walk("", 0);
  return out.sort();
}

function versionFrom(s: string | undefined): { value: string; major: number } | undefined {
  if (!s) return undefined;
  const m = /(?:^|[^\d.])(\d{1,2})(?:\.(\d+))?(?=$|[^\d])/.exec(s);
  if (!m) return undefined;
  const major = Number.parseInt(m[1] ?? "", 10);
  if (!Number.isFinite(major) || major < 6 || major > 40) return undefined;
  return { value: `${major}.${m[2] ?? "0"}`, major };
}

export function loadProject(dir: string, opts: LoadOptions = {}): ProjectModel {
  const platform = opts.platform ?? nodePlatform();
  const fs = platform.fs;
  const absDir = posix.resolve(dir);
  if (!fs.isDirectory(absDir)) {
    throw new UserError(`Project directory ${dir} does not exist or is not a directory`, {
      hint: "Run doodba-ops in a Doodba project (the folder with common.yaml, prod.yaml and odoo/), or pass its path.",
      next: "doodba-ops check path/to/project",
    });
  }
  const diagnostics: Diagnostic[] = [];
  const files = listFiles(fs, absDir);
  const fileSet = new Set(files);
  const readCache = new Map<string, string | undefined>();
  const read = (rel: string): string | undefined => {
    const key = posix.normalize(rel).replace(/^\.\//, "");
    if (readCache.has(key)) return readCache.get(key);
    let text: string | undefined;
    try {
      text = fs.readText(posix.join(absDir, key));
    } catch {
      text = undefined;
    }
    readCache.set(key, text);
    return text;
  };

  // .env
  const dotenv: Record<string, DotEnvEntry> = {};
  const envText = read(".env");
  if (envText !== undefined) for (const e of parseDotEnv(envText, ".env")) dotenv[e.key] = { value: e.value ?? "", pos: e.pos };
  const environ = opts.environ ?? platform.environ;
  const vars: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(dotenv)) vars[k] = v.value;
  for (const [k, v] of Object.entries(environ)) if (v !== undefined) vars[k] = v;

  // .copier-answers.yml
  let answers: CopierAnswers | undefined;
  for (const name of [".copier-answers.yml", ".copier-answers.yaml"]) {
    const t = read(name);
    if (t === undefined) continue;
    const parsed = parseYaml(t, name);
    const root = parsed.docs[0];
    if (root?.kind === "map") {
      const positions = new Map<string, SourcePos>();
      collectPositions(root, positions);
      answers = { path: name, data: toJS(root) as Record<string, unknown>, positions: positionIndex(positions) };
    }
    break;
  }

  // odoo/Dockerfile
  let dockerfile: DockerfileModel | undefined;
  const dfText = read("odoo/Dockerfile");
  if (dfText !== undefined) {
    const df = DockerfileParser.parse(dfText);
    const p = (line: number, character: number): SourcePos => ({ file: "odoo/Dockerfile", line: line + 1, col: character + 1 });
    dockerfile = {
      path: "odoo/Dockerfile",
      from: df.getFROMs().map((f) => ({ image: f.getImage() ?? "", stage: f.getBuildStage() ?? undefined, pos: p(f.getRange().start.line, f.getRange().start.character) })),
      args: {},
    };
    for (const a of df.getARGs()) {
      const prop = a.getProperty();
      if (!prop) continue;
      const name = prop.getName();
      dockerfile.args[name] = { value: prop.getValue() ?? undefined, pos: p(a.getRange().start.line, a.getRange().start.character) };
    }
  }

  const addons = parseAddons(read(ADDONS_PATH));
  const repos = parseRepos(read(REPOS_PATH));

  // conf.d in name order; a file without a section header continues the previous one.
  const confd: ConfdFile[] = [];
  let section = "options";
  for (const f of files.filter((x) => x.startsWith(`${CONFD_DIR}/`) && x.endsWith(".conf") && !x.slice(CONFD_DIR.length + 1).includes("/"))) {
    const parsed = parseConfd(read(f) ?? "", f, section);
    section = parsed.endSection;
    confd.push({ path: parsed.path, entries: parsed.entries });
  }

  // .gitignore (root)
  const giText = read(".gitignore");
  const ig = ignore();
  if (giText !== undefined) ig.add(giText);
  const gitignore: GitIgnore = {
    exists: giText !== undefined,
    ignores: (rel) => {
      const clean = rel.replace(/^\.\//, "");
      if (!clean || clean === "/") return false;
      try {
        return ig.ignores(clean);
      } catch {
        return false;
      }
    },
  };

  // Environments
  const discovered = discoverEnvs(fs, absDir, files, read);
  let wanted: { name: string; files: string[] }[] = discovered;
  if (opts.files && opts.files.length > 0) {
    for (const f of opts.files) {
      if (!fileSet.has(f) && read(f) === undefined) {
        throw new UserError(`Compose file ${f} not found in ${dir}`, { hint: "Pass paths relative to the project directory." });
      }
    }
    const name = opts.files.map((f) => posix.basename(f).replace(/\.ya?ml$/, "")).join("+");
    wanted = [{ name, files: opts.files }];
  } else if (opts.envs && opts.envs.length > 0) {
    wanted = [];
    for (const e of opts.envs) {
      const hit = discovered.find((d) => d.name === e || d.files[0] === e);
      if (!hit) {
        throw new UserError(`Environment "${e}" not found in ${dir}`, {
          hint: discovered.length ? `Environments in this project: ${discovered.map((d) => d.name).join(", ")}.` : "This folder has no compose files (devel.yaml, test.yaml, prod.yaml, ...).",
          next: discovered.length ? `doodba-ops check ${dir} --env ${discovered[0]?.name ?? "prod"}` : undefined,
        });
      }
      wanted.push(hit);
    }
  }

  const cctx: ComposeLoadContext = { fs, dir: absDir, vars, diagnostics };
  const envs: Record<string, EnvModel> = {};
  // Built from ./odoo: doodba unless its Dockerfile says otherwise. Prebuilt images: doodba only when
  // the project's Dockerfile is doodba-based (the image is then this project's build).
  const dfDoodba = dockerfile?.from.some((f) => /doodba/i.test(f.image));
  const doodbaHint = { built: dfDoodba ?? true, image: dfDoodba ?? false };
  for (const w of wanted) {
    const compose = loadCompose(cctx, w.files);
    const odoo: OdooConfig[] = [];
    for (const svc of Object.values(compose.services)) {
      const kind = odooServiceKind(svc, doodbaHint);
      if (!kind) continue;
      const base = ["services", svc.name];
      odoo.push(
        effectiveOdooConfig({
          service: svc,
          doodba: kind === "doodba",
          confd: kind === "doodba" || svc.build ? confd : [],
          envPos: (n) => compose.positions.exact([...base, "environment", n]),
          commandPos: (i) => compose.positions.at([...base, "command", i]),
          buildArgPos: (n) => compose.positions.at([...base, "build", "args", n]),
        }),
      );
    }
    const first = odoo[0] ? compose.services[odoo[0].service] : undefined;
    const addonVars: Record<string, string | null> = { ...(first?.build?.args ?? {}), ...(first?.environment ?? {}) };
    envs[w.name] = {
      name: w.name,
      compose,
      variables: Object.fromEntries(Object.entries(vars).filter((e): e is [string, string] => e[1] !== undefined)),
      odoo,
      addons: addons.documents.filter((d) => documentApplies(d, addonVars)),
    };
  }

  const model: ProjectModel = {
    dir: absDir,
    dotenv,
    answers,
    dockerfile,
    addons,
    repos,
    confd,
    gitignore,
    files,
    envNames: wanted.map((w) => w.name),
    envs,
    read,
    diagnostics,
  };
  model.odooVersion = detectOdooVersion(model);
  return model;
}

function discoverEnvs(fs: Fs, absDir: string, files: string[], read: (rel: string) => string | undefined): { name: string; files: string[] }[] {
  const out: { name: string; files: string[] }[] = [];
  const rootYaml = files.filter((f) => !f.includes("/") && /\.ya?ml$/.test(f) && !NOT_ENVS.has(f));
  const envFiles = new Set(rootYaml);
  for (const f of rootYaml) {
    const text = read(f);
    if (text === undefined || !/^(services|version)\s*:/m.test(text)) continue;
    // docker-compose.yml is often a symlink to devel.yaml: the same environment twice.
    if (f.startsWith("docker-compose.")) {
      const target = symlinkTarget(fs, absDir, f);
      if (target && envFiles.has(target)) continue;
    }
    out.push({ name: f.replace(/\.ya?ml$/, ""), files: [f] });
  }
  const rank = (n: string): number => {
    const i = ENV_ORDER.indexOf(n);
    return i < 0 ? ENV_ORDER.length : i;
  };
  return out.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

function symlinkTarget(fs: Fs, absDir: string, rel: string): string | undefined {
  const real = fs.realpath?.(posix.join(absDir, rel));
  const realDir = fs.realpath?.(absDir) ?? absDir;
  if (!real || real === posix.join(realDir, rel)) return undefined;
  return posix.relative(realDir, real);
}

/** doodba: runs the doodba image; plain: another Odoo image; undefined: not Odoo. */
export function odooServiceKind(svc: ServiceModel, doodba: { built: boolean; image: boolean }): "doodba" | "plain" | undefined {
  const image = (svc.image ?? "").toLowerCase();
  if (/postgres|postgis|traefik|nginx|redis|mailhog|smtp|mailserver|duplicity|backup|pgweb|pgadmin|cron\b|proxy|wdb|kibana|elastic|metabase/.test(image)) return undefined;
  const cmd = svc.command;
  if (cmd && cmd.length > 0 && !isOdooCommand(cmd) && !cmd[0]?.startsWith("-")) {
    // runs something else (a shell, a migration script, click-odoo): not the server
    if (!/odoo/.test(cmd.join(" "))) return undefined;
  }
  const context = svc.build?.context?.replace(/\/$/, "");
  if (context === "odoo") return doodba.built ? "doodba" : "plain";
  if (/doodba/.test(image)) return "doodba";
  const last = image.split("/").pop()?.split(":")[0] ?? "";
  if (/^odoo/.test(last) || /runbot/.test(last)) return doodba.image ? "doodba" : "plain";
  // A service named odoo* running a project-specific image (e.g. ghcr.io/acme/egov_odoo:15.0).
  if (/^odoo([-_]|$)/.test(svc.name) && !svc.build && (!svc.image || /odoo/.test(last))) return doodba.image ? "doodba" : "plain";
  return undefined;
}

function detectOdooVersion(p: ProjectModel): OdooVersion | undefined {
  const df = p.dockerfile;
  // 1. Dockerfile FROM with a literal version tag
  for (const f of df?.from ?? []) {
    const tag = f.image.split(":")[1];
    if (tag && !tag.includes("$")) {
      const v = versionFrom(tag);
      if (v) return { ...v, source: "dockerfile", pos: f.pos };
    }
  }
  // 2. compose build arg ODOO_VERSION of an Odoo service
  for (const name of p.envNames) {
    const env = p.envs[name];
    for (const cfg of env?.odoo ?? []) {
      const svc = env?.compose.services[cfg.service];
      const v = versionFrom(svc?.build?.args.ODOO_VERSION);
      if (v && env) return { ...v, source: "compose-build-arg", pos: env.compose.positions.at(["services", cfg.service, "build", "args", "ODOO_VERSION"]) };
    }
  }
  // 3. Dockerfile ARG default
  const arg = df?.args.ODOO_VERSION;
  const av = versionFrom(arg?.value);
  if (av && arg) return { ...av, source: "dockerfile", pos: arg.pos };
  // 4. .env (doodba-scaffolding: ODOO_MINOR=11.0, ODOO_MAJOR=11)
  for (const k of ["ODOO_VERSION", "ODOO_MINOR", "ODOO_MAJOR"]) {
    const e = p.dotenv[k];
    const v = versionFrom(e?.value);
    if (v && e) return { ...v, source: "dotenv", pos: e.pos };
  }
  // 5. copier answers
  if (p.answers) {
    const v = versionFrom(String(p.answers.data.odoo_version ?? ""));
    if (v) return { ...v, source: "copier-answers", pos: p.answers.positions.at(["odoo_version"]) };
  }
  // 6. image tag of an Odoo service
  for (const name of p.envNames) {
    const env = p.envs[name];
    for (const cfg of env?.odoo ?? []) {
      const svc = env?.compose.services[cfg.service];
      const tag = svc?.image?.split("/").pop()?.split(":")[1];
      const v = versionFrom(tag);
      if (v && env) return { ...v, source: "image-tag", pos: env.compose.positions.at(["services", cfg.service, "image"]) };
    }
  }
  return undefined;
}
