#!/usr/bin/env node
// Benchmarks for `doodba-ops check` on the real corpus (../shared/corpus/doodba-projects).
// Each measurement runs side by side with a named baseline in the same run and reports the ratio:
//   1. CLI start-up:   `doodba-ops --version`            vs baseline `node -e 0` (bare Node start)
//   2. check per project, in process: load + all rules   vs baseline `yaml.parse` of the same
//      project's YAML files (the irreducible cost of reading the project)
//   3. check per project, end to end (`doodba-ops check <dir> --format json`, a fresh process)
//      vs baseline `node -e 0`
// Targets (issue 2): check under 300 ms per project, CLI start-up under 250 ms.
// Usage: npm run bench   (builds first; writes bench/results/check.json)
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const corpus = process.env.DOODBA_OPS_CORPUS ?? join(root, "..", "shared", "corpus", "doodba-projects");
const bin = join(root, "bin", "doodba-ops.js");
const { runCheck } = await import(join(root, "dist", "check", "index.js"));
const { nodePlatform } = await import(join(root, "dist", "platform", "index.js"));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
function time(fn, runs) {
  const out = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(out);
}
const spawnMs = (args, runs) =>
  time(() => {
    try {
      execFileSync(process.execPath, args, { stdio: "ignore" });
    } catch {
      // check exits 1 when it has findings
    }
  }, runs);

const projects = readdirSync(corpus, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const yamlFiles = (dir) => {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name) && existsSync(p)) out.push(p);
    }
  };
  walk(dir);
  return out;
};

const platform = { ...nodePlatform(), environ: {} };
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

const startup = spawnMs([bin, "--version"], RUNS);
const nodeBare = spawnMs(["-e", "0"], RUNS);

const rows = [];
for (const name of projects) {
  const dir = join(corpus, name);
  const files = yamlFiles(dir).map((f) => readFileSync(f, "utf8"));
  const check = time(() => {
    try {
      runCheck(platform, { dir, noConfig: true, failOn: "never" });
    } catch {
      // user errors count as a completed check
    }
  }, RUNS);
  const parse = time(() => {
    for (const t of files) parseAllDocuments(t);
  }, RUNS);
  const e2e = spawnMs([bin, "check", dir, "--format", "json", "--no-config"], Math.max(3, Math.floor(RUNS / 3)));
  rows.push({ project: name, checkMs: check, yamlParseMs: parse, ratioVsParse: check / parse, e2eMs: e2e, e2eVsNode: e2e / nodeBare });
}

const fmt = (n) => n.toFixed(1).padStart(7);
console.log(`CLI start-up: doodba-ops --version ${startup.toFixed(1)} ms vs node -e 0 ${nodeBare.toFixed(1)} ms (ratio ${(startup / nodeBare).toFixed(2)}; target < 250 ms)`);
console.log("");
console.log("project".padEnd(40) + "check ms  yaml ms   ratio  e2e ms  e2e/node");
for (const r of rows) {
  console.log(r.project.padEnd(40) + fmt(r.checkMs) + " " + fmt(r.yamlParseMs) + " " + fmt(r.ratioVsParse) + " " + fmt(r.e2eMs) + " " + fmt(r.e2eVsNode));
}
const worst = Math.max(...rows.map((r) => r.checkMs));
const worstE2e = Math.max(...rows.map((r) => r.e2eMs));
console.log("");
console.log(`check in process: median ${median(rows.map((r) => r.checkMs)).toFixed(1)} ms, worst ${worst.toFixed(1)} ms per project (target < 300 ms)`);
console.log(`check end to end: median ${median(rows.map((r) => r.e2eMs)).toFixed(1)} ms, worst ${worstE2e.toFixed(1)} ms per project (includes Node start-up)`);
mkdirSync(join(root, "bench", "results"), { recursive: true });
writeFileSync(join(root, "bench", "results", "check.json"), JSON.stringify({ startupMs: startup, nodeBareMs: nodeBare, rows }, null, 2));
