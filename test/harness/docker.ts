/**
 * Test harness: a real Docker engine and the local images the deploy e2e tests need. Nothing
 * here is a mock; no registry is reached (none can be from here).
 *
 * - {@link ensureDocker}: uses the engine that answers `docker info`; when none does and this
 *   is root on a machine with Debian's docker.io, starts `dockerd` itself (default data root
 *   /var/lib/docker, so built images stay cached between runs on the same machine; socket
 *   unix:///var/run/docker.sock) and waits until it answers. Test files share that engine: each
 *   process registers itself under {@link STATE_DIR}, and the last one to leave stops the
 *   dockerd the harness started (never one it found running).
 * - {@link buildImages}: builds `doodba-ops-e2e/{base,postgres,odoo-standin,proxy}` once per
 *   content hash (the image label `org.doodba-ops.e2e.hash`; a second run reuses them):
 *   the base is `mmdebstrap --variant=minbase` of Debian bookworm with the packages of
 *   test/fixtures/deploy/images/base.json, imported with `docker import`; the three others are
 *   small Dockerfile layers over it (test/fixtures/deploy/images/<name>/).
 * - {@link trackProject} / {@link cleanup}: compose projects, containers, images and the swarm
 *   that the tests create are removed at the end (and at process exit as a fallback).
 *
 *   const engine = await ensureDocker();
 *   if (!engine.ok) return test.skip(engine.reason);
 *   const images = await buildImages();
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/project.js";

export const IMAGES_DIR = join(REPO_ROOT, "test", "fixtures", "deploy", "images");
/** Where harness processes coordinate (which dockerd the harness started, who uses it, build lock). */
export const STATE_DIR = "/tmp/doodba-ops-e2e";
const HASH_LABEL = "org.doodba-ops.e2e.hash";
const DOCKERD = "/usr/sbin/dockerd";
const SOCKET = "unix:///var/run/docker.sock";

export interface E2eImages {
  base: string;
  postgres: string;
  odooStandin: string;
  proxy: string;
  /** Seconds each image took to build in this run (0: reused from the cache). */
  built: Record<string, number>;
}

export type EngineStatus = { ok: true; startedByHarness: boolean; serverVersion: string } | { ok: false; reason: string };

function log(msg: string): void {
  process.stderr.write(`[docker harness] ${msg}\n`);
}

/** Runs docker; returns the exit code (clean-up paths that must not throw). */
export function dockerTry(args: string[]): number {
  return spawnSync("docker", args, { stdio: "ignore", timeout: 120_000 }).status ?? 1;
}

/** Runs docker; returns stdout. Throws with stderr on failure. */
export function docker(args: string[], opts: { input?: string; cwd?: string; timeoutMs?: number } = {}): string {
  const r = spawnSync("docker", args, { encoding: "utf8", input: opts.input, cwd: opts.cwd, timeout: opts.timeoutMs ?? 600_000, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`docker ${args.join(" ")} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || "").trim().slice(-2000)}`);
  return r.stdout;
}

function engineVersion(): string | undefined {
  const r = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8", timeout: 20_000 });
  const v = r.stdout?.trim();
  return r.status === 0 && v && !v.includes("Cannot connect") ? v : undefined;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A lock between harness processes (mkdir is atomic); a dead holder's lock is taken over. */
function withLock<T>(name: string, fn: () => T, timeoutMs = 900_000): T {
  mkdirSync(STATE_DIR, { recursive: true });
  const dir = join(STATE_DIR, `${name}.lock`);
  const t0 = Date.now();
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, "pid"), String(process.pid));
      break;
    } catch {
      let holder = 0;
      try {
        holder = Number(readFileSync(join(dir, "pid"), "utf8"));
      } catch {
        // being created or removed
      }
      if (holder && !pidAlive(holder)) rmSync(dir, { recursive: true, force: true });
      else if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for the harness lock ${dir}`);
      else sleepSync(250);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const usersDir = join(STATE_DIR, "users");
const dockerdPidFile = join(STATE_DIR, "dockerd.pid");
let registered = false;

function liveUsers(): number[] {
  if (!existsSync(usersDir)) return [];
  return readdirSync(usersDir)
    .map(Number)
    .filter((p) => {
      if (p && pidAlive(p)) return true;
      rmSync(join(usersDir, String(p)), { force: true });
      return false;
    });
}

/**
 * A Docker engine for the e2e tests: the one that answers, or Debian's dockerd started here.
 * Never throws; `ok: false` says why the tests must be skipped.
 */
export async function ensureDocker(): Promise<EngineStatus> {
  if (spawnSync("docker", ["--version"]).status !== 0) return { ok: false, reason: "no docker client on PATH (Debian package docker.io)" };
  return withLock("engine", () => {
    mkdirSync(usersDir, { recursive: true });
    writeFileSync(join(usersDir, String(process.pid)), "");
    if (!registered) {
      registered = true;
      process.once("exit", () => releaseSync());
    }
    const running = engineVersion();
    const ours = existsSync(dockerdPidFile) && pidAlive(Number(readFileSync(dockerdPidFile, "utf8")));
    if (running) return { ok: true as const, startedByHarness: ours, serverVersion: running };
    if (!existsSync(DOCKERD)) return { ok: false as const, reason: `no Docker engine answers and ${DOCKERD} is not installed (Debian package docker.io)` };
    if (process.getuid?.() !== 0) return { ok: false as const, reason: "no Docker engine answers and starting dockerd needs root" };
    const t0 = Date.now();
    mkdirSync(STATE_DIR, { recursive: true });
    const out = openSync(join(STATE_DIR, "dockerd.log"), "a");
    const child = spawn(DOCKERD, ["--host", SOCKET, "--pidfile", "/var/run/docker.pid"], { detached: true, stdio: ["ignore", out, out] });
    closeSync(out);
    child.unref();
    if (!child.pid) return { ok: false as const, reason: "dockerd did not start" };
    writeFileSync(dockerdPidFile, String(child.pid));
    for (;;) {
      const v = engineVersion();
      if (v) {
        log(`started dockerd ${v} (pid ${child.pid}) in ${((Date.now() - t0) / 1000).toFixed(1)} s; log: ${join(STATE_DIR, "dockerd.log")}`);
        return { ok: true as const, startedByHarness: true, serverVersion: v };
      }
      if (!pidAlive(child.pid)) {
        rmSync(dockerdPidFile, { force: true });
        const tail = readFileSync(join(STATE_DIR, "dockerd.log"), "utf8").split("\n").slice(-5).join("\n");
        return { ok: false as const, reason: `dockerd exited at start-up: ${tail}` };
      }
      if (Date.now() - t0 > 60_000) return { ok: false as const, reason: "dockerd did not answer within 60 s" };
      sleepSync(250);
    }
  });
}

/** Leaves the engine: the last harness process stops the dockerd the harness started. */
export function releaseSync(): void {
  try {
    withLock(
      "engine",
      () => {
        rmSync(join(usersDir, String(process.pid)), { force: true });
        if (liveUsers().length > 0 || !existsSync(dockerdPidFile)) return;
        const pid = Number(readFileSync(dockerdPidFile, "utf8"));
        rmSync(dockerdPidFile, { force: true });
        if (!pid || !pidAlive(pid)) return;
        process.kill(pid, "SIGTERM");
        const t0 = Date.now();
        while (pidAlive(pid) && Date.now() - t0 < 20_000) sleepSync(100);
        log(`stopped the dockerd the harness started (pid ${pid})`);
      },
      30_000,
    );
  } catch (e) {
    log(`could not release the engine: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Images

interface BaseSpec {
  suite: string;
  packages: string[];
  remove: string[];
}

function hashDir(h: ReturnType<typeof createHash>, dir: string): void {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) hashDir(h, p);
    else h.update(`${name}\0`).update(readFileSync(p)).update("\0");
  }
}

function imageHash(name: string | undefined, baseHash: string): string {
  const h = createHash("sha256").update(`${name ?? "base"}\0${baseHash}\0`);
  if (name) hashDir(h, join(IMAGES_DIR, name));
  else h.update(readFileSync(join(IMAGES_DIR, "base.json")));
  return h.digest("hex").slice(0, 12);
}

function haveImage(tag: string, hash: string): boolean {
  const r = spawnSync("docker", ["image", "inspect", "--format", `{{index .Config.Labels "${HASH_LABEL}"}}`, tag], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() === hash;
}

function buildBase(tag: string, hash: string): void {
  const spec = JSON.parse(readFileSync(join(IMAGES_DIR, "base.json"), "utf8")) as BaseSpec;
  if (spawnSync("mmdebstrap", ["--version"]).status !== 0) {
    throw new Error("mmdebstrap is not installed: apt-get install -y mmdebstrap (it builds the e2e base image from Debian packages)");
  }
  const work = mkdtempSync(join(tmpdir(), "doodba-ops-e2e-base-"));
  try {
    const tar = join(work, "root.tar");
    const rm = spec.remove.map((p) => `"$1"${p}`).join(" ");
    execFileSync(
      "mmdebstrap",
      ["--variant=minbase", "--quiet", `--include=${spec.packages.join(",")}`, `--customize-hook=rm -rf ${rm}`, spec.suite, tar],
      { stdio: ["ignore", "ignore", "inherit"], timeout: 900_000 },
    );
    docker(["import", "--change", `LABEL ${HASH_LABEL}=${hash}`, "--change", 'CMD ["/bin/sh"]', tar, tag]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Removes e2e images of earlier content hashes (the fixtures changed since); images in use stay. */
function pruneStale(keep: Set<string>): void {
  const all = spawnSync("docker", ["images", "--filter", `label=${HASH_LABEL}`, "--format", "{{.Repository}}:{{.Tag}}"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  const stale = all.filter((ref) => ref.startsWith("doodba-ops-e2e/") && !keep.has(ref));
  // Dependants first: the base goes last (docker refuses while a child image exists).
  stale.sort((a, b) => Number(a.startsWith("doodba-ops-e2e/base:")) - Number(b.startsWith("doodba-ops-e2e/base:")));
  for (const ref of stale) spawnSync("docker", ["image", "rm", ref], { stdio: "ignore" });
  if (stale.length > 0) log(`removed ${stale.length} e2e image(s) of earlier fixture versions`);
}

/** Builds (or reuses) the e2e images. Serialised between processes; a build takes minutes the first time. */
export async function buildImages(): Promise<E2eImages> {
  return withLock("build", () => {
    const built: Record<string, number> = {};
    const baseHash = imageHash(undefined, "");
    const base = `doodba-ops-e2e/base:${baseHash}`;
    let t0 = Date.now();
    if (!haveImage(base, baseHash)) {
      log("building the base image with mmdebstrap (Debian bookworm minbase + PostgreSQL 15, Node.js, nginx, curl); the first time takes a few minutes");
      buildBase(base, baseHash);
      built.base = (Date.now() - t0) / 1000;
      log(`base image built in ${built.base.toFixed(1)} s`);
    } else built.base = 0;
    const one = (name: string, repo: string): string => {
      const hash = imageHash(name, baseHash);
      // "17.0-" keeps version detection of projects that build FROM the stand-in meaningful.
      const tag = `doodba-ops-e2e/${repo}:${name === "odoo-standin" ? "17.0-" : ""}${hash}`;
      t0 = Date.now();
      if (!haveImage(tag, hash)) {
        // --network host: RUN steps need no docker0 bridge (another engine on the machine may remove it)
        docker(["build", "--quiet", "--network", "host", "--build-arg", `BASE=${base}`, "--label", `${HASH_LABEL}=${hash}`, "-t", tag, join(IMAGES_DIR, name)], { timeoutMs: 600_000 });
        built[name] = (Date.now() - t0) / 1000;
        log(`${tag} built in ${built[name].toFixed(1)} s`);
      } else built[name] = 0;
      return tag;
    };
    const images = { base, postgres: one("postgres", "postgres"), odooStandin: one("odoo-standin", "odoo-standin"), proxy: one("proxy", "nginx"), built };
    pruneStale(new Set([images.base, images.postgres, images.odooStandin, images.proxy]));
    return images;
  });
}

// ---------------------------------------------------------------------------------------------
// Clean-up of what the tests create

const projects = new Set<string>();
const stacks = new Set<string>();
const imageRefs = new Set<string>();
let swarmInitialised = false;
let cleanupRegistered = false;

function registerCleanup(): void {
  if (cleanupRegistered) return;
  cleanupRegistered = true;
  // Before releaseSync (registered later in ensureDocker only if not yet): process "exit" handlers run in order.
  process.prependListener("exit", () => cleanup());
}

/** Removes the compose project's containers, networks and volumes at clean-up. */
export function trackProject(name: string): void {
  registerCleanup();
  projects.add(name);
}

export function trackStack(name: string): void {
  registerCleanup();
  stacks.add(name);
}

/** Removes these image references at clean-up (tags the tests made). */
export function trackImage(ref: string): void {
  registerCleanup();
  imageRefs.add(ref);
}

/** A single-node swarm on 127.0.0.1 (left at clean-up when the harness created it). */
export function ensureSwarm(): void {
  registerCleanup();
  const state = docker(["info", "--format", "{{.Swarm.LocalNodeState}}"]).trim();
  if (state === "active") return;
  docker(["swarm", "init", "--advertise-addr", "127.0.0.1"]);
  swarmInitialised = true;
}

/** Removes everything tracked (idempotent). Called by the tests' afterAll and at process exit. */
export function cleanup(): void {
  for (const s of stacks) {
    spawnSync("docker", ["stack", "rm", s], { stdio: "ignore" });
    // stack rm returns before the tasks' containers and the network are gone: wait (images in use cannot be removed)
    for (let i = 0; i < 60; i++) {
      const left = spawnSync("docker", ["ps", "-aq", "--filter", `label=com.docker.stack.namespace=${s}`], { encoding: "utf8" }).stdout.trim();
      const net = spawnSync("docker", ["network", "ls", "-q", "--filter", `label=com.docker.stack.namespace=${s}`], { encoding: "utf8" }).stdout.trim();
      if (!left && !net) break;
      sleepSync(500);
    }
    stacks.delete(s);
  }
  for (const p of projects) {
    const ids = spawnSync("docker", ["ps", "-aq", "--filter", `label=com.docker.compose.project=${p}`], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    if (ids.length > 0) spawnSync("docker", ["rm", "-f", "-v", ...ids], { stdio: "ignore" });
    const nets = spawnSync("docker", ["network", "ls", "-q", "--filter", `label=com.docker.compose.project=${p}`], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    if (nets.length > 0) spawnSync("docker", ["network", "rm", ...nets], { stdio: "ignore" });
    const vols = spawnSync("docker", ["volume", "ls", "-q", "--filter", `label=com.docker.compose.project=${p}`], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    if (vols.length > 0) spawnSync("docker", ["volume", "rm", "-f", ...vols], { stdio: "ignore" });
    projects.delete(p);
  }
  for (const ref of imageRefs) {
    spawnSync("docker", ["image", "rm", "-f", ref], { stdio: "ignore" });
    imageRefs.delete(ref);
  }
  if (swarmInitialised) {
    // Another test process may still run a stack on the swarm this one created: leave it then.
    const others = spawnSync("docker", ["stack", "ls", "--format", "{{.Name}}"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    if (others.length === 0) spawnSync("docker", ["swarm", "leave", "--force"], { stdio: "ignore" });
    swarmInitialised = false;
  }
}

/** Polls fn until it returns a value (not undefined) or the time runs out. */
export async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
