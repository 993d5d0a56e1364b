/**
 * Loads one environment's compose files the way Docker Compose does: parse, interpolate,
 * resolve `extends` (same file and other file), normalise short/long syntaxes, merge several
 * `-f` files, read `env_file`s. Every value keeps its source position.
 */
import { posix } from "node:path";
import { UserError, type Diagnostic, type SourcePos } from "../../errors.js";
import type { Fs } from "../../platform/fs.js";
import type { ComposeModel, DependsOn, HealthCheck, PortMapping, ServiceModel, VolumeMount } from "../model.js";
import { parseDotEnv } from "../dotenv.js";
import { interpolateTree } from "./interpolate.js";
import { splitShell } from "./shell.js";
import {
  clone,
  collectPositions,
  getIn,
  lmap,
  lscalar,
  lseq,
  parseYaml,
  positionIndex,
  scalarString,
  toJS,
  type LNode,
} from "./yaml.js";

type LMap = LNode & { kind: "map" };

export interface ComposeLoadContext {
  fs: Fs;
  /** Absolute project directory. */
  dir: string;
  /** Interpolation variables (.env then process environment). */
  vars: Record<string, string | undefined>;
  diagnostics: Diagnostic[];
  /** Parsed + interpolated files, by project-relative path. */
  cache?: Map<string, LMap>;
  /** Variables already reported as unset. */
  unsetReported?: Set<string>;
  /** env_files already reported as missing (reported once per project, not once per env). */
  missingReported?: Set<string>;
}

function abs(ctx: ComposeLoadContext, rel: string): string {
  return posix.join(ctx.dir, rel);
}

/** Project-relative path of `p` written in `fromFile` (itself project-relative). */
export function relTo(fromFile: string, p: string): string {
  if (p.startsWith("/")) return p;
  return posix.normalize(posix.join(posix.dirname(fromFile), p));
}

/** Reads, parses and interpolates a compose file (cached). */
export function readComposeFile(ctx: ComposeLoadContext, rel: string, from?: SourcePos): LMap {
  ctx.cache ??= new Map();
  const hit = ctx.cache.get(rel);
  if (hit) return hit;
  let text: string;
  try {
    text = ctx.fs.readText(abs(ctx, rel));
  } catch {
    throw new UserError(`Compose file ${rel} not found`, {
      pos: from,
      hint: from ? "Fix the file name in `extends.file`, or add the missing file." : "Check the file name.",
    });
  }
  const parsed = parseYaml(text, rel);
  const root = parsed.docs[0] ?? lmap();
  if (root.kind === "scalar" && root.value === null) {
    const empty = lmap(new Map(), { file: rel, line: 1, col: 1 });
    ctx.cache.set(rel, empty);
    return empty;
  }
  if (root.kind !== "map") {
    throw new UserError(`${rel} is not a compose file: the top level must be a mapping`, { pos: root.pos });
  }
  ctx.unsetReported ??= new Set();
  const reported = ctx.unsetReported;
  interpolateTree(root, {
    vars: ctx.vars,
    onUnset: (name, pos) => {
      if (reported.has(name)) return;
      reported.add(name);
      ctx.diagnostics.push({ level: "info", message: `Variable ${name} is not set; Compose uses an empty string`, pos });
    },
  });
  // Compose file format 1 (no `services:` key): services at the top level.
  if (!root.entries.has("services") && !root.entries.has("version") && [...root.entries.values()].every((v) => v.kind === "map" && (v.entries.has("image") || v.entries.has("build")))) {
    const wrapped = lmap(new Map([["services", lmap(root.entries, root.pos)]]), root.pos);
    ctx.cache.set(rel, wrapped);
    return wrapped;
  }
  ctx.cache.set(rel, root);
  return root;
}

// ---------------------------------------------------------------------------------------------
// Normalisation of a service (on located trees, before merging)

function str(n: LNode): string {
  return n.kind === "scalar" ? (n.value === null ? "" : String(n.value)) : "";
}

function toStringScalar(n: LNode): LNode {
  if (n.kind !== "scalar") return n;
  if (n.value === null) return n;
  return { ...n, value: String(n.value), isString: true };
}

/** `[K=V, K]` or `{K: V}` -> map of string|null scalars. */
function kvMap(n: LNode, sep = "="): LMap {
  if (n.kind === "map") {
    const m = new Map<string, LNode>();
    for (const [k, v] of n.entries) m.set(k, v.kind === "scalar" ? toStringScalar(v) : lscalar(JSON.stringify(toJS(v)), v.pos));
    return { ...n, entries: m };
  }
  const m = new Map<string, LNode>();
  if (n.kind === "seq") {
    for (const item of n.items) {
      const s = str(item);
      const i = s.indexOf(sep);
      if (i < 0) m.set(s.trim(), { kind: "scalar", value: null, pos: item.pos });
      else m.set(s.slice(0, i).trim(), { kind: "scalar", value: s.slice(i + 1), pos: item.pos, isString: true });
    }
  }
  return lmap(m, n.pos);
}

function namesToMap(n: LNode, make: (item: LNode) => LNode): LMap {
  if (n.kind === "map") return n;
  const m = new Map<string, LNode>();
  if (n.kind === "seq") for (const item of n.items) m.set(str(item), make(item));
  return lmap(m, n.pos);
}

function parseVolumeShort(s: string, file: string, pos?: SourcePos): Map<string, LNode> {
  const m = new Map<string, LNode>();
  // Windows drive letters are not a concern on Linux hosts; split on ":".
  const parts = s.split(":");
  let source: string | undefined;
  let target: string;
  let mode: string | undefined;
  if (parts.length === 1) target = parts[0] ?? "";
  else {
    source = parts[0];
    target = parts[1] ?? "";
    mode = parts.slice(2).join(":") || undefined;
  }
  let type = "volume";
  if (source !== undefined) {
    if (source.startsWith("/") || source.startsWith(".") || source.startsWith("~")) {
      type = "bind";
      if (!source.startsWith("/") && !source.startsWith("~")) source = relTo(file, source);
    }
    m.set("source", lscalar(source, pos));
  }
  m.set("type", lscalar(type, pos));
  m.set("target", lscalar(target, pos));
  const opts = (mode ?? "").split(",");
  if (opts.includes("ro")) m.set("read_only", lscalar(true, pos));
  return m;
}

function normalizeVolumes(n: LNode, file: string): LNode {
  if (n.kind !== "seq") return n;
  return lseq(
    n.items.map((item) => {
      if (item.kind === "scalar") return lmap(parseVolumeShort(str(item), file, item.pos), item.pos);
      if (item.kind === "map") {
        const src = scalarString(item.entries.get("source"));
        const type = scalarString(item.entries.get("type"));
        if (type === "bind" && src && !src.startsWith("/")) {
          const copy = clone(item) as LMap;
          copy.entries.set("source", lscalar(relTo(file, src), item.entries.get("source")?.pos));
          return copy;
        }
      }
      return item;
    }),
    n.pos,
  );
}

function normalizeService(svc: LMap, file: string): LMap {
  const e = svc.entries;
  for (const key of ["environment", "labels", "annotations", "sysctls"]) {
    const v = e.get(key);
    if (v) e.set(key, kvMap(v));
  }
  const envFile = e.get("env_file");
  if (envFile) {
    const items = envFile.kind === "seq" ? envFile.items : [envFile];
    e.set(
      "env_file",
      lseq(
        items.map((it) => {
          if (it.kind === "map") {
            const p = scalarString(it.entries.get("path")) ?? "";
            const copy = clone(it) as LMap;
            copy.entries.set("path", lscalar(relTo(file, p), it.entries.get("path")?.pos));
            return copy;
          }
          return lmap(new Map([["path", lscalar(relTo(file, str(it)), it.pos)]]), it.pos);
        }),
        envFile.pos,
      ),
    );
  }
  const build = e.get("build");
  if (build) {
    const b = build.kind === "map" ? (clone(build) as LMap) : lmap(new Map([["context", lscalar(str(build), build.pos)]]), build.pos);
    // Resolve the context relative to the file that declares it; an override that sets only
    // args keeps the base's context.
    const ctxNode = b.entries.get("context");
    if (ctxNode) b.entries.set("context", lscalar(relTo(file, str(ctxNode)), ctxNode.pos));
    const args = b.entries.get("args");
    if (args) b.entries.set("args", kvMap(args));
    e.set("build", b);
  }
  const dep = e.get("depends_on");
  if (dep) e.set("depends_on", namesToMap(dep, (it) => lmap(new Map([["condition", lscalar("service_started", it.pos)]]), it.pos)));
  const nets = e.get("networks");
  if (nets) e.set("networks", namesToMap(nets, (it) => ({ kind: "scalar", value: null, pos: it.pos })));
  const vols = e.get("volumes");
  if (vols) e.set("volumes", normalizeVolumes(vols, file));
  return svc;
}

// ---------------------------------------------------------------------------------------------
// Merging (compose-spec merge rules)

const CONCAT_KEYS = new Set(["ports", "expose", "cap_add", "cap_drop", "dns", "dns_search", "env_file", "external_links", "links", "volumes_from", "security_opt", "tmpfs", "devices", "extra_hosts", "group_add", "configs", "secrets"]);
const REPLACE_KEYS = new Set(["command", "entrypoint"]);

function deepMerge(base: LNode, over: LNode): LNode {
  if (base.kind === "map" && over.kind === "map") {
    const out = new Map(base.entries);
    for (const [k, v] of over.entries) {
      const b = out.get(k);
      out.set(k, b ? deepMerge(b, v) : v);
    }
    return { ...over, entries: out };
  }
  return over;
}

function sameScalar(a: LNode, b: LNode): boolean {
  return JSON.stringify(toJS(a)) === JSON.stringify(toJS(b));
}

export function mergeService(base: LMap, over: LMap): LMap {
  const out = new Map(base.entries);
  for (const [k, v] of over.entries) {
    const b = out.get(k);
    if (!b) {
      out.set(k, v);
      continue;
    }
    if (REPLACE_KEYS.has(k)) out.set(k, v);
    else if (k === "volumes" && b.kind === "seq" && v.kind === "seq") {
      const byTarget = new Map<string, LNode>();
      for (const item of [...b.items, ...v.items]) byTarget.set(scalarString(getIn(item, "target")) ?? JSON.stringify(toJS(item)), item);
      out.set(k, lseq([...byTarget.values()], v.pos));
    } else if (CONCAT_KEYS.has(k) && b.kind === "seq" && v.kind === "seq") {
      const items = [...b.items];
      for (const it of v.items) if (!items.some((x) => sameScalar(x, it))) items.push(it);
      out.set(k, lseq(items, v.pos));
    } else out.set(k, deepMerge(b, v));
  }
  return { ...over, entries: out };
}

// ---------------------------------------------------------------------------------------------
// extends

function resolveService(ctx: ComposeLoadContext, file: string, name: string, stack: string[], from?: SourcePos): LMap {
  const doc = readComposeFile(ctx, file, from);
  const services = getIn(doc, "services");
  const node = services?.kind === "map" ? services.entries.get(name) : undefined;
  if (!node) {
    throw new UserError(`Service "${name}" not found in ${file}`, {
      pos: from,
      hint: `extends names a service that ${file} does not define. Services there: ${services?.kind === "map" ? [...services.entries.keys()].join(", ") || "none" : "none"}.`,
    });
  }
  const svc: LMap = node.kind === "map" ? (clone(node) as LMap) : lmap(new Map(), node.pos);
  svc.pos = node.keyPos ?? node.pos;
  normalizeService(svc, file);
  const ext = svc.entries.get("extends");
  if (!ext) return svc;
  svc.entries.delete("extends");
  let baseName: string;
  let baseFile = file;
  let fileNode: LNode | undefined;
  if (ext.kind === "scalar") baseName = str(ext);
  else {
    baseName = scalarString(getIn(ext, "service")) ?? "";
    fileNode = getIn(ext, "file");
    const f = scalarString(fileNode);
    if (f) baseFile = relTo(file, f);
  }
  if (!baseName) throw new UserError(`extends in service "${name}" of ${file} has no service`, { pos: ext.pos, hint: "Write extends: {file: common.yaml, service: odoo}." });
  const key = `${baseFile}#${baseName}`;
  if (stack.includes(key)) {
    throw new UserError(`Circular extends: ${[...stack, key].join(" -> ")}`, { pos: ext.pos, hint: "Break the cycle in the extends chain." });
  }
  if (baseFile !== file && !ctx.fs.exists(abs(ctx, baseFile))) {
    throw new UserError(`extends names file ${baseFile}, which does not exist`, {
      pos: fileNode?.pos ?? ext.pos,
      hint: `Create ${baseFile} or fix the file name in extends.file of service "${name}".`,
    });
  }
  const base = resolveService(ctx, baseFile, baseName, [...stack, key], fileNode?.pos ?? ext.pos);
  const merged = mergeService(base, svc);
  merged.pos = svc.pos;
  return merged;
}

// ---------------------------------------------------------------------------------------------
// Whole environment

/** Loads and merges `files` (project-relative, in -f order) into a {@link ComposeModel}. */
export function loadCompose(ctx: ComposeLoadContext, files: string[]): ComposeModel {
  let merged: LMap = lmap();
  let version: string | undefined;
  for (const file of files) {
    const doc = readComposeFile(ctx, file);
    const top = lmap(new Map(), doc.pos);
    for (const [k, v] of doc.entries) {
      if (k === "services") continue;
      top.entries.set(k, k === "volumes" || k === "networks" || k === "secrets" || k === "configs" ? namesToMap(v, (it) => ({ kind: "scalar", value: null, pos: it.pos })) : v);
    }
    const v = scalarString(doc.entries.get("version"));
    if (v) version = v;
    const services = doc.entries.get("services");
    const svcMap = lmap(new Map(), services?.pos);
    if (services?.kind === "map") {
      for (const name of services.entries.keys()) svcMap.entries.set(name, resolveService(ctx, file, name, [`${file}#${name}`]));
    } else if (services && !(services.kind === "scalar" && services.value === null)) {
      throw new UserError(`"services" in ${file} must be a mapping of service names`, { pos: services.pos });
    }
    top.entries.set("services", svcMap);
    merged = mergeTop(merged, top);
  }
  const services = getIn(merged, "services");
  const svcEntries = services?.kind === "map" ? services.entries : new Map<string, LNode>();
  // env_file contents become part of `environment` (environment wins), as Compose does.
  for (const [name, svc] of svcEntries) {
    if (svc.kind === "map") applyEnvFiles(ctx, name, svc);
  }
  const positions = new Map<string, SourcePos>();
  collectPositions(merged, positions);
  const raw = (toJS(merged) ?? {}) as Record<string, unknown>;
  const model: ComposeModel = {
    files,
    version,
    services: {},
    networks: (raw.networks ?? {}) as ComposeModel["networks"],
    volumes: (raw.volumes ?? {}) as ComposeModel["volumes"],
    secrets: (raw.secrets ?? {}) as ComposeModel["secrets"],
    raw,
    positions: positionIndex(positions),
  };
  for (const [name, svc] of svcEntries) {
    if (svc.kind !== "map") continue;
    model.services[name] = buildService(name, svc, (raw.services as Record<string, Record<string, unknown>>)[name] ?? {}, ctx);
    // ports in long form, for `config` output and rules
    const rawSvc = (raw.services as Record<string, Record<string, unknown>>)[name];
    if (rawSvc && Array.isArray(rawSvc.ports)) rawSvc.ports = model.services[name].ports.map((p) => portToRaw(p));
  }
  return model;
}

function mergeTop(base: LMap, over: LMap): LMap {
  const out = new Map(base.entries);
  for (const [k, v] of over.entries) {
    const b = out.get(k);
    if (k === "services" && b?.kind === "map" && v.kind === "map") {
      const s = new Map(b.entries);
      for (const [n, svc] of v.entries) {
        const prev = s.get(n);
        s.set(n, prev?.kind === "map" && svc.kind === "map" ? mergeService(prev, svc) : svc);
      }
      out.set(k, { ...v, entries: s });
    } else out.set(k, b ? deepMerge(b, v) : v);
  }
  return { ...over, entries: out };
}

function applyEnvFiles(ctx: ComposeLoadContext, service: string, svc: LMap): void {
  const envFiles = svc.entries.get("env_file");
  if (!envFiles || envFiles.kind !== "seq") return;
  const fromFiles = new Map<string, LNode>();
  for (const item of envFiles.items) {
    const path = scalarString(getIn(item, "path"));
    if (!path) continue;
    const required = getIn(item, "required");
    const optional = required?.kind === "scalar" && (required.value === false || required.value === "false");
    let text: string;
    try {
      text = ctx.fs.readText(abs(ctx, path));
    } catch {
      ctx.missingReported ??= new Set();
      if (!optional && !ctx.missingReported.has(path)) {
        ctx.missingReported.add(path);
        ctx.diagnostics.push({
          level: "warning",
          message: `env_file ${path} (service "${service}") not found, probably git-ignored secrets: the variables it sets are unknown to this check`,
          pos: item.pos,
        });
      }
      continue;
    }
    for (const entry of parseDotEnv(text, path)) {
      const value = entry.value ?? ctx.vars[entry.key];
      fromFiles.set(entry.key, { kind: "scalar", value: value ?? null, pos: entry.pos, isString: true });
    }
  }
  if (fromFiles.size === 0) return;
  const env = svc.entries.get("environment");
  const merged = new Map(fromFiles);
  if (env?.kind === "map") for (const [k, v] of env.entries) merged.set(k, v);
  svc.entries.set("environment", lmap(merged, env?.pos ?? envFiles.pos));
}

// ---------------------------------------------------------------------------------------------
// Typed service

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function argv(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.map((x) => String(x));
  return splitShell(String(v));
}

export function parsePort(spec: unknown, pos?: SourcePos): PortMapping[] {
  if (spec && typeof spec === "object") {
    const o = spec as Record<string, unknown>;
    const target = Number.parseInt(String(o.target ?? ""), 10);
    if (!Number.isFinite(target)) return [];
    return [
      {
        hostIp: o.host_ip !== undefined ? String(o.host_ip) : undefined,
        published: o.published !== undefined && o.published !== null && o.published !== "" ? String(o.published) : undefined,
        target,
        protocol: String(o.protocol ?? "tcp"),
        mode: o.mode !== undefined ? String(o.mode) : undefined,
        pos,
      },
    ];
  }
  let s = String(spec ?? "").trim();
  let protocol = "tcp";
  const slash = s.lastIndexOf("/");
  if (slash >= 0) {
    protocol = s.slice(slash + 1);
    s = s.slice(0, slash);
  }
  let hostIp: string | undefined;
  // [::1]:8069:8069 or 127.0.0.1:8069:8069 or 8069:8069 or 8069
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(s);
  if (v6) {
    hostIp = v6[1];
    s = v6[2] ?? "";
  }
  const parts = s.split(":");
  let published: string | undefined;
  let container: string;
  if (parts.length === 1) container = parts[0] ?? "";
  else if (parts.length === 2) {
    published = parts[0];
    container = parts[1] ?? "";
  } else {
    hostIp ??= parts.slice(0, parts.length - 2).join(":");
    published = parts[parts.length - 2];
    container = parts[parts.length - 1] ?? "";
  }
  const target = Number.parseInt(container.split("-")[0] ?? "", 10);
  if (!Number.isFinite(target)) return [];
  return [{ hostIp: hostIp || undefined, published: published || undefined, target, protocol, pos }];
}

function portToRaw(p: PortMapping): Record<string, unknown> {
  const o: Record<string, unknown> = { target: p.target, protocol: p.protocol };
  if (p.hostIp) o.host_ip = p.hostIp;
  if (p.published) o.published = p.published;
  if (p.mode) o.mode = p.mode;
  return o;
}

function buildService(name: string, node: LMap, raw: Record<string, unknown>, _ctx: ComposeLoadContext): ServiceModel {
  const posOf = (...path: (string | number)[]): SourcePos | undefined => {
    let cur: LNode | undefined = node;
    for (const p of path) {
      if (!cur) return undefined;
      if (cur.kind === "map") cur = cur.entries.get(String(p));
      else if (cur.kind === "seq") cur = cur.items[Number(p)];
      else return undefined;
    }
    return cur?.pos;
  };
  const environment: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(asRecord(raw.environment))) environment[k] = v === null || v === undefined ? null : String(v);
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(asRecord(raw.labels))) labels[k] = v === null || v === undefined ? "" : String(v);

  const ports: PortMapping[] = [];
  if (Array.isArray(raw.ports)) raw.ports.forEach((p, i) => ports.push(...parsePort(p, posOf("ports", i))));

  const volumes: VolumeMount[] = [];
  if (Array.isArray(raw.volumes)) {
    raw.volumes.forEach((v, i) => {
      const o = asRecord(v);
      const target = o.target !== undefined ? String(o.target) : "";
      if (!target) return;
      volumes.push({
        type: (o.type as VolumeMount["type"]) ?? "volume",
        source: o.source !== undefined && o.source !== null && o.source !== "" ? String(o.source) : undefined,
        target,
        readOnly: o.read_only === true || o.read_only === "true",
        pos: posOf("volumes", i),
      });
    });
  }

  const networks: Record<string, { aliases: string[] }> = {};
  for (const [k, v] of Object.entries(asRecord(raw.networks))) {
    const aliases = asRecord(v).aliases;
    networks[k] = { aliases: Array.isArray(aliases) ? aliases.map(String) : [] };
  }
  const dependsOn: Record<string, DependsOn> = {};
  for (const [k, v] of Object.entries(asRecord(raw.depends_on))) {
    dependsOn[k] = { condition: String(asRecord(v).condition ?? "service_started"), pos: posOf("depends_on", k) };
  }
  const deploy = asRecord(raw.deploy);
  const limits = asRecord(asRecord(deploy.resources).limits);
  const memRaw = raw.mem_limit ?? limits.memory;
  const cpusRaw = raw.cpus ?? limits.cpus;
  let healthcheck: HealthCheck | undefined;
  if (raw.healthcheck !== undefined) {
    const h = asRecord(raw.healthcheck);
    const test = h.test;
    healthcheck = {
      test: Array.isArray(test) ? test.map(String) : test !== undefined ? ["CMD-SHELL", String(test)] : undefined,
      disable: h.disable === true || (Array.isArray(test) && test[0] === "NONE"),
      interval: h.interval !== undefined ? String(h.interval) : undefined,
      timeout: h.timeout !== undefined ? String(h.timeout) : undefined,
      retries: h.retries !== undefined ? Number(h.retries) : undefined,
      startPeriod: h.start_period !== undefined ? String(h.start_period) : undefined,
      pos: posOf("healthcheck"),
    };
  }
  const build = raw.build !== undefined ? asRecord(raw.build) : undefined;
  const buildArgs: Record<string, string> = {};
  for (const [k, v] of Object.entries(asRecord(build?.args))) if (v !== null && v !== undefined) buildArgs[k] = String(v);
  const scale = raw.scale ?? deploy.replicas;
  return {
    name,
    image: raw.image !== undefined && raw.image !== null ? String(raw.image) : undefined,
    build: build ? { context: String(build.context ?? "."), dockerfile: build.dockerfile !== undefined ? String(build.dockerfile) : undefined, args: buildArgs, pos: posOf("build") } : undefined,
    containerName: raw.container_name !== undefined ? String(raw.container_name) : undefined,
    environment,
    command: argv(raw.command),
    entrypoint: argv(raw.entrypoint),
    ports,
    expose: Array.isArray(raw.expose) ? raw.expose.map(String) : [],
    volumes,
    labels,
    networks,
    networkMode: raw.network_mode !== undefined ? String(raw.network_mode) : undefined,
    dependsOn,
    restart: raw.restart !== undefined && raw.restart !== null ? String(raw.restart) : asRecord(deploy.restart_policy).condition !== undefined ? `deploy:${String(asRecord(deploy.restart_policy).condition)}` : undefined,
    healthcheck,
    privileged: raw.privileged === true || raw.privileged === "true",
    user: raw.user !== undefined ? String(raw.user) : undefined,
    capAdd: Array.isArray(raw.cap_add) ? raw.cap_add.map(String) : [],
    memLimit: memRaw !== undefined && memRaw !== null ? parseSize(memRaw) : undefined,
    cpus: cpusRaw !== undefined && cpusRaw !== null && Number.isFinite(Number(cpusRaw)) ? Number(cpusRaw) : undefined,
    replicas: scale !== undefined && Number.isFinite(Number(scale)) ? Number(scale) : undefined,
    raw,
    pos: node.pos,
  };
}

/** Docker size strings: 512m, 2g, 1.5GB, 1073741824. */
export function parseSize(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*$/i.exec(String(v));
  if (!m) return undefined;
  const mult: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  return Math.round(Number.parseFloat(m[1] ?? "0") * (mult[(m[2] ?? "").toLowerCase()] ?? 1));
}
