/**
 * `tune --apply`: a recommendation -> the file plan that puts it into the project, the way the
 * project takes each setting. Pure (file contents in, file contents out); the one writer
 * (src/generate/fileplan.ts) shows the diff and writes.
 *
 * - Odoo options: one conf.d file, `odoo/custom/conf.d/99-doodba-ops-tune.conf` (or the
 *   `*-doodba-ops-tune.conf` tune wrote before), replaced as a whole. conf.d files are merged in
 *   name order, so a later file that sets a tuned option would win: a `key = $VAR` line gets the
 *   variable set in the environment's compose file; a literal line is commented out (with the
 *   old value kept in the comment). Command-line flags of the Odoo service beat conf.d: the
 *   flags it already has get the new values.
 * - Cron split: the web service gets `--max-cron-threads=0` on its command (conf.d is shared by
 *   every environment and keeps the cron count for the others), and a cron-only service
 *   (`--no-http`) is added next to it, built from the web service's own keys in that file.
 * - PostgreSQL: postgres-autoconf's `CONF_EXTRA` (the user's lines kept, tuned keys replaced in
 *   place, missing ones appended), or the official image's `command: [postgres, -c, k=v ...]`.
 * - Container limits: `mem_limit`/`cpus`, or `deploy.resources.limits` where the service or the
 *   file already uses that form.
 * Every compose edit goes into the environment's own file: a value that comes from
 * `extends: common.yaml` is overridden there, never changed in common.yaml (other
 * environments use it). Edits are surgical (./yaml-edit.ts): comments and formatting stay.
 */
import { posix } from "node:path";
import { UserError } from "../errors.js";
import type { FilePlan, PlannedFile } from "../generate/types.js";
import { CONFD_DIR, expandConfValue } from "../project/confd.js";
import { odooServiceKind } from "../project/index.js";
import type { EnvModel, ProjectModel, ServiceModel } from "../project/model.js";
import { ODOO_FLAGS } from "../project/odoo-options.js";
import { fmt } from "./odoo.js";
import { pgConfLine, type PgSettings } from "./postgres.js";
import { composeMemory, odooValue, parsePgArgv, PG_ORDER, tunedOdooKeys, type TuneRecommendation, type TuneRow } from "./recommend.js";
import { YamlEditor, type YPath } from "./yaml-edit.js";

export const TUNE_CONF_SUFFIX = "-doodba-ops-tune.conf";
export const DEFAULT_TUNE_CONF = `${CONFD_DIR}/99${TUNE_CONF_SUFFIX}`;

export interface TuneApplyPlan {
  plan: FilePlan;
  /** One line per edit, for the report (file: what). */
  edits: string[];
  notes: string[];
}

/** dest -> the long flag odoo-bin knows it by (`max_cron_threads` -> `--max-cron-threads`). */
function flagFor(dest: string): string {
  const names = Object.entries(ODOO_FLAGS)
    .filter(([name, f]) => f.dest === dest && name.startsWith("--") && f.takesValue)
    .map(([name]) => name);
  const name = names.find((n) => n.includes("-") && n.slice(2).includes("-")) ?? names[0];
  if (!name) throw new Error(`no odoo-bin flag for ${dest}`);
  return name;
}

/**
 * Sets option values on an Odoo argv: flags it has (`--workers=0`, `--workers 0`) get the new
 * value in place, the others are appended as `--flag=value`.
 */
export function setOdooFlags(argv: readonly string[], values: ReadonlyMap<string, string>): string[] {
  const out = [...argv];
  const done = new Set<string>();
  for (let i = 0; i < out.length; i++) {
    const item = out[i] ?? "";
    if (!item.startsWith("--")) continue;
    const eq = item.indexOf("=");
    const name = eq > 0 ? item.slice(0, eq) : item;
    const flag = ODOO_FLAGS[name];
    if (!flag?.takesValue) continue;
    const v = values.get(flag.dest);
    if (eq < 0) {
      // `--workers 5`: the value is the next item
      if (v !== undefined && out[i + 1] !== undefined) out[i + 1] = v;
      i++;
    } else if (v !== undefined) out[i] = `${name}=${v}`;
    if (v !== undefined) done.add(flag.dest);
  }
  for (const [dest, v] of values) if (!done.has(dest)) out.push(`${flagFor(dest)}=${v}`);
  return out;
}

/** The tuned PostgreSQL settings on a postgres argv: existing `-c k=v` / `--k=v` / `-N` values replaced, the rest appended as `-c k=v`. */
export function setPgArgs(argv: readonly string[], settings: PgSettings): string[] {
  const out = argv.length > 0 ? [...argv] : ["postgres"];
  const found = parsePgArgv(out);
  const done = new Set<string>();
  for (const [key, { index }] of found) {
    const v = settings[key];
    if (v === undefined) continue;
    const item = out[index] ?? "";
    if (/^-[NB]$/.test(out[index - 1] ?? "") && !item.includes("=")) {
      if (key === "max_connections") out[index] = v;
      else continue; // -B (shared_buffers in 8 kB pages): appended as -c below, which wins being later
    } else {
      const eq = item.indexOf("=");
      out[index] = `${item.slice(0, eq + 1)}${v}`;
    }
    done.add(key);
  }
  for (const k of orderPg(Object.keys(settings))) if (!done.has(k)) out.push("-c", `${k}=${settings[k] ?? ""}`);
  return out;
}

function orderPg(keys: string[]): string[] {
  return [...PG_ORDER.filter((k) => keys.includes(k)), ...keys.filter((k) => !PG_ORDER.includes(k)).sort()];
}

export const CONF_EXTRA_MARKER = "# added by doodba-ops tune (pgtune); `doodba-ops tune --apply` keeps these and the values above up to date";

/**
 * postgres-autoconf's CONF_EXTRA with the tuned settings: the user's lines stay (a tuned key's
 * value is replaced in place, its comment kept), missing settings are appended after a marker.
 */
export function mergeConfExtra(existing: string, settings: PgSettings): string {
  const lines = existing === "" ? [] : existing.replace(/\n$/, "").split("\n");
  const done = new Set<string>();
  const out = lines.map((line) => {
    const m = /^(\s*)([A-Za-z_][A-Za-z0-9_.]*)(\s*=\s*|\s+)([^#]*?)(\s*#.*)?$/.exec(line);
    if (!m || line.trim().startsWith("#")) return line;
    const key = (m[2] ?? "").toLowerCase();
    const v = settings[key];
    if (v === undefined) return line;
    done.add(key);
    return `${m[1] ?? ""}${pgConfLine(key, v)}${m[5] ?? ""}`;
  });
  const missing = orderPg(Object.keys(settings)).filter((k) => !done.has(k));
  if (missing.length > 0) {
    if (!out.includes(CONF_EXTRA_MARKER)) out.push(CONF_EXTRA_MARKER);
    for (const k of missing) out.push(pgConfLine(k, settings[k] ?? ""));
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

interface Ctx {
  project: ProjectModel;
  env: EnvModel;
  rec: TuneRecommendation;
  editors: Map<string, YamlEditor>;
  edits: string[];
  notes: string[];
}

/** The compose file a service is declared in (its key in the last file that defines it). */
function fileOf(ctx: Ctx, service: string): string {
  const files = ctx.env.compose.files;
  return ctx.env.compose.services[service]?.pos?.file ?? files[files.length - 1] ?? "docker-compose.yml";
}

function editor(ctx: Ctx, file: string): YamlEditor {
  let e = ctx.editors.get(file);
  if (!e) {
    const text = ctx.project.read(file);
    if (text === undefined) throw new UserError(`Cannot read ${file}`, { hint: "Check that the file exists and is readable." });
    e = new YamlEditor(text, file);
    ctx.editors.set(file, e);
  }
  return e;
}

/** Sets a variable in a service's `environment` (mapping or KEY=value list) in its compose file. */
function setEnvVar(ctx: Ctx, service: string, name: string, value: string): void {
  const e = editor(ctx, fileOf(ctx, service));
  const path: YPath = ["services", service, "environment"];
  const current = e.get(path);
  if (Array.isArray(current)) {
    const items = current.map(String);
    const i = items.findIndex((x) => x.split("=")[0] === name);
    if (i >= 0 && items[i] === `${name}=${value}`) return;
    if (i >= 0) items[i] = `${name}=${value}`;
    else items.push(`${name}=${value}`);
    e.setSequence(path, items);
  } else {
    e.set([...path, name], value);
  }
  ctx.edits.push(`${fileOf(ctx, service)}: services.${service}.environment.${name}`);
}

/** Sets an argv (command) on a service: in place when its file writes one, else as an override there. */
function setCommand(ctx: Ctx, service: string, argv: string[]): void {
  const file = fileOf(ctx, service);
  const e = editor(ctx, file);
  const path: YPath = ["services", service, "command"];
  if (e.node(path) !== undefined) e.setSequence(path, argv);
  else e.set(path, argv);
  ctx.edits.push(`${file}: services.${service}.command`);
}

type LimitForm = "mem_limit" | "deploy";

function limitsOf(raw: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const deploy = raw?.deploy as Record<string, unknown> | undefined;
  return (deploy?.resources as Record<string, unknown> | undefined)?.limits as Record<string, unknown> | undefined;
}

/** Where a service's memory or CPU limit goes: the form its current value uses, else the file's. */
function limitForm(ctx: Ctx, svc: ServiceModel | undefined, which: "memory" | "cpus", fallback: LimitForm): LimitForm {
  const raw = svc?.raw;
  const top = which === "memory" ? raw?.mem_limit : raw?.cpus;
  if (top !== undefined && top !== null) return "mem_limit";
  const lim = limitsOf(raw)?.[which];
  if (lim !== undefined && lim !== null) return "deploy";
  return fallback;
}

/** The file's habit: deploy.resources.limits when a service of it already uses them. */
function fileLimitForm(e: YamlEditor): LimitForm {
  const services = e.get(["services"]);
  if (typeof services === "object" && services !== null) {
    for (const s of Object.values(services as Record<string, unknown>)) {
      if (limitsOf(s as Record<string, unknown>) !== undefined) return "deploy";
    }
  }
  return "mem_limit";
}

function applyLimitRows(ctx: Ctx, service: string, rows: TuneRow[], svc: ServiceModel | undefined, form: LimitForm): void {
  const file = fileOf(ctx, service);
  const e = editor(ctx, file);
  for (const row of rows) {
    if (!row.change) continue;
    if (row.setting === "mem_limit") {
      const f = limitForm(ctx, svc, "memory", form);
      e.set(f === "deploy" ? ["services", service, "deploy", "resources", "limits", "memory"] : ["services", service, "mem_limit"], row.recommended);
      ctx.edits.push(`${file}: services.${service}.${f === "deploy" ? "deploy.resources.limits.memory" : "mem_limit"} = ${row.recommended}`);
    } else if (row.setting === "cpus") {
      const f = limitForm(ctx, svc, "cpus", form);
      const n = Number(row.recommended);
      e.set(f === "deploy" ? ["services", service, "deploy", "resources", "limits", "cpus"] : ["services", service, "cpus"], f === "deploy" ? row.recommended : n);
      ctx.edits.push(`${file}: services.${service}.${f === "deploy" ? "deploy.resources.limits.cpus" : "cpus"} = ${row.recommended}`);
    } else if (row.setting === "shm_size") {
      e.set(["services", service, "shm_size"], row.recommended);
      ctx.edits.push(`${file}: services.${service}.shm_size = ${row.recommended}`);
    }
  }
}

/** Whether the project's conf.d reaches the service (the doodba image, or a build of ./odoo). */
function confdApplies(project: ProjectModel, svc: ServiceModel): boolean {
  const dfDoodba = project.dockerfile?.from.some((f) => /doodba/i.test(f.image));
  const kind = odooServiceKind(svc, { built: dfDoodba ?? true, image: dfDoodba ?? false });
  return kind === "doodba" || svc.build !== undefined;
}

const VAR_ONLY = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/;

function renderTuneConf(rec: TuneRecommendation, values: [string, string][], confPath: string): string {
  const s = rec.sizing;
  const lines = [
    `; Written by \`doodba-ops tune --env ${rec.env} --apply\`; running it again replaces this whole file.`,
    `; Sized for ${rec.host.cpus} CPU${rec.host.cpus === 1 ? "" : "s"}, ${fmt(rec.host.memoryBytes)}, ${rec.inputs.users} concurrent users, ${Math.round(rec.inputs.heavyRatio * 100)}% heavy requests, PostgreSQL ${rec.layout.pgPlacement === "shared" ? "on the same host" : "elsewhere"}${rec.inputs.splitCron ? ", crons in a cron-only instance" : ""}.`,
    `; ${posix.basename(confPath)} sorts after the other conf.d files, so these values win; every environment built from ./odoo reads them.`,
  ];
  for (const line of s.reasoning) lines.push(`; ${line}`);
  lines.push("[options]");
  for (const [k, v] of values) lines.push(`${k} = ${v}`);
  return `${lines.join("\n")}\n`;
}

/**
 * The files that put the recommendation into the project.
 * @throws UserError when a file it must edit cannot be read or edited safely
 */
export function planApply(project: ProjectModel, rec: TuneRecommendation): TuneApplyPlan {
  const env = project.envs[rec.env];
  if (!env) throw new UserError(`Environment "${rec.env}" is not loaded`);
  const ctx: Ctx = { project, env, rec, editors: new Map(), edits: [], notes: [] };
  const files: PlannedFile[] = [];
  const s = rec.sizing;
  const web = env.compose.services[rec.layout.web];
  if (!web) throw new Error(`service ${rec.layout.web} vanished`);
  const split = rec.layout.cron !== undefined;
  const cronThreads = s.cron?.threads ?? s.maxCronThreads;

  // 1. Odoo options: conf.d (what every environment's image reads) and the web command's flags.
  const keys = tunedOdooKeys(s, rec.layout.odooMajor);
  const values = new Map<string, string>(keys.map((k) => [k, k === "max_cron_threads" ? String(cronThreads) : odooValue(s, k)]));
  const flagValues = new Map<string, string>();
  const envVars = new Map<string, string>();
  const viaConfd = confdApplies(project, web);
  if (viaConfd) {
    const confPath = project.confd.find((f) => f.path.endsWith(TUNE_CONF_SUFFIX))?.path ?? DEFAULT_TUNE_CONF;
    const content = renderTuneConf(rec, [...values], confPath);
    if (project.read(confPath) !== content) ctx.edits.push(`${confPath}: ${keys.join(", ")}`);
    files.push({ path: confPath, content });
    // Later conf.d files override ours.
    const vars: Record<string, string | null> = { ...web.environment };
    const commentOut = new Map<string, Set<number>>();
    for (const f of project.confd) {
      if (f.path <= confPath) continue;
      for (const e of f.entries) {
        if (e.section !== "options") continue;
        const want = values.get(e.key);
        if (want === undefined) continue;
        const expanded = expandConfValue(e.raw, vars).trim();
        const m = VAR_ONLY.exec(e.raw.trim());
        if (m) {
          const name = m[1] ?? m[2] ?? "";
          if (expanded !== want) envVars.set(name, want);
          continue;
        }
        if (expanded === want) continue;
        const set = commentOut.get(f.path) ?? new Set<number>();
        set.add(e.pos.line);
        commentOut.set(f.path, set);
      }
    }
    for (const [path, lineNos] of commentOut) {
      const text = project.read(path);
      if (text === undefined) continue;
      const lines = text.split("\n");
      for (const n of lineNos) {
        const i = n - 1;
        const line = lines[i];
        if (line === undefined) continue;
        lines[i] = `; doodba-ops tune: replaced by ${posix.basename(confPath)}: ${line.trim()}`;
      }
      files.push({ path, content: lines.join("\n") });
      ctx.edits.push(`${path}: commented out ${lineNos.size} line${lineNos.size > 1 ? "s" : ""} that would override ${posix.basename(confPath)}`);
      ctx.notes.push(`${path} sorts after ${posix.basename(confPath)} and set tuned options: those lines are commented out (their old values stay in the comment).`);
    }
    // Command-line flags beat conf.d: the ones the web command has get the new values.
    for (const item of web.command ?? []) {
      const name = item.split("=")[0] ?? "";
      const dest = ODOO_FLAGS[name]?.dest;
      if (dest && values.has(dest)) flagValues.set(dest, values.get(dest) ?? "");
    }
    if (split) flagValues.set("max_cron_threads", "0");
  } else {
    for (const [k, v] of values) flagValues.set(k, v);
    if (split) flagValues.set("max_cron_threads", "0");
    ctx.notes.push(`${web.name} does not read odoo/custom/conf.d (not the doodba image, not built from ./odoo): the Odoo options go on its command line.`);
  }
  for (const [name, value] of envVars) {
    if (web.environment[name] !== value) setEnvVar(ctx, web.name, name, value);
  }
  let webArgv = web.command;
  if (flagValues.size > 0) {
    const base = web.command && web.command.length > 0 ? web.command : ["odoo"];
    const next = setOdooFlags(base, flagValues);
    if (JSON.stringify(next) !== JSON.stringify(web.command ?? [])) setCommand(ctx, web.name, next);
    webArgv = next;
  }

  // 2. Container limits of the web service.
  const webFile = editor(ctx, fileOf(ctx, web.name));
  const form = fileLimitForm(webFile);
  const rowsOf = (service: string, kind: TuneRow["kind"]): TuneRow[] => rec.rows.filter((r) => r.service === service && r.kind === kind);
  applyLimitRows(ctx, web.name, rowsOf(web.name, "container"), web, form);

  // 3. The cron-only instance.
  if (rec.layout.cron && s.cron) {
    const name = rec.layout.cron.service;
    const cronArgvFrom = (argv: readonly string[] | undefined): string[] => {
      const next = setOdooFlags(argv && argv.length > 0 ? argv : ["odoo"], new Map([["max_cron_threads", String(cronThreads)]]));
      return next.includes("--no-http") ? next : [...next.slice(0, 1), "--no-http", ...next.slice(1)];
    };
    const existing = env.compose.services[name];
    if (existing) {
      const argv = cronArgvFrom(existing.command);
      if (JSON.stringify(argv) !== JSON.stringify(existing.command ?? [])) setCommand(ctx, name, argv);
      for (const [v, value] of envVars) if (existing.environment[v] !== value) setEnvVar(ctx, name, v, value);
      applyLimitRows(ctx, name, rowsOf(name, "container"), existing, form);
    } else {
      const e = webFile;
      const own = e.get(["services", web.name]);
      const body: Record<string, unknown> = {};
      const skip = new Set(["labels", "ports", "expose", "healthcheck", "command", "mem_limit", "memswap_limit", "mem_reservation", "cpus", "cpu_shares", "cpuset", "deploy", "container_name", "hostname", "domainname", "networks", "scale", "links"]);
      if (typeof own === "object" && own !== null) for (const [k, v] of Object.entries(own as Record<string, unknown>)) if (!skip.has(k)) body[k] = v;
      body.command = cronArgvFrom(webArgv);
      // Networks: the ones that reach the database (the proxy's network stays with the web service).
      const ownNets = (own as Record<string, unknown> | undefined)?.networks;
      const webNets = Array.isArray(ownNets) ? ownNets.map(String) : typeof ownNets === "object" && ownNets !== null ? Object.keys(ownNets) : [];
      if (webNets.length > 0) {
        const dbSvc = rec.layout.db ? env.compose.services[rec.layout.db.service] : undefined;
        const dbNets = dbSvc ? (Object.keys(dbSvc.networks).length > 0 ? Object.keys(dbSvc.networks) : ["default"]) : undefined;
        const external = (n: string): boolean => {
          const def = env.compose.networks[n];
          return def !== null && def !== undefined && (def.external === true || def.external === "true");
        };
        const keep = webNets.filter((n) => (dbNets ? dbNets.includes(n) : !external(n)));
        if (keep.length > 0) body.networks = keep;
      }
      if (Object.keys(web.labels).some((k) => k.startsWith("traefik."))) body.labels = { "traefik.enable": "false" };
      // A healthcheck inherited through extends probes HTTP, which a --no-http instance does not serve.
      if (web.healthcheck && !web.healthcheck.disable && (own as Record<string, unknown> | undefined)?.healthcheck === undefined) body.healthcheck = { disable: true };
      const limits: Record<string, unknown> = {};
      const mem = composeMemory(s.cron.containerMemory);
      if (form === "deploy") body.deploy = { resources: { limits: { memory: mem, cpus: String(s.cron.containerCpus) } } };
      else Object.assign(limits, { mem_limit: mem, cpus: s.cron.containerCpus });
      Object.assign(body, limits);
      for (const [v, value] of envVars) {
        const envNode = body.environment;
        if (Array.isArray(envNode)) body.environment = [...envNode.filter((x) => String(x).split("=")[0] !== v), `${v}=${value}`];
        else body.environment = { ...(envNode as Record<string, unknown> | undefined), [v]: value };
      }
      e.set(["services", name], body, `cron-only Odoo instance (doodba-ops tune --split-cron): runs the scheduled actions; ${web.name} runs none`);
      ctx.edits.push(`${fileOf(ctx, web.name)}: new service ${name} (--no-http, ${cronThreads} cron worker${cronThreads > 1 ? "s" : ""})`);
      ctx.notes.push(`${name} has no healthcheck: a --no-http instance has no HTTP endpoint to probe.`);
    }
  }

  // 4. PostgreSQL: container limits, then its settings.
  const db = rec.layout.db;
  if (db) {
    const dbSvc = env.compose.services[db.service];
    if (dbSvc && rec.layout.pgPlacement === "shared") applyLimitRows(ctx, db.service, rowsOf(db.service, "container"), dbSvc, fileLimitForm(editor(ctx, fileOf(ctx, db.service))));
    const settings: PgSettings = {};
    for (const r of rowsOf(db.service, "postgres")) settings[r.setting] = r.recommended;
    const changed = rowsOf(db.service, "postgres").some((r) => r.change);
    if (dbSvc && changed) {
      if (db.flavour === "autoconf") {
        const existing = typeof dbSvc.environment.CONF_EXTRA === "string" ? dbSvc.environment.CONF_EXTRA : "";
        const merged = mergeConfExtra(existing, settings);
        if (merged !== existing) setEnvVar(ctx, db.service, "CONF_EXTRA", merged);
      } else if (db.flavour === "official") {
        const argv = dbSvc.command ?? [];
        if (argv.length > 0 && !/(^|\/)postgres$/.test(argv[0] ?? "") && !(argv[0] ?? "").startsWith("-")) {
          ctx.notes.push(`${db.service}'s command does not start postgres (${argv[0] ?? ""}): set the PostgreSQL values yourself.`);
        } else {
          const next = setPgArgs(argv, settings);
          if (JSON.stringify(next) !== JSON.stringify(argv)) setCommand(ctx, db.service, next);
        }
      }
    }
  }

  for (const [file, e] of ctx.editors) {
    if (e.changed) files.push({ path: file, content: e.result() });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { plan: { files, notes: [] }, edits: ctx.edits, notes: ctx.notes };
}
