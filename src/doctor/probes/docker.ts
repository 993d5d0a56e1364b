/**
 * Docker engine probes, through the `docker` CLI (platform.exec; DOCKER_HOST and the current
 * docker context are respected because the CLI reads them). Finds the containers of one Compose
 * environment from their labels, reads their state, restart count, health and OOM kills, and
 * streams the recent logs of a container. No engine (no CLI, no daemon, no permission) is a
 * "skipped" probe with the CLI's own reason, never "ok".
 */
import { posix } from "node:path";
import type { Exec, StreamingProcess } from "../../platform/exec.js";
import type { EnvModel, ProjectModel } from "../../project/model.js";
import type { DoctorFinding, ProbeResult } from "../types.js";
import { finding, firstLine, probe, runBounded } from "./util.js";

export interface DockerEngine {
  /** Server version, e.g. "28.2.2". */
  version: string;
  /** Daemon address, e.g. unix:///var/run/docker.sock, tcp://10.0.0.5:2376, ssh://deploy@host. */
  host: string;
  /** Unix socket or named pipe: published ports and volume paths are on this machine. */
  local: boolean;
  /** Host name to reach published ports on a remote engine (tcp:// or ssh://), undefined when local. */
  remoteHost?: string;
  /** Docker's data root (volumes live under it), when `docker info` tells. */
  rootDir?: string;
}

export interface ContainerPort {
  /** Container port, e.g. 8069. */
  containerPort: number;
  protocol: string;
  /** Host interface ("0.0.0.0", "127.0.0.1", "::"). */
  hostIp: string;
  hostPort: number;
}

export interface ContainerMount {
  type: string;
  /** Volume name (named volumes). */
  name?: string;
  /** Path on the engine host. */
  source: string;
  destination: string;
}

export interface DockerContainer {
  id: string;
  /** Without the leading "/". */
  name: string;
  project?: string;
  service?: string;
  workingDir?: string;
  /** Compose files from `com.docker.compose.project.config_files`: absolute (compose v2) or relative to the working dir (v1). */
  configFiles: string[];
  oneOff: boolean;
  image: string;
  /** created, restarting, running, removing, paused, exited, dead */
  state: string;
  exitCode: number;
  /** Docker's State.Error (e.g. a failed mount). */
  error?: string;
  startedAt?: string;
  finishedAt?: string;
  /** healthy, unhealthy, starting; undefined without a health check. */
  health?: string;
  healthFailingStreak?: number;
  /** Output of the last failing health check, trimmed. */
  healthLastOutput?: string;
  restartCount: number;
  oomKilled: boolean;
  restartPolicy?: string;
  /** HostConfig.Memory in bytes (0 = no limit). */
  memoryLimit: number;
  ports: ContainerPort[];
  networks: { name: string; ip: string }[];
  mounts: ContainerMount[];
}

export const DEFAULT_DOCKER_TIMEOUT_MS = 15_000;

export interface DockerCliOptions {
  exec: Exec;
  /** The environment the CLI runs with (DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG...). */
  environ: Record<string, string | undefined>;
  /** @default 15000 */
  timeoutMs?: number;
}

/** A thin typed wrapper over the docker CLI. */
export class DockerCli {
  private readonly exec: Exec;
  private readonly env: Record<string, string | undefined>;
  private readonly timeoutMs: number;

  constructor(opts: DockerCliOptions) {
    this.exec = opts.exec;
    const env: Record<string, string | undefined> = {};
    for (const k of ["DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_API_VERSION"]) {
      if (opts.environ[k] !== undefined) env[k] = opts.environ[k];
    }
    this.env = env;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS;
  }

  private run(args: string[]): ReturnType<typeof runBounded> {
    return runBounded(this.exec, "docker", args, { env: this.env, timeoutMs: this.timeoutMs });
  }

  /** The engine, or why it cannot be reached. */
  async engine(): Promise<{ engine: DockerEngine } | { reason: string }> {
    if (!(await this.exec.which("docker"))) return { reason: "the docker CLI is not installed (not on PATH)" };
    const v = await this.run(["version", "--format", "{{json .Server}}"]);
    const server = parseJson(v.stdout);
    const version = isObj(server) ? str(server.Version) : undefined;
    if (v.exitCode !== 0 || !version) {
      const why = firstLine(v.stderr) || firstLine(v.stdout) || `docker version exited ${v.exitCode}`;
      return { reason: `no Docker engine answers: ${why}` };
    }
    let host = this.env.DOCKER_HOST;
    if (!host) {
      const c = await this.run(["context", "inspect", "--format", "{{.Endpoints.docker.Host}}"]);
      host = c.exitCode === 0 ? firstLine(c.stdout) : "";
    }
    host = host || "unix:///var/run/docker.sock";
    const local = /^(unix|npipe):\/\//.test(host) || host.startsWith("/");
    const engine: DockerEngine = { version, host, local };
    if (!local) engine.remoteHost = remoteHostOf(host);
    const info = await this.run(["info", "--format", "{{.DockerRootDir}}"]);
    const root = info.exitCode === 0 ? firstLine(info.stdout) : "";
    if (root.startsWith("/")) engine.rootDir = root;
    return { engine };
  }

  /** Every container that carries Compose labels (all states), inspected. */
  async composeContainers(): Promise<DockerContainer[]> {
    const ps = await this.run(["ps", "-a", "-q", "--no-trunc", "--filter", "label=com.docker.compose.project"]);
    if (ps.exitCode !== 0) throw new Error(`docker ps failed: ${firstLine(ps.stderr)}`);
    const ids = ps.stdout.split(/\s+/).filter(Boolean);
    if (ids.length === 0) return [];
    const out: DockerContainer[] = [];
    // inspect in batches: a host with hundreds of containers stays within argv limits
    for (let i = 0; i < ids.length; i += 100) {
      const r = await this.run(["inspect", ...ids.slice(i, i + 100)]);
      // a container removed between ps and inspect makes inspect exit 1 but still print the others
      const parsed = parseJson(r.stdout);
      if (!Array.isArray(parsed)) {
        if (r.exitCode !== 0) throw new Error(`docker inspect failed: ${firstLine(r.stderr)}`);
        continue;
      }
      for (const c of parsed) {
        const pc = parseInspect(c);
        if (pc) out.push(pc);
      }
    }
    return out.sort((a, b) => (a.service ?? "").localeCompare(b.service ?? "") || a.name.localeCompare(b.name));
  }

  /** `docker logs --since <since> <id>` with stderr folded into stdout (Odoo logs on stderr). */
  async logs(id: string, since: string): Promise<StreamingProcess> {
    // sh -c: the container's stderr comes out on docker's stderr; the scanner reads one stream.
    const proc = await this.exec.spawn("sh", ["-c", 'exec docker logs --since "$1" "$2" 2>&1', "sh", since, id], { env: this.env });
    proc.stdin.end();
    return proc;
  }
}

/** Host name of tcp://host:port or ssh://user@host:port. */
export function remoteHostOf(host: string): string | undefined {
  try {
    const u = new URL(host);
    return u.hostname.replace(/^\[|\]$/g, "") || undefined;
  } catch {
    return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text.trim());
  } catch {
    return undefined;
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** One element of `docker inspect` output -> {@link DockerContainer}. undefined when it is not a container. */
export function parseInspect(raw: unknown): DockerContainer | undefined {
  if (!isObj(raw)) return undefined;
  const id = str(raw.Id);
  if (!id) return undefined;
  const state = isObj(raw.State) ? raw.State : {};
  const config = isObj(raw.Config) ? raw.Config : {};
  const hostConfig = isObj(raw.HostConfig) ? raw.HostConfig : {};
  const labels: Record<string, string> = {};
  if (isObj(config.Labels)) for (const [k, v] of Object.entries(config.Labels)) if (typeof v === "string") labels[k] = v;
  const health = isObj(state.Health) ? state.Health : undefined;
  const c: DockerContainer = {
    id,
    name: (str(raw.Name) ?? id.slice(0, 12)).replace(/^\//, ""),
    configFiles: (labels["com.docker.compose.project.config_files"] ?? "").split(",").map((s) => s.trim()).filter(Boolean),
    oneOff: (labels["com.docker.compose.oneoff"] ?? "").toLowerCase() === "true",
    image: str(config.Image) ?? "",
    state: str(state.Status) ?? (state.Running === true ? "running" : "unknown"),
    exitCode: num(state.ExitCode) ?? 0,
    restartCount: num(raw.RestartCount) ?? 0,
    oomKilled: state.OOMKilled === true,
    memoryLimit: num(hostConfig.Memory) ?? 0,
    ports: [],
    networks: [],
    mounts: [],
  };
  const project = labels["com.docker.compose.project"];
  if (project) c.project = project;
  const service = labels["com.docker.compose.service"];
  if (service) c.service = service;
  const wd = labels["com.docker.compose.project.working_dir"];
  if (wd) c.workingDir = wd;
  const err = str(state.Error);
  if (err) c.error = err;
  const started = str(state.StartedAt);
  if (started && !started.startsWith("0001-")) c.startedAt = started;
  const finished = str(state.FinishedAt);
  if (finished && !finished.startsWith("0001-")) c.finishedAt = finished;
  if (health) {
    const hs = str(health.Status);
    if (hs) c.health = hs;
    const streak = num(health.FailingStreak);
    if (streak !== undefined) c.healthFailingStreak = streak;
    const log = Array.isArray(health.Log) ? health.Log.filter(isObj) : [];
    const lastFail = [...log].reverse().find((l) => num(l.ExitCode) !== 0);
    const out = lastFail ? str(lastFail.Output)?.trim() : undefined;
    if (out) c.healthLastOutput = out.length > 300 ? `${out.slice(0, 300)}…` : out;
  }
  const rp = isObj(hostConfig.RestartPolicy) ? str(hostConfig.RestartPolicy.Name) : undefined;
  if (rp) c.restartPolicy = rp;
  const ns = isObj(raw.NetworkSettings) ? raw.NetworkSettings : {};
  if (isObj(ns.Ports)) {
    for (const [key, bindings] of Object.entries(ns.Ports)) {
      const m = /^(\d+)\/(\w+)$/.exec(key);
      if (!m || !Array.isArray(bindings)) continue;
      for (const b of bindings) {
        if (!isObj(b)) continue;
        const hostPort = Number(str(b.HostPort));
        if (!Number.isInteger(hostPort) || hostPort <= 0) continue;
        c.ports.push({ containerPort: Number(m[1]), protocol: m[2] ?? "tcp", hostIp: str(b.HostIp) ?? "", hostPort });
      }
    }
  }
  if (isObj(ns.Networks)) {
    for (const [name, n] of Object.entries(ns.Networks)) {
      const ip = isObj(n) ? str(n.IPAddress) : undefined;
      // host networking has no address of its own: the container's ports are the host's
      if (ip) c.networks.push({ name, ip });
      else if (name === "host") c.networks.push({ name, ip: "127.0.0.1" });
    }
  }
  if (Array.isArray(raw.Mounts)) {
    for (const m of raw.Mounts) {
      if (!isObj(m)) continue;
      const source = str(m.Source);
      const destination = str(m.Destination);
      if (!source || !destination) continue;
      const mount: ContainerMount = { type: str(m.Type) ?? "", source, destination };
      const name = str(m.Name);
      if (name) mount.name = name;
      c.mounts.push(mount);
    }
  }
  return c;
}

// ---------------------------------------------------------------------------------------------
// Which containers belong to the environment

/** Compose project names `docker compose` would use for this directory: v2 keeps [a-z0-9_-], v1 only [a-z0-9]. */
export function defaultProjectNames(dir: string): string[] {
  const base = posix.basename(dir).toLowerCase();
  const v2 = base.replace(/[^a-z0-9_-]/g, "").replace(/^[^a-z0-9]+/, "");
  const v1 = base.replace(/[^a-z0-9]/g, "");
  return [...new Set([v2, v1].filter(Boolean))];
}

export interface EnvContainers {
  /** The Compose project name the containers were matched on. */
  project?: string;
  /** How they were matched, for the report. */
  how: string;
  containers: DockerContainer[];
}

/**
 * The containers of one environment. In order of trust: an explicit project name; containers
 * whose Compose labels say they were created from this directory with this environment's compose
 * file; the `-p` convention (COMPOSE_PROJECT_NAME, else the directory's name).
 */
export function matchEnvContainers(all: readonly DockerContainer[], project: ProjectModel, env: EnvModel, projectName?: string): EnvContainers {
  const live = all.filter((c) => !c.oneOff);
  if (projectName) {
    return { project: projectName, how: `compose project ${projectName} (--project-name)`, containers: live.filter((c) => c.project === projectName) };
  }
  const files = env.compose.files.map((f) => posix.resolve(project.dir, f));
  const root = files.find((f) => posix.basename(f).replace(/\.ya?ml$/, "") === env.name) ?? files[0];
  // compose v2 records absolute config file paths, v1 the paths as given (relative to the working dir)
  const byLabels = live.filter((c) => {
    const wd = c.workingDir;
    return wd !== undefined && samePath(wd, project.dir) && root !== undefined && c.configFiles.some((f) => samePath(posix.resolve(wd, f), root));
  });
  if (byLabels.length > 0) {
    const names = [...new Set(byLabels.map((c) => c.project ?? ""))].sort();
    const chosen = names[0] ?? "";
    return {
      project: chosen || undefined,
      how: `containers created from ${posix.relative(project.dir, root ?? "") || root} in this directory (compose project ${chosen})`,
      containers: byLabels.filter((c) => (c.project ?? "") === chosen),
    };
  }
  const candidates = [env.variables.COMPOSE_PROJECT_NAME, ...defaultProjectNames(project.dir)].filter((x): x is string => Boolean(x));
  for (const name of candidates) {
    const cs = live.filter((c) => c.project === name);
    if (cs.length > 0) return { project: name, how: `compose project ${name}${name === env.variables.COMPOSE_PROJECT_NAME ? " (COMPOSE_PROJECT_NAME)" : " (the directory's name)"}`, containers: cs };
  }
  return { how: `no container with compose project ${candidates.join(" or ")} or created from ${root ? posix.basename(root) : env.name} in ${project.dir}`, containers: [] };
}

function samePath(a: string, b: string): boolean {
  return posix.normalize(a).replace(/\/+$/, "") === posix.normalize(b).replace(/\/+$/, "");
}

// ---------------------------------------------------------------------------------------------
// Container state -> probe results and findings

/** Services whose outage stops the whole ERP: Odoo services and their PostgreSQL. */
export interface CriticalServices {
  odoo: readonly string[];
  db: readonly string[];
}

/** Restart count from which a restarting container is an error rather than a warning. */
export const MANY_RESTARTS = 5;

export function assessContainers(env: EnvModel, matched: EnvContainers, critical: CriticalServices): { probe: ProbeResult; findings: DoctorFinding[] } {
  const findings: DoctorFinding[] = [];
  const cs = [...matched.containers].sort((a, b) => (a.service ?? "").localeCompare(b.service ?? "") || a.name.localeCompare(b.name));
  const title = "Containers of the environment";
  if (cs.length === 0) {
    findings.push(
      finding(
        "environment-not-running",
        "critical",
        `No container of environment ${env.name} on this Docker engine`,
        [`looked for ${matched.how}`],
        "The environment is not deployed on this engine (or was removed), or it runs under another Compose project name.",
        `Start it: \`docker compose -f ${env.compose.files.join(" -f ")} up -d\` in the project directory, or pass the project name it was started with: \`--project-name <name>\`.`,
      ),
    );
    return { probe: probe("containers", title, "problem", `no container found (${matched.how})`), findings };
  }
  const isCritical = (svc: string | undefined): boolean => svc !== undefined && (critical.odoo.includes(svc) || critical.db.includes(svc));
  const rows: string[] = [];
  for (const c of cs) {
    const label = `${c.name} (service ${c.service ?? "?"})`;
    const bits = [c.state];
    if (c.health) bits.push(c.health);
    if (c.restartCount > 0) bits.push(`${c.restartCount} restart${c.restartCount === 1 ? "" : "s"}`);
    if (c.oomKilled) bits.push("OOM-killed");
    rows.push(`${c.service ?? c.name}: ${bits.join(", ")}`);

    if (c.oomKilled && c.state !== "running" && c.state !== "restarting") {
      findings.push(
        finding(
          "container-oom-killed",
          isCritical(c.service) ? "critical" : "error",
          `Container ${c.name} was killed for memory (OOM) and is down`,
          [`${label}: state ${c.state}, exit code ${c.exitCode}, State.OOMKilled = true${c.memoryLimit > 0 ? `, memory limit ${Math.round(c.memoryLimit / 1024 / 1024)} MiB` : ", no container memory limit (the host ran out)"}${c.finishedAt ? `, at ${c.finishedAt}` : ""}`],
          "The container used more memory than its limit (or the host had none left) and the kernel killed it. For Odoo: workers × limit_memory_hard above the container limit, or a report/import that needs more; for PostgreSQL: shared_buffers + connections × work_mem.",
          `Start it again (\`docker start ${c.name}\`), then make it fit: for Odoo lower \`workers\` or \`limit_memory_hard\` so that workers × limit_memory_hard + 150 MiB fits \`mem_limit\` (rule memory-hard-exceeds-container of \`doodba-ops check\`), or raise \`mem_limit\`.`,
        ),
      );
    } else if (c.state === "restarting" || (c.state !== "running" && c.state !== "paused" && c.state !== "created" && c.state !== "removing")) {
      const ev = [`${label}: state ${c.state}, exit code ${c.exitCode}${c.state === "restarting" ? `, ${c.restartCount} restarts` : ""}${c.finishedAt ? `, ${c.state === "restarting" ? "last stop" : "stopped"} at ${c.finishedAt}` : ""}`];
      if (c.error) ev.push(`docker: ${c.error}`);
      if (c.oomKilled) ev.push("the kernel OOM killer stopped it last time (State.OOMKilled)");
      findings.push(
        finding(
          c.state === "restarting" ? "container-restarting" : "container-not-running",
          isCritical(c.service) ? "critical" : "error",
          c.state === "restarting" ? `Container ${c.name} is restarting in a loop` : `Container ${c.name} is not running (${c.state})`,
          ev,
          c.state === "restarting"
            ? "The process exits right after it starts and the restart policy starts it again: a configuration error, a missing dependency (database, volume), or memory."
            : "It exited or was stopped. A non-zero exit code means it failed; exit code 137 is a kill (OOM or docker kill), 143 a stop.",
          c.state === "restarting"
            ? `Read why it stops: \`docker logs --tail 100 ${c.name}\`; stop the loop while you fix it: \`docker stop ${c.name}\`.`
            : `Read why it stopped: \`docker logs --tail 100 ${c.name}\`; then start it again: \`docker start ${c.name}\` (or \`docker compose up -d ${c.service ?? ""}\`).`.replace(" )", ")"),
        ),
      );
    } else if (c.state === "paused") {
      findings.push(finding("container-paused", "error", `Container ${c.name} is paused`, [`${label}: paused`], "Someone ran `docker pause` (or a backup tool did and did not resume it).", `\`docker unpause ${c.name}\``));
    } else if (c.state === "created") {
      findings.push(finding("container-not-running", isCritical(c.service) ? "critical" : "warning", `Container ${c.name} was created but never started`, [`${label}: created`], "`docker compose up` failed before starting it (a port already in use, a missing volume or network).", `\`docker compose up -d ${c.service ?? ""}\` and read its error.`));
    }
    if (c.oomKilled && c.state === "running") {
      findings.push(
        finding(
          "container-oom-killed",
          "error",
          `Container ${c.name} was killed for memory (OOM) before its current start`,
          [`${label}: State.OOMKilled = true${c.memoryLimit > 0 ? `, memory limit ${Math.round(c.memoryLimit / 1024 / 1024)} MiB` : ", no container memory limit (the host ran out)"}`, `${c.restartCount} restart(s)`],
          "The container used more memory than its limit (or the host had none left). For Odoo: workers × limit_memory_hard above the container limit, or a report/import that needs more.",
          "Lower `workers` or `limit_memory_hard` so that workers × limit_memory_hard + 150 MiB fits the container limit, or raise `mem_limit`; `doodba-ops check` computes it (rule memory-hard-exceeds-container).",
        ),
      );
    }
    if (c.health === "unhealthy") {
      const ev = [`${label}: health check unhealthy${c.healthFailingStreak ? `, ${c.healthFailingStreak} failures in a row` : ""}`];
      if (c.healthLastOutput) ev.push(`last check output: ${c.healthLastOutput}`);
      findings.push(
        finding(
          "container-unhealthy",
          isCritical(c.service) ? "error" : "warning",
          `Container ${c.name} is unhealthy`,
          ev,
          "Its health check fails: the service does not answer (overloaded, stuck, or still waiting for the database).",
          `See the check's output: \`docker inspect --format '{{json .State.Health}}' ${c.name}\`, and the logs: \`docker logs --tail 100 ${c.name}\`.`,
        ),
      );
    }
    if (c.restartCount > 0 && c.state !== "restarting") {
      findings.push(
        finding(
          "container-restarts",
          c.restartCount >= MANY_RESTARTS ? "error" : "warning",
          `Container ${c.name} restarted ${c.restartCount} time${c.restartCount === 1 ? "" : "s"}`,
          [`${label}: RestartCount ${c.restartCount}${c.startedAt ? `, running since ${c.startedAt}` : ""}${c.oomKilled ? ", last stop was an OOM kill" : ""}`],
          "The process crashed or was killed and Docker's restart policy brought it back. Each restart drops the users' sessions in flight.",
          `Find the crash in the logs before the last start: \`docker logs --until ${c.startedAt ?? "<time>"} --tail 200 ${c.name}\`.`,
        ),
      );
    }
  }
  // services of the env that have no container at all
  const have = new Set(cs.map((c) => c.service));
  for (const svc of Object.values(env.compose.services)) {
    if (have.has(svc.name)) continue;
    if (svc.replicas === 0 || Array.isArray(svc.raw.profiles)) continue;
    findings.push(
      finding(
        "service-without-container",
        isCritical(svc.name) ? "critical" : "warning",
        `Service ${svc.name} has no container`,
        [`${matched.project ? `compose project ${matched.project}` : "the environment"} has containers for ${[...have].filter(Boolean).sort().join(", ")} but none for ${svc.name}`],
        "It was never started, or it was removed (`docker compose rm`, a failed `up`).",
        `\`docker compose -f ${env.compose.files.join(" -f ")} up -d ${svc.name}\``,
      ),
    );
  }
  const bad = findings.filter((f) => f.severity !== "info");
  return {
    probe: probe("containers", title, bad.length > 0 ? "problem" : "ok", `${matched.how}: ${rows.join("; ")}`, { containers: cs.map((c) => ({ name: c.name, service: c.service, state: c.state, health: c.health, restartCount: c.restartCount, oomKilled: c.oomKilled })) }),
    findings,
  };
}
