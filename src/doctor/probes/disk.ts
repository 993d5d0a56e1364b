/**
 * Disk space of the environment's volumes: `df` on the host paths of every mount of its
 * containers (named volumes, bind mounts) and on Docker's data root, grouped by file system.
 * Only when the engine is local: on a remote engine `df` here would measure the wrong machine.
 * Blocks and inodes both (a filestore of millions of small files runs out of inodes first).
 */
import type { Exec } from "../../platform/exec.js";
import type { DoctorFinding, ProbeResult } from "../types.js";
import type { DockerContainer } from "./docker.js";
import { firstLine, finding, probe, runBounded } from "./util.js";
import { formatBytes } from "../report/rank.js";

export interface FsUsage {
  filesystem: string;
  mount: string;
  /** 1 KiB blocks */
  sizeK: number;
  usedK: number;
  availK: number;
  /** 0..100 */
  usePct: number;
  inodesUsePct?: number;
  /** Which volumes/paths live on it ("odoo:/var/lib/odoo (volume acme_filestore)"). */
  users: string[];
}

/** Parses `df -P` output (POSIX format; the mount point may contain spaces). */
export function parseDf(text: string): { filesystem: string; total: number; used: number; avail: number; pct: number; mount: string }[] {
  const out: { filesystem: string; total: number; used: number; avail: number; pct: number; mount: string }[] = [];
  for (const line of text.split("\n").slice(1)) {
    const m = /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)%\s+(.+)$/.exec(line.trim());
    if (!m) continue;
    out.push({ filesystem: m[1] ?? "", total: Number(m[2]), used: Number(m[3]), avail: Number(m[4]), pct: Number(m[5]), mount: (m[6] ?? "").trim() });
  }
  return out;
}

export interface DiskThresholds {
  /** @default 80 */
  warnPct: number;
  /** @default 90 */
  errorPct: number;
}

export async function probeDisk(
  exec: Exec,
  containers: readonly DockerContainer[],
  rootDir: string | undefined,
  thresholds: DiskThresholds = { warnPct: 80, errorPct: 90 },
): Promise<{ probe: ProbeResult; findings: DoctorFinding[] }> {
  const title = "Disk space of the volumes";
  const paths = new Map<string, string>();
  for (const c of containers) {
    for (const m of c.mounts) {
      if (m.type !== "volume" && m.type !== "bind") continue;
      if (m.source.startsWith("/var/run/docker.sock") || m.source === "/etc/localtime") continue;
      const what = `${c.service ?? c.name}:${m.destination}${m.name ? ` (volume ${m.name})` : ` (${m.source})`}`;
      if (!paths.has(m.source)) paths.set(m.source, what);
    }
  }
  if (rootDir && !paths.has(rootDir)) paths.set(rootDir, `Docker data root ${rootDir}`);
  if (paths.size === 0) return { probe: probe("disk", title, "skipped", "the containers have no volume or bind mount to measure"), findings: [] };

  const list = [...paths.keys()].sort();
  // df per path: one unreadable path (a volume under a root-only data dir) must not hide the others
  const usage = new Map<string, FsUsage>();
  const unreadable: string[] = [];
  for (const p of list) {
    const r = await runBounded(exec, "df", ["-P", "-k", p], { timeoutMs: 10_000 });
    const row = parseDf(r.stdout)[0];
    if (r.exitCode !== 0 || !row) {
      unreadable.push(`${paths.get(p) ?? p}: ${firstLine(r.stderr) || "df failed"}`);
      continue;
    }
    let u = usage.get(row.mount);
    if (!u) {
      u = { filesystem: row.filesystem, mount: row.mount, sizeK: row.total, usedK: row.used, availK: row.avail, usePct: row.pct, users: [] };
      const ri = await runBounded(exec, "df", ["-P", "-i", p], { timeoutMs: 10_000 });
      const irow = parseDf(ri.stdout)[0];
      if (ri.exitCode === 0 && irow && irow.total > 0) u.inodesUsePct = irow.pct;
      usage.set(row.mount, u);
    }
    u.users.push(paths.get(p) ?? p);
  }
  if (usage.size === 0) {
    return { probe: probe("disk", title, "skipped", `df could not read any volume path (${unreadable.slice(0, 3).join("; ")}); run as root or a member of the docker group with access to the data root`), findings: [] };
  }
  const findings: DoctorFinding[] = [];
  const rows: string[] = [];
  for (const u of [...usage.values()].sort((a, b) => b.usePct - a.usePct || a.mount.localeCompare(b.mount))) {
    rows.push(`${u.mount} ${u.usePct}% used, ${formatBytes(u.availK * 1024)} free${u.inodesUsePct !== undefined ? `, inodes ${u.inodesUsePct}%` : ""}`);
    const worst = Math.max(u.usePct, u.inodesUsePct ?? 0);
    if (worst >= thresholds.warnPct) {
      const inodes = (u.inodesUsePct ?? 0) >= u.usePct && (u.inodesUsePct ?? 0) >= thresholds.warnPct;
      findings.push(
        finding(
          inodes ? "disk-inodes-low" : "disk-space-low",
          worst >= thresholds.errorPct ? "critical" : "warning",
          inodes ? `File system ${u.mount} is out of inodes soon (${u.inodesUsePct}% used)` : `File system ${u.mount} is ${u.usePct}% full (${formatBytes(u.availK * 1024)} free)`,
          [`${u.filesystem} on ${u.mount}: ${formatBytes(u.usedK * 1024)} used of ${formatBytes(u.sizeK * 1024)}${u.inodesUsePct !== undefined ? `, inodes ${u.inodesUsePct}%` : ""}`, `holds: ${u.users.join("; ")}`],
          "When it fills, PostgreSQL stops accepting writes (and may shut down), Odoo cannot store attachments or sessions, and backups fail.",
          "Free space: old backups and dumps, `docker image prune -a` and `docker builder prune` (unused images and build cache), container logs (set the json-file log driver's max-size), the filestore of dropped databases; or grow the volume.",
        ),
      );
    }
  }
  const detail = rows.join("; ") + (unreadable.length > 0 ? `; not measured: ${unreadable.length} path(s)` : "");
  return { probe: probe("disk", title, findings.length > 0 ? "problem" : "ok", detail, { filesystems: [...usage.values()].map((u) => ({ mount: u.mount, usePct: u.usePct, availBytes: u.availK * 1024, inodesUsePct: u.inodesUsePct })) }), findings };
}
