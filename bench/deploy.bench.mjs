#!/usr/bin/env node
// Benchmark: downtime of a code-only Odoo deploy (a new image, no module update), measured by a
// probe that requests /web/login every 100 ms, for three ways of switching, side by side:
//   baseline   `docker-compose build odoo && docker-compose up -d odoo`, then `nginx -s reload`
//              (the recreated container has a new address; nginx resolves upstream names at
//              start and reload, so a plain script must reload it, as init's watcher does)
//   zero-dt    `doodba-ops deploy apply --update none` (new container beside the old one,
//              health gate, nginx reload, old one stopped)
//   swarm      `doodba-ops deploy apply --target swarm` (start-first rolling update; the probe
//              runs in a container on the stack's network and asks the Odoo service directly,
//              as the stack publishes no port)
// Reports failed probes and the longest window without a good answer (ms), per run and as
// median, and the ratio of each mode's median failed-probe count to the baseline's.
//
// Needs a Docker engine (it does not start one: run the e2e tests first, which start dockerd
// and build the images; or start dockerd yourself), docker-compose, and the e2e images
// (doodba-ops-e2e/*, built by test/harness/docker.ts). BENCH_RUNS=N (default 3) deploys per mode.
// Results: bench/results/deploy.json.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BIN = join(ROOT, "bin", "doodba-ops.js");
const log = (s) => process.stderr.write(`${s}\n`);

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 26, ...opts });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${(r.stderr || r.stdout || "").slice(-1500)}`);
  return r;
}

function image(repo) {
  const out = sh("docker", ["images", "--filter", "label=org.doodba-ops.e2e.hash", "--format", "{{.Repository}}:{{.Tag}} {{.CreatedAt}}"]).stdout;
  const hit = out
    .split("\n")
    .filter((l) => l.startsWith(`${repo}:`))
    .sort((a, b) => b.split(" ").slice(1).join(" ").localeCompare(a.split(" ").slice(1).join(" ")))[0];
  if (!hit) throw new Error(`no ${repo} image: run the e2e tests first (npx vitest run test/e2e/harness.test.ts builds them)`);
  return hit.split(" ")[0];
}

/** Like sh, but lets the event loop (the probe) run while the command does. */
async function shAsync(cmd, args, opts = {}) {
  return await new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (out += d));
    c.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${out.slice(-1500)}`))));
  });
}

async function freePort() {
  return await new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function makeProject(name, images) {
  const { renderNginxSite } = await import(join(ROOT, "dist", "generate", "proxy", "nginx.js"));
  const dir = mkdtempSync(join(tmpdir(), `doodba-ops-bench-${name}-`));
  cpSync(join(ROOT, "test", "fixtures", "deploy", "project"), dir, { recursive: true });
  writeFileSync(join(dir, "odoo", "Dockerfile"), readFileSync(join(dir, "odoo", "Dockerfile.in"), "utf8").replace("@STANDIN_IMAGE@", images.odoo));
  rmSync(join(dir, "odoo", "Dockerfile.in"));
  writeFileSync(
    join(dir, "nginx", "default.conf"),
    renderNginxSite({ id: "bench", title: ["bench"], serverNames: [], httpListen: ["80"], ownsListeners: true, upstreamHttp: "odoo:8069", upstreamBus: "odoo:8072", busPath: "/websocket", proxyTimeout: 720, connectTimeout: 10, clientMaxBodySize: "128m", dbManagerAllow: [], healthPath: "/nginx-health" }),
  );
  const port = await freePort();
  writeFileSync(join(dir, ".env"), `COMPOSE_PROJECT_NAME=${name}\nE2E_POSTGRES_IMAGE=${images.postgres}\nE2E_PROXY_IMAGE=${images.proxy}\nE2E_HTTP_PORT=${port}\n`);
  const release = (v) => writeFileSync(join(dir, "odoo", "custom", "release.env"), `STANDIN_VERSION=${v}\nSTANDIN_BROKEN=\n`);
  release("1");
  return { dir, name, port, release };
}

/** Probe from this process through the published loopback port. */
function hostProbe(url) {
  const samples = [];
  let stop = false;
  const done = (async () => {
    while (!stop) {
      const t = Date.now();
      let ok = false;
      try {
        const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
        ok = r.status === 200 && (await r.text()).includes("stand-in version");
      } catch {
        ok = false;
      }
      samples.push({ t, ok });
      await new Promise((res) => setTimeout(res, Math.max(0, 100 - (Date.now() - t))));
    }
  })();
  return { stop: async () => ((stop = true), await done, samples) };
}

/** Probe from a container on a stack network (Swarm publishes no loopback-only port). */
function containerProbe(container, url) {
  sh("docker", ["exec", "-d", container, "sh", "-c", `rm -f /tmp/p /tmp/stop; while [ ! -f /tmp/stop ]; do s=$(date +%s%3N); c=$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' ${url}); echo "$s $c" >> /tmp/p; sleep 0.1; done`]);
  return {
    stop: async () => {
      sh("docker", ["exec", container, "touch", "/tmp/stop"]);
      await new Promise((r) => setTimeout(r, 400));
      return sh("docker", ["exec", container, "cat", "/tmp/p"]).stdout.split("\n").filter(Boolean).map((l) => ({ t: Number(l.split(" ")[0]), ok: l.split(" ")[1] === "200" }));
    },
  };
}

function summarize(samples) {
  const failed = samples.filter((s) => !s.ok).length;
  let longest = 0;
  let start;
  for (const s of samples) {
    if (!s.ok && start === undefined) start = s.t;
    if (s.ok && start !== undefined) {
      longest = Math.max(longest, s.t - start);
      start = undefined;
    }
  }
  if (start !== undefined) longest = Math.max(longest, samples.at(-1).t - start + 100);
  return { probes: samples.length, failed, longestOutageMs: longest };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  if (sh("docker", ["info"], { allowFail: true }).status !== 0) throw new Error("no Docker engine answers: start dockerd (the e2e tests start one) and run again");
  const images = { postgres: image("doodba-ops-e2e/postgres"), proxy: image("doodba-ops-e2e/nginx"), odoo: image("doodba-ops-e2e/odoo-standin") };
  const results = { runs: RUNS, baseline: [], zeroDowntime: [], swarm: [] };
  const cleanup = [];
  try {
    // compose: baseline and zero-downtime alternate on one project
    const p = await makeProject(`bench${process.pid}`, images);
    cleanup.push(() => {
      sh("docker-compose", ["-p", p.name, "-f", "prod.yaml", "down", "-v"], { cwd: p.dir, allowFail: true });
      // the Odoo image and the previous-image tags deploy kept
      const refs = sh("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}"], { allowFail: true }).stdout.split("\n").filter((r) => r.startsWith(`${p.name}-`) || r.startsWith(`doodba-ops/${p.name}-`));
      if (refs.length) sh("docker", ["image", "rm", "-f", ...refs], { allowFail: true });
      rmSync(p.dir, { recursive: true, force: true });
    });
    sh("node", [BIN, "deploy", "apply", p.dir, "--no-backup"], { env: { ...process.env, USER: "bench" } });
    let version = 1;
    for (let i = 0; i < RUNS; i++) {
      for (const mode of ["baseline", "zeroDowntime"]) {
        p.release(String(++version));
        const probe = hostProbe(`http://127.0.0.1:${p.port}/web/login`);
        await new Promise((r) => setTimeout(r, 500));
        const t0 = Date.now();
        if (mode === "baseline") {
          const dc = (args) => shAsync("docker-compose", ["-p", p.name, "-f", "prod.yaml", ...args], { cwd: p.dir });
          await dc(["build", "odoo"]);
          await dc(["up", "-d", "odoo"]);
          await shAsync("docker", ["exec", `${p.name}_nginx_1`, "nginx", "-s", "reload"]);
        } else await shAsync("node", [BIN, "deploy", "apply", p.dir, "--update", "none", "--no-backup"], { env: { ...process.env, USER: "bench" } });
        const seconds = (Date.now() - t0) / 1000;
        // wait for the new version behind the proxy, then a little more
        for (let k = 0; k < 100; k++) {
          const r = await fetch(`http://127.0.0.1:${p.port}/web/login`).then((x) => x.text()).catch(() => "");
          if (r.includes(`stand-in version ${version}<`)) break;
          await new Promise((res) => setTimeout(res, 200));
        }
        await new Promise((r) => setTimeout(r, 1000));
        const s = { ...summarize(await probe.stop()), deploySeconds: seconds };
        results[mode].push(s);
        log(`${mode} run ${i + 1}: ${JSON.stringify(s)}`);
      }
    }

    // swarm rolling update
    const st = sh("docker", ["info", "--format", "{{.Swarm.LocalNodeState}}"]).stdout.trim();
    const initialised = st !== "active";
    if (initialised) sh("docker", ["swarm", "init", "--advertise-addr", "127.0.0.1"]);
    const q = await makeProject(`benchsw${process.pid}`, images);
    const probeName = `doodba-ops-bench-probe-${process.pid}`;
    cleanup.push(() => {
      sh("docker", ["rm", "-f", probeName], { allowFail: true });
      sh("docker", ["stack", "rm", q.name], { allowFail: true });
      for (let k = 0; k < 30 && sh("docker", ["network", "ls", "-q", "--filter", `name=${q.name}_default`]).stdout.trim(); k++) spawnSync("sleep", ["1"]);
      const tags = sh("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}", `${q.name}-odoo`], { allowFail: true }).stdout.split("\n").filter(Boolean);
      if (tags.length) sh("docker", ["image", "rm", "-f", ...tags], { allowFail: true });
      if (initialised) sh("docker", ["swarm", "leave", "--force"], { allowFail: true });
      rmSync(q.dir, { recursive: true, force: true });
    });
    sh("node", [BIN, "deploy", "apply", q.dir, "--env", "swarm", "--target", "swarm"], { env: { ...process.env, USER: "bench" } });
    sh("docker", ["run", "-d", "--name", probeName, "--network", `${q.name}_default`, images.proxy, "sleep", "3600"]);
    let sv = 1;
    for (let i = 0; i < RUNS; i++) {
      q.release(String(++sv));
      const probe = containerProbe(probeName, "http://odoo:8069/web/login");
      await new Promise((r) => setTimeout(r, 500));
      const t0 = Date.now();
      await shAsync("node", [BIN, "deploy", "apply", q.dir, "--env", "swarm", "--target", "swarm"], { env: { ...process.env, USER: "bench" } });
      const seconds = (Date.now() - t0) / 1000;
      await new Promise((r) => setTimeout(r, 1500));
      const s = { ...summarize(await probe.stop()), deploySeconds: seconds };
      results.swarm.push(s);
      log(`swarm run ${i + 1}: ${JSON.stringify(s)}`);
    }
  } finally {
    for (const c of cleanup.reverse()) {
      try {
        c();
      } catch (e) {
        log(`cleanup: ${e.message}`);
      }
    }
  }

  const row = (name, list) => {
    const failed = median(list.map((x) => x.failed));
    const outage = median(list.map((x) => x.longestOutageMs));
    const base = median(results.baseline.map((x) => x.failed));
    const baseOut = median(results.baseline.map((x) => x.longestOutageMs));
    return { mode: name, medianFailedProbes: failed, medianLongestOutageMs: outage, medianDeploySeconds: median(list.map((x) => x.deploySeconds)), failedVsBaseline: base ? +(failed / base).toFixed(3) : null, outageVsBaseline: baseOut ? +(outage / baseOut).toFixed(3) : null };
  };
  const summary = [row("baseline: docker-compose up -d + nginx reload", results.baseline), row("doodba-ops zero-downtime switch", results.zeroDowntime), row("doodba-ops swarm rolling update (start-first)", results.swarm)];
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(join(ROOT, "bench", "results", "deploy.json"), `${JSON.stringify({ summary, results }, null, 2)}\n`);
  console.log("mode                                            failed probes  longest outage  deploy s  failed/baseline");
  for (const r of summary) console.log(`${r.mode.padEnd(48)}${String(r.medianFailedProbes).padStart(13)}${`${r.medianLongestOutageMs} ms`.padStart(16)}${String(r.medianDeploySeconds.toFixed(1)).padStart(10)}${String(r.failedVsBaseline ?? "-").padStart(17)}`);
}

main().catch((e) => {
  console.error(`deploy bench failed: ${e.message}`);
  process.exit(1);
});
