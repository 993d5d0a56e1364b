/**
 * The pre-deploy backup seam. `deploy` asks a {@link PreDeployBackup} to take a snapshot before
 * anything changes and, when the module update changed the database and then failed (and the
 * user enabled restore-on-failure), to put it back.
 *
 * Two implementations here:
 * - {@link SkippedBackup}: "skipped: <why>" (`--no-backup`, `deploy.backup: none`, no database
 *   service in the environment);
 * - {@link DatabaseDumpBackup}: `pg_dump -Fc` run inside the environment's PostgreSQL container
 *   (the server's own pg_dump, over its local socket) streamed into
 *   `.doodba-ops/deploy-snapshots/<deploy id>.dump` through the backup module's local store;
 *   restore drops the database (`WITH (FORCE)`), recreates it from the dump with `pg_restore
 *   --create`. The filestore is not part of it: Odoo's filestore is content-addressed and a
 *   module update only adds files, so the database snapshot is what a rollback needs.
 * A snapshot into the `doodba-ops backup` repository (src/backup/service.ts) fits the same
 * interface once that module is released.
 */
import { LocalStore } from "../backup/stores/local.js";
import type { Exec } from "../platform/exec.js";
import type { BackupStep } from "./plan.js";
import type { ComposeRuntime } from "./runtimes/compose.js";
import { DeployStepError, lastLines } from "./runtimes/compose.js";

export interface SnapshotRef {
  /** Where it is (project-relative path or repository id). */
  ref: string;
  bytes?: number;
}

export interface PreDeployBackup {
  describe(): BackupStep;
  take(deployId: string): Promise<SnapshotRef>;
  restore(snapshot: SnapshotRef): Promise<void>;
  /** Removes snapshots beyond the newest `keep`. */
  prune?(keep: number): Promise<number>;
}

export class SkippedBackup implements PreDeployBackup {
  constructor(private readonly reason: string) {}
  describe(): BackupStep {
    return { kind: "skipped", description: `skipped: ${this.reason}` };
  }
  async take(): Promise<SnapshotRef> {
    await Promise.resolve();
    throw new Error("no backup is configured");
  }
  async restore(): Promise<void> {
    await Promise.resolve();
    throw new Error("no backup is configured");
  }
}

export const SNAPSHOT_DIR = "deploy-snapshots";

export interface DumpTarget {
  /** Compose service of PostgreSQL. */
  service: string;
  database: string;
  /** Role for pg_dump / pg_restore over the container's local socket (POSTGRES_USER). */
  user: string;
}

export class DatabaseDumpBackup implements PreDeployBackup {
  private readonly store: LocalStore;
  constructor(
    private readonly runtime: ComposeRuntime,
    private readonly exec: Exec,
    private readonly target: DumpTarget,
    stateDir: string,
    private readonly context?: string,
    private readonly chmod?: (path: string, mode: number) => Promise<void>,
  ) {
    this.store = new LocalStore(stateDir);
  }

  describe(): BackupStep {
    return {
      kind: "database-dump",
      description: `pg_dump -Fc of database ${this.target.database} in service ${this.target.service} to .doodba-ops/${SNAPSHOT_DIR}/<deploy id>.dump`,
      service: this.target.service,
      database: this.target.database,
    };
  }

  private async container(): Promise<string> {
    const c = (await this.runtime.listContainers()).find((x) => x.service === this.target.service && !x.oneoff && x.state === "running");
    if (!c) throw new DeployStepError(`the database service ${this.target.service} has no running container`);
    return c.name;
  }

  private docker(args: string[]): string[] {
    return this.context ? ["--context", this.context, ...args] : args;
  }

  async take(deployId: string): Promise<SnapshotRef> {
    const ctr = await this.container();
    const key = `${SNAPSHOT_DIR}/${deployId}.dump`;
    const p = await this.exec.spawn("docker", this.docker(["exec", ctr, "pg_dump", "-U", this.target.user, "-Fc", "-Z", "6", this.target.database]));
    p.stdin.end();
    const [, done] = await Promise.all([this.store.put(key, p.stdout), p.done]);
    if (done.exitCode !== 0) {
      await this.store.delete(key).catch(() => undefined);
      throw new DeployStepError(`pg_dump of ${this.target.database} failed: ${lastLines(done.stderr)}`);
    }
    const st = await this.store.stat(key);
    // A whole database: readable by its owner only.
    await this.chmod?.(`${this.store.root}/${key}`, 0o600);
    return { ref: `.doodba-ops/${key}`, bytes: st?.size };
  }

  async restore(snapshot: SnapshotRef): Promise<void> {
    const ctr = await this.container();
    const key = snapshot.ref.replace(/^\.doodba-ops\//, "");
    const db = this.target.database.replace(/"/g, '""');
    const drop = await this.exec.run("docker", this.docker(["exec", ctr, "psql", "-U", this.target.user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", `DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`]));
    if (drop.exitCode !== 0) throw new DeployStepError(`dropping ${this.target.database} before the restore failed: ${lastLines(drop.stderr)}`);
    const p = await this.exec.spawn("docker", this.docker(["exec", "-i", ctr, "pg_restore", "-U", this.target.user, "-d", "postgres", "--create", "--exit-on-error"]));
    const src = await this.store.get(key);
    src.pipe(p.stdin);
    p.stdout.resume();
    const done = await p.done;
    if (done.exitCode !== 0) throw new DeployStepError(`pg_restore of ${snapshot.ref} failed: ${lastLines(done.stderr)}`);
  }

  async prune(keep: number): Promise<number> {
    const keys: string[] = [];
    for await (const o of this.store.list(`${SNAPSHOT_DIR}/`)) if (o.key.endsWith(".dump")) keys.push(o.key);
    keys.sort();
    const old = keys.slice(0, Math.max(0, keys.length - keep));
    for (const k of old) await this.store.delete(k);
    return old.length;
  }
}
