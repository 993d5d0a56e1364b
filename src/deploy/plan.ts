/**
 * deploy planning: pure. The desired state (from the project model) and the actual state (read
 * from the engine by a runtime) go in; a {@link DeployPlan} comes out: images to build or pull,
 * services to create, recreate or remove, whether a module update runs, the pre-deploy backup,
 * the checks that gate the deploy, and how each service is switched. No I/O here: unit-tested
 * without an engine.
 */
import type { EnvModel, ServiceModel } from "../project/model.js";
import type { ActualState, ContainerState, DesiredService, DesiredState } from "./types.js";

/** What happens to one image. */
export interface ImageStep {
  service: string;
  image: string;
  action: "build" | "pull" | "present";
  /** Image ID the engine has now under that reference. */
  localId?: string;
  /** Image ID the running container uses. */
  runningId?: string;
}

export type ServiceAction =
  /** No container yet. */
  | "create"
  /** Config or image changed: a new container. */
  | "recreate"
  /** Built or pulled: recreated only when the new image differs from the running one. */
  | "recreate-if-changed"
  /** A stopped container of an unchanged service. */
  | "start"
  | "keep"
  /** A container of a service no longer in the compose files. */
  | "remove";

export interface ServiceStep {
  service: string;
  action: ServiceAction;
  reason: string;
  /** How the container is replaced: stop-then-start, or the new one beside the old one first. */
  strategy: "recreate" | "zero-downtime";
  /** Why zero-downtime is not used for an Odoo service, when it is not. */
  strategyNote?: string;
  /** Containers now (names). */
  containers: string[];
  fromImageId?: string;
  toImageId?: string;
  odoo: boolean;
}

export type Tristate = "yes" | "no" | "if-image-changes";

export interface ModuleUpdateStep {
  run: Tristate;
  service?: string;
  /** Command of the one-off container (of the new image). */
  command: string[];
  reason: string;
}

export interface BackupStep {
  kind: "database-dump" | "skipped";
  /** What is dumped, or why nothing is. */
  description: string;
  service?: string;
  database?: string;
}

export interface GateFinding {
  ruleId: string;
  severity: "error" | "warning" | "info";
  message: string;
  /** file:line:col */
  where?: string;
}

export interface DeployPlan {
  project: string;
  env: string;
  target: "compose";
  files: string[];
  engine: { reachable: boolean; version?: string; error?: string };
  /** Nothing of the environment runs yet. */
  firstDeploy: boolean;
  images: ImageStep[];
  services: ServiceStep[];
  moduleUpdate: ModuleUpdateStep;
  backup: BackupStep;
  /** Blocking findings of `check` for this environment (severity error). */
  gates: GateFinding[];
  /** Something will change (or may, after build/pull). */
  changes: boolean;
  /** Why the deploy cannot proceed, when it cannot. */
  blockers: string[];
}

export interface PlanOptions {
  /** `--update`: auto (when the Odoo image changes), none, all, or module names. @default "auto" */
  update: "auto" | "none" | "all" | string[];
  /** Command of the automatic update. @default ["click-odoo-update"] */
  updateCommand?: string[];
  /** `--strategy`. @default "auto" (zero-downtime for Odoo when no module update runs and the service allows two containers) */
  strategy?: "auto" | "recreate" | "zero-downtime";
  backup: BackupStep;
  gates: GateFinding[];
  /** Deploy despite blocking findings (`--force`). */
  force?: boolean;
  /** Image IDs after build/pull (apply plans a second time with them). */
  builtIds?: Record<string, string>;
}

const PROXY_IMAGE = /(^|\/)(nginx|traefik|openresty|caddy|haproxy)(:|@|$)/;
const DB_IMAGE = /(^|\/)(postgres|postgis)[^/]*(:|@|$)/;

/** The compose project name: COMPOSE_PROJECT_NAME, else the directory name normalised like compose does. */
export function composeProjectName(dir: string, variables: Record<string, string>): string {
  const explicit = variables.COMPOSE_PROJECT_NAME?.trim();
  const base = explicit || dir.replace(/\/+$/, "").split("/").pop() || "project";
  return base.toLowerCase().replace(/[^a-z0-9_-]/g, "").replace(/^[_-]+/, "") || "project";
}

/** The image reference compose gives a service: its `image:`, or `<project>[-_]<service>` for a build without one. */
export function serviceImage(project: string, svc: ServiceModel, flavour: "v1" | "v2"): string {
  if (svc.image) return svc.image;
  return flavour === "v2" ? `${project}-${svc.name}` : `${project}_${svc.name}`;
}

/** Desired state of an environment from the project model. */
export function desiredState(env: EnvModel, project: string, flavour: "v1" | "v2", hashes: Record<string, string> = {}): DesiredState {
  const odoo = new Set(env.odoo.map((o) => o.service));
  const services: DesiredService[] = Object.values(env.compose.services)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((svc) => {
      const image = serviceImage(project, svc, flavour);
      const proxyMatch = PROXY_IMAGE.exec(image.toLowerCase());
      return {
        name: svc.name,
        image,
        build: svc.build !== undefined,
        configHash: hashes[svc.name],
        odoo: odoo.has(svc.name),
        proxy: proxyMatch ? (proxyMatch[2] === "traefik" ? "traefik" : "nginx") : undefined,
        database: DB_IMAGE.test(image.toLowerCase()),
        replicas: svc.replicas ?? 1,
        healthcheck: svc.healthcheck !== undefined && !svc.healthcheck.disable,
        publishesPorts: svc.ports.some((p) => p.published !== undefined),
        containerName: svc.containerName,
      };
    });
  return { project, env: env.name, files: env.compose.files, services };
}

function short(id: string | undefined): string {
  return id ? id.replace(/^sha256:/, "").slice(0, 12) : "none";
}

/** Decides what a deploy does. Pure. */
export function planDeploy(desired: DesiredState, actual: ActualState, opts: PlanOptions): DeployPlan {
  const byService = new Map<string, ContainerState[]>();
  for (const c of actual.containers) {
    if (c.oneoff) continue;
    const list = byService.get(c.service) ?? [];
    list.push(c);
    byService.set(c.service, list);
  }
  const desiredNames = new Set(desired.services.map((s) => s.name));
  const firstDeploy = desired.services.every((s) => (byService.get(s.name) ?? []).length === 0);

  const images: ImageStep[] = [];
  const services: ServiceStep[] = [];
  for (const s of desired.services) {
    const containers = byService.get(s.name) ?? [];
    const running = containers.find((c) => c.state === "running") ?? containers[0];
    const local = actual.images[s.image];
    const built = opts.builtIds?.[s.name];
    const localId = built ?? local?.id;
    const action: ImageStep["action"] = s.build ? "build" : local ? "present" : "pull";
    images.push({ service: s.name, image: s.image, action: built ? "present" : action, localId, runningId: running?.imageId });

    let step: Pick<ServiceStep, "action" | "reason">;
    if (!running) step = { action: "create", reason: "no container yet" };
    else if (s.configHash && running.configHash && s.configHash !== running.configHash && !(s.build && !built)) {
      step = { action: "recreate", reason: "configuration changed (compose config hash)" };
    } else if (localId && localId !== running.imageId) {
      step = { action: "recreate", reason: `image changed (${short(running.imageId)} -> ${short(localId)})` };
    } else if ((s.build && !built) || (!s.build && !local)) {
      step = { action: "recreate-if-changed", reason: s.build ? "rebuilt from its build context; recreated if the image changes" : "pulled; recreated if the image changes" };
    } else if (running.state !== "running") step = { action: "start", reason: `container is ${running.state}` };
    else if (containers.filter((c) => c.state === "running").length !== s.replicas) {
      step = { action: "recreate", reason: `${containers.filter((c) => c.state === "running").length} containers run, ${s.replicas} wanted` };
    } else step = { action: "keep", reason: "unchanged" };

    services.push({
      service: s.name,
      ...step,
      strategy: "recreate",
      containers: containers.map((c) => c.name),
      fromImageId: running?.imageId,
      toImageId: step.action === "keep" || step.action === "start" ? running?.imageId : localId,
      odoo: s.odoo,
    });
  }
  for (const [svc, list] of [...byService.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (desiredNames.has(svc)) continue;
    services.push({ service: svc, action: "remove", reason: "no longer in the compose files", strategy: "recreate", containers: list.map((c) => c.name), fromImageId: list[0]?.imageId, odoo: false });
  }

  const moduleUpdate = planModuleUpdate(desired, services, opts, firstDeploy);

  // Switch strategy of the Odoo services.
  for (const step of services) {
    if (!step.odoo || (step.action !== "recreate" && step.action !== "recreate-if-changed")) continue;
    const s = desired.services.find((d) => d.name === step.service);
    const why = zeroDowntimeObstacle(s, moduleUpdate, opts.strategy ?? "auto");
    if (why) step.strategyNote = why;
    else step.strategy = "zero-downtime";
  }

  const blockers: string[] = [];
  if (!actual.engine) blockers.push(`the Docker engine does not answer${actual.engineError ? `: ${actual.engineError}` : ""}`);
  if (opts.gates.length > 0 && !opts.force) blockers.push(`${opts.gates.length} blocking finding(s) of check in ${desired.env} (deploy --force deploys anyway)`);
  if (opts.strategy === "zero-downtime") {
    for (const st of services) if (st.odoo && st.strategyNote && st.action !== "keep") blockers.push(`--strategy zero-downtime: ${st.service}: ${st.strategyNote}`);
  }

  return {
    project: desired.project,
    env: desired.env,
    target: "compose",
    files: desired.files,
    engine: { reachable: actual.engine !== undefined, version: actual.engine, error: actual.engineError },
    firstDeploy,
    images,
    services,
    moduleUpdate,
    backup: opts.backup,
    gates: opts.gates,
    changes: services.some((s) => s.action !== "keep") || moduleUpdate.run === "yes",
    blockers,
  };
}

function planModuleUpdate(desired: DesiredState, services: ServiceStep[], opts: PlanOptions, firstDeploy: boolean): ModuleUpdateStep {
  const odooStep = services.find((s) => s.odoo);
  const service = odooStep?.service;
  if (!service) return { run: "no", command: [], reason: "the environment has no Odoo service" };
  if (opts.update === "none") return { run: "no", service, command: [], reason: "--update none" };
  if (opts.update === "all" || Array.isArray(opts.update)) {
    const mods = opts.update === "all" ? "all" : opts.update.join(",");
    return { run: "yes", service, command: ["odoo", "--stop-after-init", "--no-http", "-u", mods], reason: `--update ${mods}` };
  }
  const command = opts.updateCommand ?? ["click-odoo-update"];
  if (firstDeploy) return { run: "no", service, command, reason: "first deploy: the database is initialised by Odoo itself" };
  if (odooStep.action === "recreate" && odooStep.fromImageId && odooStep.toImageId && odooStep.fromImageId !== odooStep.toImageId) {
    return { run: "yes", service, command, reason: "the Odoo image changed" };
  }
  if (odooStep.action === "recreate-if-changed") return { run: "if-image-changes", service, command, reason: "when the rebuilt/pulled Odoo image differs from the running one" };
  return { run: "no", service, command, reason: "the Odoo image is unchanged" };
}

function zeroDowntimeObstacle(s: DesiredService | undefined, update: ModuleUpdateStep, strategy: "auto" | "recreate" | "zero-downtime"): string | undefined {
  if (!s) return "unknown service";
  if (strategy === "recreate") return "--strategy recreate";
  if (update.run !== "no") return "a module update runs: the old code must not serve the updated database, so Odoo is stopped, updated and started";
  if (s.publishesPorts) return "it publishes host ports, which two containers cannot share";
  if (s.containerName) return "container_name is set, so a second container cannot be started beside it";
  if (s.replicas !== 1) return "it runs several replicas";
  return undefined;
}

/** Services to build / pull, in plan order. */
export function buildList(plan: DeployPlan): string[] {
  return plan.images.filter((i) => i.action === "build").map((i) => i.service);
}

export function pullList(plan: DeployPlan): string[] {
  return plan.images.filter((i) => i.action === "pull").map((i) => i.service);
}
