/**
 * The typed model of a Doodba project: what every command (check, init, tune, deploy, backup,
 * doctor) consumes. Built by {@link loadProject} in ./index.ts. Pure data plus position lookups.
 */
import type { Diagnostic, SourcePos } from "../errors.js";

/** A path into a YAML/JSON-like structure, e.g. ["services", "odoo", "ports", 0]. */
export type Path = readonly (string | number)[];

/** Looks up where a value came from. Falls back to the nearest ancestor that has a position. */
export interface PositionIndex {
  /** Exact position of the value at `path`, if recorded. */
  exact(path: Path): SourcePos | undefined;
  /** Position of `path`, or of its nearest recorded ancestor. */
  at(path: Path): SourcePos | undefined;
}

/** A value with the place it was read from. */
export interface Located<T> {
  value: T;
  pos?: SourcePos;
}

// ---------------------------------------------------------------------------------------------
// Compose

export interface PortMapping {
  /** Host interface; undefined means all interfaces (0.0.0.0 / ::). */
  hostIp?: string;
  /** Published host port or range; undefined when only the container port is exposed (random host port). */
  published?: string;
  /** Container port (first of a range). */
  target: number;
  protocol: string;
  /** "ingress" | "host" (long syntax `mode`). @default "ingress" */
  mode?: string;
  pos?: SourcePos;
}

export interface VolumeMount {
  type: "volume" | "bind" | "tmpfs" | "npipe" | "cluster" | "image";
  /** Named volume, host path (bind) or undefined (anonymous volume / tmpfs). */
  source?: string;
  target: string;
  readOnly: boolean;
  pos?: SourcePos;
}

export interface DependsOn {
  condition: "service_started" | "service_healthy" | "service_completed_successfully" | string;
  pos?: SourcePos;
}

export interface HealthCheck {
  test?: string[];
  disable: boolean;
  interval?: string;
  timeout?: string;
  retries?: number;
  startPeriod?: string;
  pos?: SourcePos;
}

export interface BuildSpec {
  context: string;
  dockerfile?: string;
  args: Record<string, string>;
  pos?: SourcePos;
}

/** One service after extends, merge, interpolation and normalisation. */
export interface ServiceModel {
  name: string;
  image?: string;
  build?: BuildSpec;
  containerName?: string;
  /** Variables from env_file(s) then `environment`, as the container sees them (values may be null: passed through from the host and unset). */
  environment: Record<string, string | null>;
  /** argv form; a string command is split like a shell would. */
  command?: string[];
  entrypoint?: string[];
  ports: PortMapping[];
  expose: string[];
  volumes: VolumeMount[];
  labels: Record<string, string>;
  /** Attached networks (name -> aliases). Empty means the implicit `default` network. */
  networks: Record<string, { aliases: string[] }>;
  networkMode?: string;
  dependsOn: Record<string, DependsOn>;
  restart?: string;
  healthcheck?: HealthCheck;
  privileged: boolean;
  user?: string;
  capAdd: string[];
  /** Memory limit in bytes from `mem_limit` or `deploy.resources.limits.memory`. */
  memLimit?: number;
  /** CPU limit from `cpus` or `deploy.resources.limits.cpus`. */
  cpus?: number;
  /** `deploy.replicas` (swarm / compose v2). */
  replicas?: number;
  /** The merged, interpolated service mapping as Docker Compose would see it (normalised forms). */
  raw: Record<string, unknown>;
  /** Where the service is declared (its key in the last file that defines it). */
  pos?: SourcePos;
}

export interface ComposeModel {
  /** Compose files merged, in `-f` order, relative to the project directory. */
  files: string[];
  /** Compose file format `version:` if any file declares one. */
  version?: string;
  services: Record<string, ServiceModel>;
  networks: Record<string, Record<string, unknown> | null>;
  volumes: Record<string, Record<string, unknown> | null>;
  secrets: Record<string, Record<string, unknown> | null>;
  /** The whole merged, interpolated document in normalised form (like `docker compose config`). */
  raw: Record<string, unknown>;
  /** Positions of every value of `raw`, keyed by its path. */
  positions: PositionIndex;
}

// ---------------------------------------------------------------------------------------------
// Odoo configuration

export type OdooOptionSource =
  /** Odoo's built-in default (odoo/tools/config.py). */
  | "odoo-default"
  /** Set by the doodba image's common/conf.d templates and its ENV/ONBUILD ARG defaults. */
  | "doodba-default"
  /** Doodba image variable set in the compose file or an env_file (e.g. LIST_DB). */
  | "environment"
  /** A build arg of the odoo service (ONBUILD ARG, e.g. ADMIN_PASSWORD). */
  | "build-arg"
  /** odoo/custom/conf.d/*.conf */
  | "conf.d"
  /** A flag in the compose `command:`. */
  | "command";

export interface OdooOption {
  key: string;
  value: string;
  source: OdooOptionSource;
  pos?: SourcePos;
}

/** The effective odoo.conf of one Odoo service in one environment. */
export interface OdooConfig {
  /** The compose service this config belongs to. */
  service: string;
  options: Record<string, OdooOption>;
}

// ---------------------------------------------------------------------------------------------
// Project-level files

export interface DotEnvEntry {
  value: string;
  pos: SourcePos;
}

export interface DockerfileModel {
  path: string;
  /** FROM lines (image references as written, ARGs not yet expanded) with their stage names. */
  from: { image: string; stage?: string; pos: SourcePos }[];
  /** ARG declarations with their defaults. */
  args: Record<string, { value?: string; pos: SourcePos }>;
}

export interface AddonsDocument {
  /** Position of the document start. */
  pos?: SourcePos;
  /** `ONLY: {VAR: [values]}` */
  only: Record<string, string[]>;
  /** `ENV: {...}` */
  env: Record<string, string>;
  /** repo folder -> globs (position of each glob) */
  repos: Record<string, { pattern: string; pos?: SourcePos }[]>;
  /** Position of each repo key. */
  repoPos: Record<string, SourcePos | undefined>;
}

export interface AddonsConfig {
  path: string;
  exists: boolean;
  documents: AddonsDocument[];
}

export interface RepoSpec {
  name: string;
  remotes: Record<string, string>;
  target?: string;
  merges: { remote: string; ref: string; pos?: SourcePos }[];
  depth?: number;
  shellCommandAfter: string[];
  pos?: SourcePos;
}

export interface ReposConfig {
  path: string;
  exists: boolean;
  repos: Record<string, RepoSpec>;
}

export interface ConfdEntry {
  section: string;
  key: string;
  /** Raw value as written (before `$VAR` expansion). */
  raw: string;
  pos: SourcePos;
}

export interface ConfdFile {
  path: string;
  entries: ConfdEntry[];
}

export interface CopierAnswers {
  path: string;
  data: Record<string, unknown>;
  positions: PositionIndex;
}

export interface GitIgnore {
  /** true when the project has a .gitignore. */
  exists: boolean;
  /** Whether a project-relative path (use a trailing "/" for folders) is ignored. */
  ignores(relPath: string): boolean;
}

export interface OdooVersion {
  /** e.g. "17.0" */
  value: string;
  major: number;
  source: "dockerfile" | "compose-build-arg" | "dotenv" | "copier-answers" | "image-tag";
  pos?: SourcePos;
}

// ---------------------------------------------------------------------------------------------
// Environments and project

/** One environment of the project: devel, test, prod, or any compose file the user names. */
export interface EnvModel {
  name: string;
  compose: ComposeModel;
  /** Variables used for interpolation (.env overridden by the process environment). */
  variables: Record<string, string>;
  /** Effective Odoo configuration per Odoo service (services built from ./odoo or running a doodba/odoo image). */
  odoo: OdooConfig[];
  /** addons.yaml documents that apply to this environment (ONLY evaluated against the Odoo service's environment). */
  addons: AddonsDocument[];
}

export interface ProjectModel {
  /** Absolute path of the project directory. */
  dir: string;
  odooVersion?: OdooVersion;
  dotenv: Record<string, DotEnvEntry>;
  answers?: CopierAnswers;
  dockerfile?: DockerfileModel;
  addons: AddonsConfig;
  repos: ReposConfig;
  /** odoo/custom/conf.d/*.conf in name order. */
  confd: ConfdFile[];
  gitignore: GitIgnore;
  /** Project-relative paths of files that exist (compose files, .docker/*, ssh keys...), for rules about files. */
  files: string[];
  /** Environment names found (devel, test, prod, ... in that order, then others sorted). */
  envNames: string[];
  envs: Record<string, EnvModel>;
  /**
   * Reads another project file (nginx/traefik configs, scripts) by project-relative path.
   * undefined when it does not exist or is not readable. Cached.
   */
  read(relPath: string): string | undefined;
  /** Non-fatal problems met while loading. */
  diagnostics: Diagnostic[];
}
