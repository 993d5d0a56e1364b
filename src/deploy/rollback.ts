/**
 * `deploy rollback [--to ID]`: puts back the images of an earlier state, under the deploy lock,
 * and records it in the history. Without --to: the state before the last successful deploy
 * (its `from` images). With --to ID: the state right after deploy ID (its `to` images). The
 * images are found by ID: the `previous-<deploy id>` tags keep them in the engine.
 */
import { UserError } from "../errors.js";
import { rollbackTo, type DeployContext } from "./apply.js";
import { acquireLock, appendHistory, newDeployId, readHistory, type DeployRecord } from "./history.js";

export interface RollbackTarget {
  images: Record<string, string>;
  /** The record whose state is restored. */
  basis: DeployRecord;
  description: string;
}

/** Pure: which images a rollback returns to. */
export function rollbackTarget(history: DeployRecord[], env: string, to?: string): RollbackTarget {
  const mine = history.filter((r) => r.env === env);
  if (to) {
    const r = mine.find((x) => x.id === to || x.id.startsWith(to));
    if (!r) {
      throw new UserError(`No deploy ${to} in the history of ${env}`, { hint: mine.length ? `Recent ids: ${mine.slice(-5).map((x) => x.id).join(", ")}.` : "Nothing was deployed with doodba-ops here yet.", next: `doodba-ops deploy history --env ${env}` });
    }
    if (Object.keys(r.to).length === 0) throw new UserError(`Deploy ${r.id} recorded no running images to return to`);
    return { images: r.to, basis: r, description: `the state after ${r.kind} ${r.id}` };
  }
  const last = [...mine].reverse().find((r) => r.kind === "deploy" && r.outcome === "success");
  if (!last) throw new UserError(`No successful deploy of ${env} to roll back`, { next: `doodba-ops deploy history --env ${env}` });
  if (Object.keys(last.from).length === 0) throw new UserError(`Deploy ${last.id} was the first deploy of ${env}: there is no earlier state to return to`);
  return { images: last.from, basis: last, description: `the state before deploy ${last.id}` };
}

export async function rollbackDeploy(ctx: DeployContext, o: { to?: string; healthTimeout: number; command: string; breakLock?: boolean }): Promise<{ record: DeployRecord; exitCode: 0 | 1 }> {
  const started = new Date(ctx.clock());
  const id = newDeployId(started, ctx.platform.randomBytes?.(4) ?? Buffer.from("0000"));
  const user = ctx.platform.environ.USER ?? "unknown";
  const release = await acquireLock(ctx.io, { id, pid: process.pid, host: ctx.io.host, user, since: started.toISOString(), command: o.command }, ctx.log, o.breakLock);
  try {
    const target = rollbackTarget(readHistory(ctx.io), ctx.desired.env, o.to);
    const before = await ctx.runtime.listContainers();
    const from: Record<string, string> = {};
    for (const c of before) if (!c.oneoff && c.state === "running" && !from[c.service]) from[c.service] = c.imageId;
    const changed = Object.keys(target.images).filter((s) => from[s] !== target.images[s]);
    const record: DeployRecord = {
      id,
      kind: "rollback",
      env: ctx.desired.env,
      project: ctx.desired.project,
      target: "compose",
      startedAt: started.toISOString(),
      finishedAt: "",
      user,
      host: ctx.io.host,
      from,
      to: {},
      previousTags: {},
      steps: [],
      outcome: "failed",
      rollbackTo: target.basis.id,
    };
    ctx.log(`doodba-ops deploy rollback: returning ${ctx.desired.env} to ${target.description}: ${changed.length ? changed.join(", ") : "nothing differs"}`);
    const t0 = ctx.clock();
    try {
      const detail = changed.length ? await rollbackTo(ctx, { images: target.images, changed, timeout: o.healthTimeout }) : "every service already runs those images";
      record.steps.push({ name: "rollback", status: "ok", seconds: Math.round((ctx.clock() - t0) / 100) / 10, detail });
      record.outcome = changed.length ? "success" : "no-change";
    } catch (e) {
      record.steps.push({ name: "rollback", status: "failed", seconds: Math.round((ctx.clock() - t0) / 100) / 10, detail: e instanceof Error ? e.message : String(e) });
      record.error = e instanceof Error ? e.message : String(e);
    }
    record.finishedAt = new Date(ctx.clock()).toISOString();
    const after = await ctx.runtime.listContainers().catch(() => []);
    for (const c of after) if (!c.oneoff && c.state === "running" && !record.to[c.service]) record.to[c.service] = c.imageId;
    await appendHistory(ctx.io, record);
    return { record, exitCode: record.outcome === "failed" ? 1 : 0 };
  } finally {
    await release();
  }
}
