/**
 * The Docker Compose runtime of `deploy`: everything deploy asks of the engine, through
 * platform.exec (never child_process). Works against the local engine, `DOCKER_HOST` (tcp://,
 * ssh://: the docker CLI and compose handle it) and a `--context`; uses compose v2
 * (`docker compose`) when the docker CLI has it, else `docker-compose` v1.
 */
import { UserError } from "../../errors.js";
import type { Exec, ExecResult } from "../../platform/exec.js";
import type { ContainerState, ImageState } from "../types.js";

export interface ComposeTarget {
  /** Absolute project directory (compose's --project-directory). */
  dir: string;
  /** Compose project name (-p). */
  project: string;
  /** Compose files, project-relative, in -f order. */
  files: string[];
}

export interface RuntimeOptions {
  exec: Exec;
  /** Docker context (`docker --context`). */
  context?: string;
  /** Extra environment (DOCKER_HOST is inherited from the process unless set here). */
  env?: Record<string, string | undefined>;
  /** Force a compose flavour instead of detecting it. */
  compose?: "v2" | "v1";
}

export interface UpOptions {
  /** Do not start linked services. */
  noDeps?: boolean;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  /** `--scale svc=n` */
  scale?: Record<string, number>;
  /** Do not build images (they were built already). @default true */
  noBuild?: boolean;
}

export interface RunOptions {
  /** Start no dependencies. @default false (compose starts the database the update needs) */
  noDeps?: boolean;
  env?: Record<string, string>;
  /** Override the entry point. */
  entrypoint?: string;
}

/** Compose's label names. */
export const LABEL = {
  project: "com.docker.compose.project",
  service: "com.docker.compose.service",
  configHash: "com.docker.compose.config-hash",
  number: "com.docker.compose.container-number",
  oneoff: "com.docker.compose.oneoff",
} as const;

export class ComposeRuntime {
  readonly kind = "compose" as const;
  private flavour?: "v2" | "v1";
  constructor(
    private readonly opts: RuntimeOptions,
    readonly target: ComposeTarget,
  ) {
    this.flavour = opts.compose;
  }

  /** A --context was given: the engine may be on another machine (its disk is not ours to check). */
  get remote(): boolean {
    return this.opts.context !== undefined;
  }

  private dockerArgs(args: readonly string[]): string[] {
    return this.opts.context ? ["--context", this.opts.context, ...args] : [...args];
  }

  /** Runs the docker CLI. */
  async docker(args: readonly string[], input?: string): Promise<ExecResult> {
    return await this.opts.exec.run("docker", this.dockerArgs(args), { env: this.opts.env, cwd: this.target.dir, input });
  }

  private async dockerOk(args: readonly string[], what: string): Promise<string> {
    const r = await this.docker(args);
    if (r.exitCode !== 0) throw new DeployStepError(`${what} failed: ${lastLines(r.stderr || r.stdout)}`);
    return r.stdout;
  }

  /** `docker compose` (v2) or `docker-compose` (v1), detected once. */
  async composeFlavour(): Promise<"v2" | "v1"> {
    if (this.flavour) return this.flavour;
    const v2 = await this.opts.exec.run("docker", this.dockerArgs(["compose", "version", "--short"]), { env: this.opts.env });
    if (v2.exitCode === 0) this.flavour = "v2";
    else if (await this.opts.exec.which("docker-compose")) this.flavour = "v1";
    else {
      throw new UserError("Neither `docker compose` (v2) nor `docker-compose` (v1) is installed", {
        hint: "Install the Docker Compose plugin (docker-compose-plugin) or docker-compose.",
      });
    }
    return this.flavour;
  }

  private async composeArgv(args: readonly string[]): Promise<[string, string[]]> {
    const base = ["-p", this.target.project, "--project-directory", this.target.dir, ...this.target.files.flatMap((f) => ["-f", f])];
    if ((await this.composeFlavour()) === "v2") return ["docker", this.dockerArgs(["compose", ...base, ...args])];
    return ["docker-compose", [...(this.opts.context ? ["--context", this.opts.context] : []), ...base, ...args]];
  }

  /** Runs compose with the target's project, directory and files. */
  async compose(args: readonly string[], input?: string): Promise<ExecResult> {
    const [cmd, argv] = await this.composeArgv(args);
    return await this.opts.exec.run(cmd, argv, { env: this.opts.env, cwd: this.target.dir, input });
  }

  private async composeOk(args: readonly string[], what: string): Promise<string> {
    const r = await this.compose(args);
    if (r.exitCode !== 0) throw new DeployStepError(`${what} failed: ${lastLines(r.stderr || r.stdout)}`, r.stderr);
    return r.stdout;
  }

  // -------------------------------------------------------------------------------------------
  // Reading state

  /** The engine's version, or the error that says why it does not answer. */
  async engineVersion(): Promise<{ version?: string; error?: string; swarm?: string }> {
    const r = await this.docker(["info", "--format", "{{.ServerVersion}}|{{.Swarm.LocalNodeState}}"]);
    const [version, swarm] = r.stdout.trim().split("|");
    if (r.exitCode !== 0 || !version) return { error: lastLines(r.stderr || r.stdout) || `docker info exited ${r.exitCode}` };
    return { version, swarm };
  }

  /** Containers of the project (all, stopped too), by compose labels. */
  async listContainers(): Promise<ContainerState[]> {
    const ids = (await this.dockerOk(["ps", "-aq", "--no-trunc", "--filter", `label=${LABEL.project}=${this.target.project}`], "listing containers"))
      .split("\n")
      .map((s) => s.trim())
      .filter(Boolean);
    if (ids.length === 0) return [];
    const raw = JSON.parse(await this.dockerOk(["inspect", ...ids], "inspecting containers")) as DockerContainerJson[];
    return raw.map(toContainerState).sort((a, b) => a.service.localeCompare(b.service) || Number(a.oneoff) - Number(b.oneoff) || (a.number ?? 0) - (b.number ?? 0) || a.name.localeCompare(b.name));
  }

  /** IP address per network of a container. */
  async containerAddresses(container: string): Promise<Record<string, string>> {
    const r = await this.docker(["inspect", "--format", "{{json .NetworkSettings.Networks}}", container]);
    if (r.exitCode !== 0) return {};
    const nets = JSON.parse(r.stdout.trim() || "{}") as Record<string, { IPAddress?: string }>;
    return Object.fromEntries(Object.entries(nets).filter(([, v]) => v.IPAddress).map(([k, v]) => [k, v.IPAddress ?? ""]));
  }

  /** A local image, or undefined when the engine does not have it. */
  async inspectImage(ref: string): Promise<ImageState | undefined> {
    const r = await this.docker(["image", "inspect", ref]);
    if (r.exitCode !== 0) return undefined;
    const [img] = JSON.parse(r.stdout) as DockerImageJson[];
    if (!img) return undefined;
    return {
      ref,
      id: img.Id,
      repoDigests: img.RepoDigests ?? [],
      repoTags: img.RepoTags ?? [],
      created: img.Created,
      labels: img.Config?.Labels ?? {},
    };
  }

  /** Config hash per service as compose computes it (`config --hash=*`); empty when compose cannot say. */
  async configHashes(): Promise<Record<string, string>> {
    const r = await this.compose(["config", "--hash=*"]);
    const out: Record<string, string> = {};
    if (r.exitCode !== 0) return out;
    for (const line of r.stdout.split("\n")) {
      const m = /^(\S+)\s+([0-9a-f]{64})$/.exec(line.trim());
      if (m?.[1] && m[2]) out[m[1]] = m[2];
    }
    return out;
  }

  /** Free bytes on the engine's data root, when the engine is local (undefined otherwise). */
  async dataRoot(): Promise<string | undefined> {
    const r = await this.docker(["info", "--format", "{{.DockerRootDir}}"]);
    return r.exitCode === 0 ? r.stdout.trim() || undefined : undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Acting

  async build(services: string[]): Promise<void> {
    if (services.length === 0) return;
    await this.composeOk(["build", ...services], `building ${services.join(", ")}`);
  }

  async pull(services: string[]): Promise<void> {
    if (services.length === 0) return;
    await this.composeOk(["pull", ...services], `pulling ${services.join(", ")}`);
  }

  async up(services: string[], o: UpOptions = {}): Promise<void> {
    const args = ["up", "-d"];
    if (o.noBuild ?? true) args.push("--no-build");
    if (o.noDeps) args.push("--no-deps");
    if (o.forceRecreate) args.push("--force-recreate");
    if (o.noRecreate) args.push("--no-recreate");
    for (const [svc, n] of Object.entries(o.scale ?? {})) args.push("--scale", `${svc}=${n}`);
    await this.composeOk([...args, ...services], `starting ${services.join(", ") || "the services"}`);
  }

  /** A one-off container of a service (`compose run --rm`): the module update. */
  async run(service: string, command: string[], o: RunOptions = {}): Promise<ExecResult> {
    const args = ["run", "--rm", "-T"];
    if (o.noDeps) args.push("--no-deps");
    if (o.entrypoint !== undefined) args.push("--entrypoint", o.entrypoint);
    for (const [k, v] of Object.entries(o.env ?? {})) args.push("-e", `${k}=${v}`);
    return await this.compose([...args, service, ...command]);
  }

  /** Runs a command in a running container. */
  async exec(container: string, command: string[], input?: string): Promise<ExecResult> {
    return await this.docker(["exec", ...(input !== undefined ? ["-i"] : []), container, ...command], input);
  }

  async logs(container: string, tail = 50): Promise<string> {
    const r = await this.docker(["logs", "--tail", String(tail), container]);
    return `${r.stdout}${r.stderr}`;
  }

  async tag(source: string, target: string): Promise<void> {
    await this.dockerOk(["tag", source, target], `tagging ${source} as ${target}`);
  }

  async removeImage(ref: string): Promise<void> {
    await this.docker(["image", "rm", ref]);
  }

  async stop(containers: string[], timeoutSeconds = 10): Promise<void> {
    if (containers.length === 0) return;
    await this.dockerOk(["stop", "-t", String(timeoutSeconds), ...containers], `stopping ${containers.join(", ")}`);
  }

  async remove(containers: string[]): Promise<void> {
    if (containers.length === 0) return;
    await this.dockerOk(["rm", "-f", ...containers], `removing ${containers.join(", ")}`);
  }

  /** Compose's `rm -s -f` of services that are no longer in the files (orphans). */
  async removeOrphans(): Promise<void> {
    await this.composeOk(["up", "-d", "--no-build", "--no-recreate", "--remove-orphans", "--no-start"], "removing orphan containers");
  }
}

/** A step of deploy failed (the engine refused, a command exited non-zero). Not a user error: deploy rolls back. */
export class DeployStepError extends Error {
  constructor(
    message: string,
    readonly output?: string,
  ) {
    super(message);
    this.name = "DeployStepError";
  }
}

export function lastLines(s: string, n = 6): string {
  return s
    .split("\n")
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-n)
    .join("\n");
}

interface DockerContainerJson {
  Id: string;
  Name: string;
  Image: string;
  Created: string;
  Config: { Image: string; Labels?: Record<string, string> | null };
  State: { Status: string; Health?: { Status: string } };
}

interface DockerImageJson {
  Id: string;
  RepoDigests?: string[] | null;
  RepoTags?: string[] | null;
  Created?: string;
  Config?: { Labels?: Record<string, string> | null };
}

function toContainerState(c: DockerContainerJson): ContainerState {
  const labels = c.Config.Labels ?? {};
  const health = c.State.Health?.Status;
  const num = Number(labels[LABEL.number]);
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ""),
    service: labels[LABEL.service] ?? "",
    image: c.Config.Image,
    imageId: c.Image,
    configHash: labels[LABEL.configHash],
    state: c.State.Status,
    health: health === "healthy" || health === "unhealthy" || health === "starting" ? health : undefined,
    number: Number.isFinite(num) && num > 0 ? num : undefined,
    oneoff: (labels[LABEL.oneoff] ?? "").toLowerCase() === "true",
    created: c.Created,
  };
}
