/**
 * deploy --target swarm: lock -> preflight (engine, swarm active, check gates) -> build with
 * compose, pin a per-deploy tag (`<image>-<deploy id>`: Swarm only updates a service whose spec
 * changes, and a rebuilt image under the same tag would not) -> stack file in
 * `.doodba-ops/stack-<env>.yaml` -> `docker stack deploy` -> progress until every service has
 * converged (running replicas = desired, update completed) or Swarm rolled it back
 * (`failure_action: rollback` after the new task failed its health check) -> history.
 */
import { stringify } from "yaml";
import { UserError } from "../../errors.js";
import type { DeployContext } from "../apply.js";
import { acquireLock, appendHistory, newDeployId, type DeployRecord } from "../history.js";
import { DeployStepError, lastLines } from "../runtimes/compose.js";
import { toStack, type StackConversion } from "./convert.js";

export interface SwarmApplyOptions {
  breakLock: boolean;
  /** Seconds to wait for convergence. */
  timeout: number;
  gates: { ruleId: string; message: string }[];
  force: boolean;
  command: string;
}

interface UpdateStatus {
  State?: string;
  Message?: string;
  StartedAt?: string;
}

interface ServiceInspect {
  Spec: { Name: string; TaskTemplate: { ContainerSpec: { Image: string } }; Mode?: { Replicated?: { Replicas?: number } } };
  UpdateStatus?: UpdateStatus;
}

/** Image reference with a per-deploy tag: acme-odoo:prod -> acme-odoo:prod-<id>, acme-odoo -> acme-odoo:<id>. */
export function pinnedTag(image: string, id: string): string {
  const at = image.lastIndexOf(":");
  const slash = image.lastIndexOf("/");
  const hasTag = at > slash;
  return hasTag ? `${image}-${id}` : `${image}:${id}`;
}

/** The stack of an environment as deploy would write it (for `deploy plan --target swarm`). */
export function planStack(ctx: DeployContext, images: Record<string, string> = {}): StackConversion {
  const env = ctx.model.envs[ctx.desired.env];
  if (!env) throw new UserError(`Environment ${ctx.desired.env} is not loaded`);
  return toStack(env, { images, odoo: ctx.desired.services.filter((s) => s.odoo).map((s) => s.name), dir: ctx.model.dir, endpointMode: ctx.config.swarmEndpointMode, monitorSeconds: ctx.config.swarmMonitor });
}

async function inspectServices(ctx: DeployContext, stack: string): Promise<ServiceInspect[]> {
  const ids = await ctx.runtime.docker(["service", "ls", "-q", "--filter", `label=com.docker.stack.namespace=${stack}`]);
  const list = ids.stdout.split("\n").map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) return [];
  const r = await ctx.runtime.docker(["service", "inspect", ...list]);
  if (r.exitCode !== 0) throw new DeployStepError(`docker service inspect failed: ${lastLines(r.stderr)}`);
  return JSON.parse(r.stdout) as ServiceInspect[];
}

async function runningTasks(ctx: DeployContext, service: string): Promise<number> {
  const r = await ctx.runtime.docker(["service", "ps", "--filter", "desired-state=running", "--format", "{{.CurrentState}}", service]);
  return r.stdout.split("\n").filter((l) => l.startsWith("Running")).length;
}

export async function applySwarm(ctx: DeployContext, o: SwarmApplyOptions): Promise<{ record: DeployRecord; exitCode: 0 | 1; warnings: StackConversion["warnings"] }> {
  const started = new Date(ctx.clock());
  const id = newDeployId(started, ctx.platform.randomBytes?.(4) ?? Buffer.from("0000"));
  const user = ctx.platform.environ.USER ?? ctx.platform.environ.LOGNAME ?? "unknown";
  const release = await acquireLock(ctx.io, { id, pid: process.pid, host: ctx.io.host, user, since: started.toISOString(), command: o.command }, ctx.log, o.breakLock);
  const stack = ctx.desired.project;
  const record: DeployRecord = { id, kind: "deploy", env: ctx.desired.env, project: stack, target: "swarm", startedAt: started.toISOString(), finishedAt: "", user, host: ctx.io.host, from: {}, to: {}, previousTags: {}, steps: [], outcome: "failed" };
  let warnings: StackConversion["warnings"] = [];
  const step = async <T>(name: string, fn: () => Promise<T>, detail: (v: T) => string): Promise<T> => {
    const t0 = ctx.clock();
    ctx.log(`[${record.steps.length + 1}/4] ${name}...`);
    try {
      const v = await fn();
      record.steps.push({ name, status: "ok", seconds: Math.round((ctx.clock() - t0) / 100) / 10, detail: detail(v) });
      ctx.log(`      ${name}: ok: ${detail(v)}`);
      return v;
    } catch (e) {
      record.steps.push({ name, status: "failed", seconds: Math.round((ctx.clock() - t0) / 100) / 10, detail: e instanceof Error ? e.message : String(e) });
      ctx.log(`      ${name}: FAILED: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    }
  };
  try {
    const before = await inspectServices(ctx, stack);
    for (const s of before) {
      const name = s.Spec.Name.slice(stack.length + 1);
      const img = await ctx.runtime.inspectImage(s.Spec.TaskTemplate.ContainerSpec.Image);
      record.from[name] = img?.id ?? s.Spec.TaskTemplate.ContainerSpec.Image;
    }
    await step("preflight", async () => {
      const eng = await ctx.runtime.engineVersion();
      if (!eng.version) throw new DeployStepError(`the Docker engine does not answer: ${eng.error ?? ""}`);
      if (eng.swarm !== "active") throw new UserError("This engine is not a Swarm manager", { hint: "Initialise one with `docker swarm init` (one node), or point DOCKER_HOST / --context at a manager.", next: "docker swarm init --advertise-addr <this host's address>" });
      if (o.gates.length > 0 && !o.force) throw new DeployStepError(`${o.gates.length} blocking finding(s) of check (deploy --force deploys anyway)`);
      return `engine ${eng.version}, swarm manager`;
    }, (v) => v);

    const images = await step("build and pin images", async () => {
      const built = ctx.desired.services.filter((s) => s.build).map((s) => s.name);
      await ctx.runtime.build(built);
      const pinned: Record<string, string> = {};
      for (const name of built) {
        const d = ctx.desired.services.find((s) => s.name === name);
        const img = d ? await ctx.runtime.inspectImage(d.image) : undefined;
        if (!d || !img) continue;
        const current = before.find((s) => s.Spec.Name === `${stack}_${name}`)?.Spec.TaskTemplate.ContainerSpec.Image;
        const currentId = current ? (await ctx.runtime.inspectImage(current))?.id : undefined;
        if (current && currentId === img.id) pinned[name] = current;
        else {
          const tag = pinnedTag(d.image, id);
          await ctx.runtime.tag(img.id, tag);
          pinned[name] = tag;
        }
      }
      return pinned;
    }, (p) => Object.entries(p).map(([k, v]) => `${k}=${v}`).join(", ") || "nothing to build");

    const conv = planStack(ctx, images);
    warnings = conv.warnings;
    for (const w of warnings) ctx.log(`doodba-ops deploy: swarm: ${w.services.join(", ")}: ${w.message}`);
    const file = `${ctx.io.dir}/.doodba-ops/stack-${ctx.desired.env}.yaml`;
    if (ctx.platform.fs.mkdirp) await ctx.platform.fs.mkdirp(`${ctx.io.dir}/.doodba-ops`);
    await ctx.platform.fs.writeText(file, `# Generated by doodba-ops deploy --target swarm from ${ctx.desired.files.join(", ")}; rewritten at every deploy.\n${stringify(conv.stack, { sortMapEntries: true })}`, 0o600);

    await step("stack deploy", async () => {
      const r = await ctx.runtime.docker(["stack", "deploy", "--compose-file", file, "--resolve-image", "never", "--prune", stack]);
      if (r.exitCode !== 0) throw new DeployStepError(`docker stack deploy failed: ${lastLines(r.stderr || r.stdout)}`);
      return file;
    }, (f) => `${stack} from ${f.slice(ctx.io.dir.length + 1)}`);

    const outcome = await step("converge", () => converge(ctx, stack, o.timeout, started.getTime()), (v) => v.detail);
    record.outcome = outcome.rolledBack ? "rolled-back" : "success";
    if (outcome.rolledBack) record.error = outcome.detail;
  } catch (e) {
    if (e instanceof UserError) throw e;
    record.outcome = "failed";
    record.error = e instanceof Error ? e.message : String(e);
  } finally {
    try {
      record.finishedAt = new Date(ctx.clock()).toISOString();
      for (const s of await inspectServices(ctx, stack).catch(() => [])) {
        const img = await ctx.runtime.inspectImage(s.Spec.TaskTemplate.ContainerSpec.Image);
        record.to[s.Spec.Name.slice(stack.length + 1)] = img?.id ?? s.Spec.TaskTemplate.ContainerSpec.Image;
      }
      if (record.finishedAt) await appendHistory(ctx.io, record);
    } finally {
      await release();
    }
  }
  return { record, exitCode: record.outcome === "success" ? 0 : 1, warnings };
}

/** Polls the stack's services until each has converged or Swarm rolled it back. */
async function converge(ctx: DeployContext, stack: string, timeoutSeconds: number, since: number): Promise<{ rolledBack: boolean; detail: string }> {
  const t0 = ctx.clock();
  const seen = new Map<string, string>();
  for (;;) {
    const services = await inspectServices(ctx, stack);
    const states: string[] = [];
    let done = true;
    let rolledBack: string | undefined;
    for (const s of services) {
      const want = s.Spec.Mode?.Replicated?.Replicas ?? 1;
      const run = await runningTasks(ctx, s.Spec.Name);
      // An update status left from an earlier deploy (e.g. its rollback) says nothing about this one.
      const fresh = s.UpdateStatus?.StartedAt ? Date.parse(s.UpdateStatus.StartedAt) >= since - 5000 : false;
      const st = fresh ? (s.UpdateStatus?.State ?? "created") : "unchanged";
      const line = `${s.Spec.Name}: ${st} ${run}/${want}${s.UpdateStatus?.Message ? ` (${s.UpdateStatus.Message})` : ""}`;
      if (seen.get(s.Spec.Name) !== line) {
        ctx.log(`      ${line}`);
        seen.set(s.Spec.Name, line);
      }
      states.push(line);
      if (st === "rollback_completed" || st === "rollback_paused") rolledBack = line;
      else if (st === "paused") throw new DeployStepError(`update of ${s.Spec.Name} paused: ${s.UpdateStatus?.Message ?? ""}`);
      if (st === "updating" || st === "rollback_started" || run < want) done = false;
    }
    if (rolledBack && done) return { rolledBack: true, detail: `Swarm rolled back: ${rolledBack}` };
    if (done) return { rolledBack: false, detail: `${services.length} service(s) converged in ${((ctx.clock() - t0) / 1000).toFixed(1)} s` };
    if (ctx.clock() - t0 > timeoutSeconds * 1000) throw new DeployStepError(`not converged after ${timeoutSeconds} s: ${states.join("; ")}`);
    await ctx.sleep(1000);
  }
}

export interface SwarmServiceView {
  name: string;
  image: string;
  replicas: string;
  update?: string;
}

/** `deploy status --target swarm`: the stack's services, their images, replicas and last update state. */
export async function swarmStatus(ctx: DeployContext): Promise<SwarmServiceView[]> {
  const stack = ctx.desired.project;
  const out: SwarmServiceView[] = [];
  for (const s of await inspectServices(ctx, stack)) {
    const want = s.Spec.Mode?.Replicated?.Replicas ?? 1;
    out.push({ name: s.Spec.Name, image: s.Spec.TaskTemplate.ContainerSpec.Image, replicas: `${await runningTasks(ctx, s.Spec.Name)}/${want}`, ...(s.UpdateStatus?.State ? { update: s.UpdateStatus.State } : {}) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * `deploy rollback --target swarm`: Swarm keeps each service's previous spec; `docker service
 * rollback` returns the Odoo services to it (start-first, as configured), then deploy waits for
 * convergence and records it.
 */
export async function rollbackSwarm(ctx: DeployContext, o: { timeout: number; command: string; breakLock?: boolean }): Promise<{ record: DeployRecord; exitCode: 0 | 1 }> {
  const started = new Date(ctx.clock());
  const id = newDeployId(started, ctx.platform.randomBytes?.(4) ?? Buffer.from("0000"));
  const user = ctx.platform.environ.USER ?? "unknown";
  const stack = ctx.desired.project;
  const release = await acquireLock(ctx.io, { id, pid: process.pid, host: ctx.io.host, user, since: started.toISOString(), command: o.command }, ctx.log, o.breakLock);
  const record: DeployRecord = { id, kind: "rollback", env: ctx.desired.env, project: stack, target: "swarm", startedAt: started.toISOString(), finishedAt: "", user, host: ctx.io.host, from: {}, to: {}, previousTags: {}, steps: [], outcome: "failed" };
  const images = async (into: Record<string, string>): Promise<void> => {
    for (const s of await inspectServices(ctx, stack)) {
      const img = await ctx.runtime.inspectImage(s.Spec.TaskTemplate.ContainerSpec.Image);
      into[s.Spec.Name.slice(stack.length + 1)] = img?.id ?? s.Spec.TaskTemplate.ContainerSpec.Image;
    }
  };
  const t0 = ctx.clock();
  try {
    await images(record.from);
    const odoo = ctx.desired.services.filter((s) => s.odoo).map((s) => `${stack}_${s.name}`);
    if (odoo.length === 0) throw new UserError(`The environment ${ctx.desired.env} has no Odoo service to roll back`);
    const current = await inspectServices(ctx, stack);
    for (const svc of odoo) {
      const st = current.find((x) => x.Spec.Name === svc)?.UpdateStatus?.State;
      if (st === "rollback_completed" || st === "rollback_started") {
        throw new UserError(`Swarm already rolled ${svc} back: its previous spec is now the release that failed`, {
          hint: "Swarm keeps one previous spec per service. Deploy the release you want instead.",
        });
      }
    }
    for (const svc of odoo) {
      ctx.log(`doodba-ops deploy rollback: docker service rollback ${svc}`);
      const r = await ctx.runtime.docker(["service", "rollback", "--detach", svc]);
      if (r.exitCode !== 0) throw new DeployStepError(`docker service rollback ${svc} failed: ${lastLines(r.stderr || r.stdout)}`);
    }
    const c = await converge(ctx, stack, o.timeout, started.getTime());
    record.steps.push({ name: "rollback", status: "ok", seconds: Math.round((ctx.clock() - t0) / 100) / 10, detail: c.detail });
    record.outcome = "success";
  } catch (e) {
    if (e instanceof UserError) {
      await release();
      throw e;
    }
    record.error = e instanceof Error ? e.message : String(e);
    record.steps.push({ name: "rollback", status: "failed", seconds: Math.round((ctx.clock() - t0) / 100) / 10, detail: record.error });
  }
  try {
    record.finishedAt = new Date(ctx.clock()).toISOString();
    await images(record.to).catch(() => undefined);
    await appendHistory(ctx.io, record);
  } finally {
    await release();
  }
  return { record, exitCode: record.outcome === "success" ? 0 : 1 };
}
