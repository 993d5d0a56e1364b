/**
 * deploy apply: lock -> preflight -> pre-deploy backup -> keep the previous images under stable
 * tags -> build / pull -> plan again with the new image IDs -> module update in a one-off
 * container of the NEW image (before anything is switched) -> switch (recreate, or the
 * zero-downtime switch for Odoo) -> health (direct and through the proxy) -> smoke tests ->
 * history. On a failure after the backup: automatic rollback (previous images re-tagged and
 * the services recreated; the database restored from the pre-deploy dump when the update step
 * ran and restore-on-failure is on), then exit 1. Nothing is left half-switched: every step
 * that changes the running environment is undone by the rollback.
 */
import type { Platform } from "../platform/index.js";
import type { ProjectModel } from "../project/model.js";
import type { PreDeployBackup, SnapshotRef } from "./backup.js";
import type { DeployConfig } from "./config.js";
import { runSmokeTests, waitContainerHealthy, waitProxyHealthy, type WaitOptions } from "./health.js";
import { acquireLock, appendHistory, newDeployId, previousTag, readHistory, type DeployRecord, type StateIO, type StepRecord } from "./history.js";
import { buildList, planDeploy, pullList, type DeployPlan, type GateFinding, type PlanOptions } from "./plan.js";
import { DeployStepError, lastLines, type ComposeRuntime } from "./runtimes/compose.js";
import type { ActualState, ContainerState, DesiredState } from "./types.js";

export interface DeployContext {
  platform: Platform;
  runtime: ComposeRuntime;
  model: ProjectModel;
  desired: DesiredState;
  config: DeployConfig;
  backup: PreDeployBackup;
  io: StateIO;
  /** One progress line for stderr. */
  log: (line: string) => void;
  sleep: (ms: number) => Promise<void>;
  /** Milliseconds clock. */
  clock: () => number;
}

export interface ApplyOptions {
  update: PlanOptions["update"];
  strategy: "auto" | "recreate" | "zero-downtime";
  noBackup: boolean;
  restoreOnFailure: boolean;
  force: boolean;
  breakLock: boolean;
  /** Seconds. */
  healthTimeout: number;
  gates: GateFinding[];
  /** The command line, for the lock file. */
  command: string;
}

export interface ApplyResult {
  record: DeployRecord;
  plan: DeployPlan;
  /** 0 success / no change, 1 failed (rolled back or not). */
  exitCode: 0 | 1;
}

/** Reads what runs now and the local images the plan compares with. */
export async function readActual(runtime: ComposeRuntime, desired: DesiredState): Promise<ActualState> {
  const eng = await runtime.engineVersion();
  if (!eng.version) return { engineError: eng.error, containers: [], images: {} };
  const containers = await runtime.listContainers();
  const images: ActualState["images"] = {};
  for (const s of desired.services) images[s.image] = await runtime.inspectImage(s.image);
  return { engine: eng.version, containers, images };
}

export async function makePlan(ctx: DeployContext, o: Pick<ApplyOptions, "update" | "strategy" | "noBackup" | "gates" | "force">, builtIds?: Record<string, string>): Promise<{ plan: DeployPlan; actual: ActualState }> {
  const actual = await readActual(ctx.runtime, ctx.desired);
  const plan = planDeploy(ctx.desired, actual, {
    update: o.update,
    updateCommand: ctx.config.updateCommand,
    strategy: o.strategy,
    backup: o.noBackup ? { kind: "skipped", description: "skipped: --no-backup" } : ctx.backup.describe(),
    gates: o.gates,
    force: o.force,
    builtIds,
  });
  return { plan, actual };
}

class Steps {
  readonly records: StepRecord[] = [];
  constructor(
    private readonly ctx: DeployContext,
    private readonly total: () => number,
  ) {}
  async run<T>(name: string, fn: () => Promise<T>, detail?: (v: T) => string | undefined): Promise<T> {
    const t0 = this.ctx.clock();
    this.ctx.log(`[${this.records.length + 1}/${this.total()}] ${name}...`);
    try {
      const v = await fn();
      const d = detail?.(v);
      const seconds = (this.ctx.clock() - t0) / 1000;
      this.records.push({ name, status: "ok", seconds: round(seconds), ...(d ? { detail: d } : {}) });
      this.ctx.log(`      ${name}: ok (${seconds.toFixed(1)} s)${d ? `: ${d}` : ""}`);
      return v;
    } catch (e) {
      const seconds = (this.ctx.clock() - t0) / 1000;
      const msg = e instanceof Error ? e.message : String(e);
      this.records.push({ name, status: "failed", seconds: round(seconds), detail: msg });
      this.ctx.log(`      ${name}: FAILED (${seconds.toFixed(1)} s): ${msg}`);
      throw e;
    }
  }
  skip(name: string, why: string): void {
    this.records.push({ name, status: "skipped", seconds: 0, detail: why });
    this.ctx.log(`[${this.records.length}/${this.total()}] ${name}: skipped (${why})`);
  }
}

const round = (n: number): number => Math.round(n * 10) / 10;

function running(containers: ContainerState[], service: string): ContainerState[] {
  return containers.filter((c) => c.service === service && !c.oneoff && c.state === "running");
}

function proxyOf(ctx: DeployContext, containers: ContainerState[]): { service: string; kind: "nginx" | "traefik"; container?: string } | undefined {
  const p = ctx.desired.services.find((s) => s.proxy);
  if (!p?.proxy) return undefined;
  return { service: p.name, kind: p.proxy, container: running(containers, p.name)[0]?.name };
}

function waitOpts(ctx: DeployContext, seconds: number): WaitOptions {
  return { timeoutMs: seconds * 1000, intervalMs: 1000, sleep: ctx.sleep, now: ctx.clock };
}

/** Waits for every running container of the Odoo services, then through the proxy. */
async function healthGate(ctx: DeployContext, services: string[], timeout: number): Promise<string> {
  const containers = await ctx.runtime.listContainers();
  const details: string[] = [];
  for (const svc of services) {
    const list = running(containers, svc);
    if (list.length === 0) throw new DeployStepError(`${svc} has no running container`);
    for (const c of list) {
      const h = await waitContainerHealthy(ctx.runtime, c.name, ctx.config.healthPath, waitOpts(ctx, timeout));
      if (!h.ok) throw new DeployStepError(`${h.detail}\n${lastLines(await ctx.runtime.logs(c.name, 20), 8)}`);
      details.push(h.detail);
    }
  }
  const proxy = proxyOf(ctx, containers);
  if (proxy?.container) {
    const h = await waitProxyHealthy(ctx.runtime, proxy.container, ctx.config.healthPath, ctx.config.proxyHost, waitOpts(ctx, Math.min(timeout, 120)));
    if (!h.ok) throw new DeployStepError(h.detail);
    details.push(h.detail);
  }
  return details.join("; ");
}

/** nginx resolves upstream names at (re)load: make it see the containers of now. Traefik follows Docker events. */
async function refreshProxy(ctx: DeployContext): Promise<string | undefined> {
  const proxy = proxyOf(ctx, await ctx.runtime.listContainers());
  if (!proxy?.container || proxy.kind !== "nginx") return undefined;
  const r = await ctx.runtime.exec(proxy.container, ["sh", "-c", "nginx -t -q && nginx -s reload"]);
  if (r.exitCode !== 0) throw new DeployStepError(`nginx reload in ${proxy.container} failed: ${lastLines(r.stderr)}`);
  return `nginx in ${proxy.container} reloaded`;
}

/** Marker of the /etc/hosts lines deploy adds in the nginx container during a switch. */
const PIN = "doodba-ops-switch";

/**
 * Points the nginx container's resolution of `service` at these addresses only (lines in its
 * /etc/hosts, which getaddrinfo reads before DNS; written in place: Docker bind-mounts the file)
 * and reloads nginx; with no addresses, removes those lines and reloads (DNS answers again).
 */
async function pinProxy(ctx: DeployContext, service: string, addresses: string[]): Promise<void> {
  const proxy = proxyOf(ctx, await ctx.runtime.listContainers());
  if (!proxy?.container || proxy.kind !== "nginx") return;
  const script = `set -e; keep=$(grep -v '${PIN}' /etc/hosts || true); { printf '%s\n' "$keep"; for ip in "$@"; do printf '%s %s # ${PIN}\n' "$ip" '${service}'; done; } > /etc/hosts; nginx -t -q; nginx -s reload`;
  const r = await ctx.runtime.exec(proxy.container, ["sh", "-c", script, "sh", ...addresses]);
  if (r.exitCode !== 0) throw new DeployStepError(`switching nginx in ${proxy.container} failed: ${lastLines(r.stderr)}`);
}

/**
 * Zero-downtime switch of one Odoo service: a new container of the new image beside the old
 * one(s) (`up --no-recreate --scale svc=n+1`), wait until it is healthy, switch the proxy to it,
 * stop the old container(s) gracefully, remove them.
 * - nginx (the config `init` writes resolves the service name when it loads): its resolution of
 *   the name is pinned to the new container's address and nginx reloaded (old workers finish
 *   their requests on the old container); after the old one is gone the pin is removed and
 *   nginx reloaded again, so DNS answers as before. Stopping the old container first would leave
 *   nginx sending requests to an address that no longer exists until the next reload.
 * - Traefik follows Docker: it adds the new container when its health check passes and drops
 *   the old one when it stops; nothing to do but wait for health.
 */
async function zeroDowntimeSwitch(ctx: DeployContext, service: string, timeout: number): Promise<string> {
  const before = running(await ctx.runtime.listContainers(), service);
  await ctx.runtime.up([service], { noDeps: true, noRecreate: true, scale: { [service]: before.length + 1 } });
  const after = running(await ctx.runtime.listContainers(), service);
  const fresh = after.filter((c) => !before.some((b) => b.id === c.id));
  if (fresh.length === 0) throw new DeployStepError(`compose started no new container of ${service}`);
  for (const c of fresh) {
    const h = await waitContainerHealthy(ctx.runtime, c.name, ctx.config.healthPath, waitOpts(ctx, timeout));
    if (!h.ok) {
      await ctx.runtime.remove(fresh.map((f) => f.name));
      throw new DeployStepError(`${h.detail} (the old container kept serving; the new one was removed)\n${lastLines(await ctx.runtime.logs(c.name, 20).catch(() => ""), 8)}`);
    }
  }
  const addresses: string[] = [];
  for (const c of fresh) addresses.push(...Object.values(await ctx.runtime.containerAddresses(c.name)));
  try {
    await pinProxy(ctx, service, [...new Set(addresses)].sort());
    // Requests already on their way to the old container finish there.
    await ctx.sleep(1000);
    await ctx.runtime.stop(before.map((b) => b.name), 30);
    await ctx.runtime.remove(before.map((b) => b.name));
  } finally {
    await pinProxy(ctx, service, []);
  }
  return `${fresh.map((f) => f.name).join(", ")} replaced ${before.map((b) => b.name).join(", ") || "nothing"} without stopping the service`;
}

function user(ctx: DeployContext): string {
  return ctx.platform.environ.USER ?? ctx.platform.environ.LOGNAME ?? "unknown";
}

function imageIds(containers: ContainerState[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of containers) if (!c.oneoff && c.state === "running" && !out[c.service]) out[c.service] = c.imageId;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export async function applyDeploy(ctx: DeployContext, o: ApplyOptions): Promise<ApplyResult> {
  const started = new Date(ctx.clock());
  const id = newDeployId(started, ctx.platform.randomBytes?.(4) ?? Buffer.from(String(ctx.clock() % 65536).padStart(4, "0")));
  const release = await acquireLock(ctx.io, { id, pid: process.pid, host: ctx.io.host, user: user(ctx), since: started.toISOString(), command: o.command }, ctx.log, o.breakLock);
  try {
    return await deployLocked(ctx, o, id, started);
  } finally {
    await release();
  }
}

async function deployLocked(ctx: DeployContext, o: ApplyOptions, id: string, started: Date): Promise<ApplyResult> {
  let total = 8;
  const steps = new Steps(ctx, () => total);
  const { plan: first, actual } = await makePlan(ctx, o);
  const from = imageIds(actual.containers);
  const record: DeployRecord = {
    id,
    kind: "deploy",
    env: ctx.desired.env,
    project: ctx.desired.project,
    target: "compose",
    startedAt: started.toISOString(),
    finishedAt: "",
    user: user(ctx),
    host: ctx.io.host,
    from,
    to: {},
    previousTags: {},
    steps: steps.records,
    outcome: "failed",
  };
  const finish = async (outcome: DeployRecord["outcome"], plan: DeployPlan, error?: string): Promise<ApplyResult> => {
    record.outcome = outcome;
    if (error) record.error = error;
    record.finishedAt = new Date(ctx.clock()).toISOString();
    const now = await ctx.runtime.listContainers().catch(() => []);
    record.to = imageIds(now);
    const digests: Record<string, string[]> = {};
    for (const [svc, img] of Object.entries(record.to)) {
      const d = (await ctx.runtime.inspectImage(img).catch(() => undefined))?.repoDigests ?? [];
      if (d.length > 0) digests[svc] = d;
    }
    if (Object.keys(digests).length > 0) record.toDigests = digests;
    await appendHistory(ctx.io, record);
    return { record, plan, exitCode: outcome === "success" || outcome === "no-change" ? 0 : 1 };
  };

  // 1. preflight
  try {
    await steps.run("preflight", () => preflight(ctx, first), (v) => v);
  } catch (e) {
    return await finish("failed", first, e instanceof Error ? e.message : String(e));
  }

  // 2. backup
  let snapshot: SnapshotRef | undefined;
  const dbRunning = ctx.desired.services.some((s) => s.database && running(actual.containers, s.name).length > 0);
  if (first.backup.kind === "skipped") steps.skip("pre-deploy backup", first.backup.description.replace(/^skipped: /, ""));
  else if (first.firstDeploy || !dbRunning) steps.skip("pre-deploy backup", first.firstDeploy ? "first deploy: no database yet" : "the database is not running");
  else {
    try {
      snapshot = await steps.run("pre-deploy backup", () => ctx.backup.take(id), (s) => `${s.ref}${s.bytes !== undefined ? ` (${s.bytes} bytes)` : ""}`);
      record.snapshot = snapshot.ref;
    } catch (e) {
      return await finish("failed", first, `pre-deploy backup failed, nothing was changed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  // 3. keep the previous images under stable tags (rollback needs them even after a rebuild re-tags the reference)
  if (Object.keys(from).length === 0) steps.skip("keep previous images", "nothing runs yet");
  else await steps.run("keep previous images", async () => {
    for (const [svc, img] of Object.entries(from)) {
      const tag = previousTag(ctx.desired.project, svc, id);
      await ctx.runtime.tag(img, tag);
      record.previousTags[svc] = tag;
    }
    return Object.keys(record.previousTags).length;
  }, (n) => `${n} image(s) tagged doodba-ops/${ctx.desired.project}-<service>:previous-${id}`);

  // 4. build / pull
  const toBuild = buildList(first);
  const toPull = pullList(first);
  let plan = first;
  try {
    if (toBuild.length + toPull.length === 0) steps.skip("build and pull", "every image is present and nothing is built");
    else {
      await steps.run("build and pull", async () => {
        await ctx.runtime.build(toBuild);
        await ctx.runtime.pull(toPull);
      }, () => [toBuild.length ? `built ${toBuild.join(", ")}` : "", toPull.length ? `pulled ${toPull.join(", ")}` : ""].filter(Boolean).join("; "));
    }
    const built: Record<string, string> = {};
    for (const s of ctx.desired.services) {
      const img = await ctx.runtime.inspectImage(s.image);
      if (img) built[s.name] = img.id;
    }
    plan = (await makePlan(ctx, o, built)).plan;
  } catch (e) {
    // Nothing runs differently yet: the old containers still serve.
    return await finish("failed", plan, `${e instanceof Error ? e.message : String(e)} (nothing was switched: the running containers are unchanged)`);
  }

  if (!plan.changes) {
    ctx.log("doodba-ops deploy: nothing changed: every service runs its current image and configuration");
    return await finish("no-change", plan);
  }

  // 5. module update in a one-off container of the new image
  let updateRan = false;
  let switched = false;
  const changed = plan.services.filter((s) => s.action !== "keep");
  try {
    const mu = plan.moduleUpdate;
    if (mu.run === "yes" && mu.service) {
      updateRan = true;
      await steps.run("module update", async () => {
        const r = await ctx.runtime.run(mu.service ?? "", mu.command);
        if (r.exitCode !== 0) throw new DeployStepError(`\`${mu.command.join(" ")}\` in a one-off ${mu.service} container of the new image exited ${r.exitCode}\n${lastLines(`${r.stdout}\n${r.stderr}`, 8)}`);
        return mu.command.join(" ");
      }, (c) => `${c} (${mu.reason})`);
    } else steps.skip("module update", mu.reason);

    // 6. switch
    const zd = changed.filter((s) => s.strategy === "zero-downtime");
    const plain = changed.filter((s) => s.strategy !== "zero-downtime" && s.action !== "remove");
    switched = true;
    await steps.run("switch", async () => {
      const done: string[] = [];
      if (plain.length > 0) {
        await ctx.runtime.up(plain.map((s) => s.service), { noDeps: false, forceRecreate: false });
        done.push(`recreated ${plain.map((s) => s.service).join(", ")}`);
      }
      for (const s of zd) done.push(await zeroDowntimeSwitch(ctx, s.service, o.healthTimeout));
      const removed = changed.filter((s) => s.action === "remove");
      if (removed.length > 0) {
        await ctx.runtime.remove(removed.flatMap((s) => s.containers));
        done.push(`removed ${removed.map((s) => s.service).join(", ")}`);
      }
      if (plain.length > 0) {
        const r = await refreshProxy(ctx);
        if (r) done.push(r);
      }
      return done.join("; ");
    }, (d) => d);

    // 7. health
    const odoo = ctx.desired.services.filter((s) => s.odoo).map((s) => s.name);
    await steps.run("health", () => healthGate(ctx, odoo, o.healthTimeout), (d) => d);

    // 8. smoke tests
    if (ctx.config.smoke.length === 0) steps.skip("smoke tests", "none declared in .doodba-ops.yaml deploy.smoke");
    else {
      await steps.run("smoke tests", async () => {
        const containers = await ctx.runtime.listContainers();
        const proxy = proxyOf(ctx, containers);
        const via = proxy?.container ? { container: proxy.container, port: 80 } : { container: running(containers, odoo[0] ?? "")[0]?.name ?? "", port: 8069 };
        const results = await runSmokeTests(ctx.runtime, via, ctx.config.smoke, ctx.config.proxyHost);
        const bad = results.filter((r) => !r.ok);
        if (bad.length > 0) throw new DeployStepError(`${bad.length} of ${results.length} smoke test(s) failed: ${bad.map((b) => b.detail).join("; ")}`);
        return results.map((r) => r.detail).join("; ");
      }, (d) => d);
    }
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    total += 1;
    const restore = updateRan && o.restoreOnFailure && snapshot !== undefined;
    try {
      // Before the switch nothing changed but the image references: re-tag them, restart nothing.
      const services = switched || restore ? changed.map((c) => c.service) : [];
      await steps.run("rollback", () => rollbackTo(ctx, { images: from, changed: services, retagOnly: !switched && !restore ? changed.map((c) => c.service) : [], snapshot: restore ? snapshot : undefined, timeout: o.healthTimeout }), (d) => d);
      if (restore) record.databaseRestored = true;
      if (updateRan && !restore) {
        ctx.log(
          snapshot
            ? `doodba-ops deploy: the module update ran: the database may hold its changes. The pre-deploy dump is ${snapshot.ref} (pg_restore it to undo them; deploy --restore-on-failure does it by itself).`
            : "doodba-ops deploy: the module update ran and no pre-deploy backup was taken: the database may hold its changes.",
        );
      }
      return await finish("rolled-back", plan, error);
    } catch (re) {
      return await finish("failed", plan, `${error}; the rollback failed too: ${re instanceof Error ? re.message : String(re)}`);
    }
  }

  await pruneKept(ctx);
  return await finish("success", plan);
}

async function preflight(ctx: DeployContext, plan: DeployPlan): Promise<string> {
  const notes: string[] = [];
  if (!plan.engine.reachable) throw new DeployStepError(`the Docker engine does not answer: ${plan.engine.error ?? ""}`);
  notes.push(`engine ${plan.engine.version ?? "?"}`);
  if (plan.blockers.length > 0) throw new DeployStepError(plan.blockers.join("; "));
  if (plan.gates.length > 0) notes.push(`${plan.gates.length} blocking finding(s) overridden by --force`);
  // Disk: only meaningful when the engine's data root is on this machine.
  const remote = ctx.runtime.remote || Boolean(ctx.platform.environ.DOCKER_HOST && !/^unix:/.test(ctx.platform.environ.DOCKER_HOST ?? ""));
  const root = remote ? undefined : await ctx.runtime.dataRoot();
  if (root && ctx.platform.fs.exists(root)) {
    const r = await ctx.platform.exec?.run("df", ["-Pk", root]);
    const kb = Number(r?.stdout.trim().split("\n").pop()?.split(/\s+/)[3]);
    if (Number.isFinite(kb)) {
      const gib = kb / 1048576;
      if (gib < 2) throw new DeployStepError(`only ${gib.toFixed(1)} GiB free on ${root} (the engine's data root); a build and a second image need room`);
      notes.push(`${gib.toFixed(0)} GiB free on ${root}`);
    }
  } else notes.push("disk space not checked (remote engine)");
  const db = ctx.desired.services.find((s) => s.database);
  if (db) {
    const c = running(await ctx.runtime.listContainers(), db.name)[0];
    if (!c) notes.push(`database ${db.name} not running yet`);
    else {
      const r = await ctx.runtime.exec(c.name, ["pg_isready", "-q"]);
      if (r.exitCode !== 0) throw new DeployStepError(`the database service ${db.name} (${c.name}) does not accept connections (pg_isready exited ${r.exitCode})`);
      notes.push(`database ${db.name} accepts connections`);
    }
  }
  return notes.join("; ");
}

/**
 * Puts these image IDs back under the services' image references and recreates the changed
 * services; restores the database first when asked. Waits for health of the Odoo services.
 */
export async function rollbackTo(ctx: DeployContext, o: { images: Record<string, string>; changed: string[]; retagOnly?: string[]; snapshot?: SnapshotRef; timeout: number }): Promise<string> {
  const notes: string[] = [];
  for (const svc of o.retagOnly ?? []) {
    const d = ctx.desired.services.find((x) => x.name === svc);
    const img = o.images[svc];
    if (d && img) await ctx.runtime.tag(img, d.image);
  }
  if ((o.retagOnly ?? []).length > 0) notes.push(`${(o.retagOnly ?? []).join(", ")}: image reference put back; the running containers were never switched`);
  const services = o.changed.filter((s) => o.images[s] && ctx.desired.services.some((d) => d.name === s));
  for (const svc of services) {
    const d = ctx.desired.services.find((x) => x.name === svc);
    const img = o.images[svc];
    if (d && img) await ctx.runtime.tag(img, d.image);
  }
  if (o.snapshot) {
    const odoo = ctx.desired.services.filter((s) => s.odoo).map((s) => s.name);
    const containers = await ctx.runtime.listContainers();
    await ctx.runtime.stop(containers.filter((c) => odoo.includes(c.service) && c.state === "running").map((c) => c.name), 30);
    await ctx.backup.restore(o.snapshot);
    notes.push(`database restored from ${o.snapshot.ref}`);
  }
  // Containers the zero-downtime switch added beyond the wanted count go first.
  const toUp = o.snapshot ? [...new Set([...services, ...ctx.desired.services.filter((s) => s.odoo).map((s) => s.name)])] : services;
  if (toUp.length > 0) {
    const scale: Record<string, number> = {};
    for (const s of toUp) scale[s] = ctx.desired.services.find((d) => d.name === s)?.replicas ?? 1;
    await ctx.runtime.up(toUp, { forceRecreate: true, scale });
    notes.push(`${toUp.join(", ")} recreated from the previous images`);
  }
  const refreshed = await refreshProxy(ctx);
  if (refreshed) notes.push(refreshed);
  const odoo = ctx.desired.services.filter((s) => s.odoo && toUp.includes(s.name)).map((s) => s.name);
  if (odoo.length > 0) notes.push(await healthGate(ctx, odoo, o.timeout));
  return notes.join("; ");
}

/** Keeps the previous-image tags of the last 3 deploys and their snapshots; removes older ones. */
async function pruneKept(ctx: DeployContext): Promise<void> {
  const hist = readHistory(ctx.io).filter((r) => r.env === ctx.desired.env && r.kind === "deploy");
  const keep = new Set(hist.slice(-3).flatMap((r) => Object.values(r.previousTags)));
  for (const r of hist.slice(0, -3)) for (const t of Object.values(r.previousTags)) if (!keep.has(t)) await ctx.runtime.removeImage(t).catch(() => undefined);
  await ctx.backup.prune?.(3).catch(() => 0);
}
