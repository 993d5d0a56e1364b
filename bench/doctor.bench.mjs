#!/usr/bin/env node
// Benchmark for `doodba-ops doctor logs` (issue 6): scan throughput and peak memory on a 1 GB log,
// side by side with the named baseline `grep -E -c '<every signature pattern in one alternation>'`
// on the same file, in the same run.
//   - The log is generated from the real Odoo 17 fixture logs (../shared/fixtures/odoo17/logs),
//     repeated with shifted timestamps, and cached under /var/tmp (DOCTOR_BENCH_LOG overrides).
//   - The subject is the real CLI in a fresh process: `doodba-ops doctor logs FILE --format json`.
//   - Peak memory is the child's VmHWM (peak resident set), sampled from /proc while it runs.
// Targets: throughput >= 0.5x grep's, peak memory < 150 MB.
// Usage: npm run build && node bench/doctor.bench.mjs   (BENCH_RUNS=N, default 3; DOCTOR_BENCH_MB=size, default 1024)
import { Buffer } from "node:buffer";
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { clearInterval, setInterval } from "node:timers";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const fixtures = join(process.env.DOODBA_OPS_SHARED ?? join(root, "..", "shared"), "fixtures", "odoo17", "logs");
const bin = join(root, "bin", "doodba-ops.js");
const SIZE_MB = Number(process.env.DOCTOR_BENCH_MB ?? 1024);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const logPath = process.env.DOCTOR_BENCH_LOG ?? join("/var/tmp", "doodba-ops-bench", "doctor", `odoo-${SIZE_MB}m.log`);

const { SIGNATURES } = await import(join(root, "dist", "doctor", "signatures", "index.js"));

// ---------------------------------------------------------------- the log
const TS = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3}) /;

function pad(n, w = 2) {
  return String(n).padStart(w, "0");
}

function fmt(ms) {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())},${pad(d.getUTCMilliseconds(), 3)}`;
}

async function generate(path, bytes) {
  const names = readdirSync(fixtures).filter((f) => f.endsWith(".log")).sort();
  // every line of every fixture, with its timestamp as an offset from the first one
  const lines = [];
  let t0;
  let tMax = 0;
  for (const n of names) {
    for (const line of readFileSync(join(fixtures, n), "utf8").split("\n")) {
      if (line === "") continue;
      const m = TS.exec(line);
      if (m) {
        const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]);
        t0 ??= ms;
        tMax = Math.max(tMax, ms - t0);
        lines.push({ off: ms - t0, rest: line.slice(24) });
      } else lines.push({ off: undefined, rest: line });
    }
  }
  const period = tMax + 60_000; // each repetition starts a minute after the previous one ends
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const out = createWriteStream(tmp, { highWaterMark: 1 << 22 });
  let written = 0;
  for (let rep = 0; written < bytes; rep++) {
    const base = t0 + rep * period;
    let buf = "";
    for (const l of lines) buf += l.off === undefined ? `${l.rest}\n` : `${fmt(base + l.off)} ${l.rest}\n`;
    written += Buffer.byteLength(buf);
    if (!out.write(buf)) await new Promise((r) => out.once("drain", r));
  }
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
  const { renameSync } = await import("node:fs");
  renameSync(tmp, path);
}

if (!existsSync(logPath) || statSync(logPath).size < SIZE_MB * 1024 * 1024) {
  process.stderr.write(`generating ${SIZE_MB} MB log at ${logPath} ...\n`);
  await generate(logPath, SIZE_MB * 1024 * 1024);
}
const size = statSync(logPath).size;

// ---------------------------------------------------------------- the baseline's pattern
// JavaScript regex sources -> POSIX ERE (GNU grep): classes, non-capturing groups
function toEre(src) {
  return src
    .replace(/\(\?:/g, "(")
    .replace(/\\d/g, "[0-9]")
    .replace(/\\w/g, "[[:alnum:]_]")
    .replace(/\\S/g, "[^[:space:]]")
    .replace(/\\s/g, "[[:space:]]")
    .replace(/\\`/g, "`");
}
const ere = SIGNATURES.flatMap((s) => s.patterns.map((p) => `(${toEre(p.source)})`)).join("|");
const check = spawnSync("grep", ["-E", "-c", ere, "/dev/null"]);
if (check.status === 2) throw new Error(`grep rejected the alternation: ${check.stderr}`);

// ---------------------------------------------------------------- measuring
const subject = [process.execPath, [bin, "doctor", "logs", logPath, "--format", "json"]];

/** Runs a command, returns wall seconds, peak RSS (VmHWM, MB) and stdout. */
function measure(cmd, args, env = process.env) {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    let hwm = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) hwm = Math.max(hwm, Number(m[1]) / 1024);
      } catch {
        // exited
      }
    }, 20);
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(poll);
      const secs = Number(process.hrtime.bigint() - t) / 1e9;
      if (code !== 0 && code !== 1) reject(new Error(`${cmd} exited ${code}: ${stderr}`));
      else resolve({ secs, hwm, stdout });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
spawnSync("cat", [logPath], { stdio: ["ignore", "ignore", "ignore"] }); // warm the page cache for both

const rows = { doctor: [], grepC: [], grepUtf8: [] };
let hwm = 0;
let report;
let grepCount;
for (let i = 0; i < RUNS; i++) {
  const d = await measure(subject[0], subject[1]);
  rows.doctor.push(d.secs);
  hwm = Math.max(hwm, d.hwm);
  report ??= JSON.parse(d.stdout);
  const g = await measure("grep", ["-E", "-c", ere, logPath], { ...process.env, LC_ALL: "C" });
  rows.grepC.push(g.secs);
  grepCount = Number(g.stdout.trim());
  const gu = await measure("grep", ["-E", "-c", ere, logPath], { ...process.env, LC_ALL: "C.UTF-8" });
  rows.grepUtf8.push(gu.secs);
}

const mbps = (secs) => size / 1e6 / secs;
const doctorS = median(rows.doctor);
const grepCS = median(rows.grepC);
const grepUS = median(rows.grepUtf8);
const result = {
  file: logPath,
  bytes: size,
  lines: report.scan.lines,
  records: report.scan.records,
  signatureHits: report.scan.hits.reduce((n, h) => n + h.count, 0),
  grepMatchingLines: grepCount,
  patterns: SIGNATURES.reduce((n, s) => n + s.patterns.length, 0),
  runs: RUNS,
  subject: "doodba-ops doctor logs --format json",
  doctorSeconds: doctorS,
  grepCSeconds: grepCS,
  grepUtf8Seconds: grepUS,
  doctorMBps: mbps(doctorS),
  grepCMBps: mbps(grepCS),
  grepUtf8MBps: mbps(grepUS),
  ratioVsGrepC: grepCS / doctorS,
  ratioVsGrepUtf8: grepUS / doctorS,
  peakRssMB: hwm,
};
console.log(`log: ${(size / 1e9).toFixed(2)} GB, ${result.lines.toLocaleString("en-US")} lines, ${result.records.toLocaleString("en-US")} records; ${result.patterns} patterns from ${SIGNATURES.length} signatures`);
console.log(`doctor logs --format json   ${doctorS.toFixed(2)} s  ${result.doctorMBps.toFixed(0)} MB/s  peak RSS ${hwm.toFixed(0)} MB (target < 150 MB)`);
console.log(`grep -E -c (LC_ALL=C)       ${grepCS.toFixed(2)} s  ${result.grepCMBps.toFixed(0)} MB/s  (${grepCount.toLocaleString("en-US")} matching lines)`);
console.log(`grep -E -c (LC_ALL=C.UTF-8) ${grepUS.toFixed(2)} s  ${result.grepUtf8MBps.toFixed(0)} MB/s`);
console.log(`throughput ratio doctor/grep: ${result.ratioVsGrepC.toFixed(2)}x vs grep in the C locale, ${result.ratioVsGrepUtf8.toFixed(2)}x vs grep in C.UTF-8 (target >= 0.5x); medians of ${RUNS} runs`);
mkdirSync(join(root, "bench", "results"), { recursive: true });
writeFileSync(join(root, "bench", "results", "doctor.json"), `${JSON.stringify(result, null, 2)}\n`);
