/**
 * `doodba-ops init [dir]`: answers (wizard on a terminal, or `--answers` file and flags) ->
 * the scaffold's file plan -> the one writer. Also `--add-env <name>` on an existing project.
 *
 * Answers come, lowest priority first, from the defaults, the saved `.doodba-ops/answers.yaml`
 * of the project (or the `--answers` file), the flags, and the wizard's questions for what is
 * still open. Without a terminal nothing is asked: what has no default must be given, or init
 * exits 2 naming it.
 */
import { posix } from "node:path";
import { UserError } from "../../errors.js";
import {
  DEFAULT_ODOO_VERSION,
  answerProblems,
  ENV_KINDS,
  SMTP_SECURITY,
  SUPPORTED_ODOO_VERSIONS,
  TLS_MODES,
  answerWarnings,
  checkBackupDestination,
  checkCidr,
  checkCpus,
  checkDomain,
  checkEmail,
  checkEnvName,
  checkHostPath,
  checkHostSize,
  checkPort,
  checkProjectName,
  checkSmtpHost,
  checkUsers,
  completeAnswers,
  defaultKind,
  defaultPostgresVersion,
  defaultSmtpPort,
  defaultTls,
  isPublicDomain,
  locator,
  mergePartial,
  missingError,
  normalizeDomain,
  normalizeOdooVersion,
  parseAnswersFile,
  pathKey,
  postgresChoices,
  renderAnswers,
  slugify,
  validateAnswers,
  type AnswerPath,
  type ParsedAnswersFile,
  type PartialAnswers,
  type PartialEnv,
} from "../../generate/answers.js";
import { applyPlan, hasWork, planChanges, renderChanges, summarize, type Change } from "../../generate/fileplan.js";
import { existingSecrets, generateSecrets, planInit } from "../../generate/scaffold.js";
import type { EnvKindAnswer, FilePlan, InitAnswers, PlannedFile, ProxyKind, SmtpAnswers, TlsMode } from "../../generate/types.js";
import type { Platform } from "../../platform/index.js";
import { GiB, sizeOdoo } from "../../tune/odoo.js";

/** Where a project keeps the answers it was generated from. */
export const ANSWERS_PATH = ".doodba-ops/answers.yaml";

export interface InitCliOptions {
  answers?: string;
  yes?: boolean;
  dryRun?: boolean;
  force?: boolean;
  addEnv?: string;
  kind?: string;
  projectName?: string;
  odooVersion?: string;
  postgresVersion?: string;
  proxy?: ProxyKind;
  sharedProxy?: boolean;
  domain?: string[];
  tls?: string[];
  letsencryptEmail?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  cpus?: string;
  ramGib?: string;
  users?: string;
  dbManagerAllow?: string[];
  smtpHost?: string;
  smtpPort?: string;
  smtpUser?: string;
  smtpSecurity?: string;
  emailFrom?: string;
  backup?: string;
}

/** The questions the wizard asks, through a prompt library (a test may pass another). */
export interface Prompter {
  input(q: { message: string; default?: string; validate?: (v: string) => true | string }): Promise<string>;
  select<T extends string>(q: { message: string; choices: { value: T; name?: string; description?: string }[]; default?: T }): Promise<T>;
  confirm(q: { message: string; default?: boolean }): Promise<boolean>;
}

export interface InitDeps {
  /** Today (PostgreSQL end of life, Odoo support). @default new Date() */
  now?: Date;
  /** Ask questions. @default when stdin and stderr are terminals and --yes is not given */
  interactive?: boolean;
  prompter?: Prompter;
}

// ---------------------------------------------------------------------------------------------
// Flags -> partial answers

interface FromFlags {
  partial: PartialAnswers;
  /** pathKey -> the flag that set it, for error messages. */
  flagPaths: Map<string, string>;
}

function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) throw new UserError(`${flag} needs a number, got "${v}"`);
  return n;
}

function oneOf<T extends string>(flag: string, v: string | undefined, valid: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if ((valid as readonly string[]).includes(v)) return v as T;
  throw new UserError(`${flag} must be one of ${valid.join(", ")}, got "${v}"`);
}

/** "prod=erp.example.com" -> ["prod", "erp.example.com"]; a bare value goes to `defaultEnv`. */
function envValue(flag: string, raw: string, defaultEnv: string, knownEnvs: readonly string[]): [string, string] {
  const i = raw.indexOf("=");
  const env = i >= 0 ? raw.slice(0, i).trim() : defaultEnv;
  const value = (i >= 0 ? raw.slice(i + 1) : raw).trim();
  if (!knownEnvs.includes(env)) {
    throw new UserError(`${flag} ${raw}: there is no environment "${env}"`, {
      hint: `Environments: ${knownEnvs.join(", ")}. Add one to an existing project with --add-env ${env}.`,
    });
  }
  if (value === "") throw new UserError(`${flag} ${raw}: no value after "${env}="`);
  return [env, value];
}

function flagsToPartial(opts: InitCliOptions, knownEnvs: readonly string[], defaultEnv: string): FromFlags {
  const p: PartialAnswers = {};
  const flagPaths = new Map<string, string>();
  const set = (path: AnswerPath, flag: string): void => {
    flagPaths.set(pathKey(path), flag);
  };
  if (opts.projectName !== undefined) {
    p.projectName = opts.projectName.trim();
    set(["project_name"], "--project-name");
  }
  if (opts.odooVersion !== undefined) {
    p.odooVersion = normalizeOdooVersion(opts.odooVersion);
    set(["odoo_version"], "--odoo-version");
  }
  if (opts.postgresVersion !== undefined) {
    p.postgresVersion = opts.postgresVersion.trim();
    set(["postgres_version"], "--postgres-version");
  }
  if (opts.proxy !== undefined) {
    p.proxy = opts.proxy;
    set(["proxy"], "--proxy");
  }
  if (opts.sharedProxy) {
    p.proxyBundled = false;
    set(["proxy_bundled"], "--shared-proxy");
  }

  const envs = new Map<string, PartialEnv>();
  const env = (name: string): PartialEnv => {
    const e = envs.get(name) ?? { name };
    envs.set(name, e);
    return e;
  };
  for (const raw of opts.domain ?? []) {
    const [name, host] = envValue("--domain", raw, defaultEnv, knownEnvs);
    const e = env(name);
    e.domains = [...(e.domains ?? []), normalizeDomain(host)];
    set(["environments", name, "domains"], "--domain");
  }
  for (const raw of opts.tls ?? []) {
    const [name, mode] = envValue("--tls", raw, defaultEnv, knownEnvs);
    const tls = oneOf<TlsMode>("--tls", mode, TLS_MODES);
    if (tls) env(name).tls = tls;
    set(["environments", name, "tls"], "--tls");
  }
  if (envs.size > 0) p.envs = [...envs.values()];

  if (opts.letsencryptEmail !== undefined) {
    p.letsencryptEmail = opts.letsencryptEmail.trim();
    set(["letsencrypt_email"], "--letsencrypt-email");
  }
  if (opts.tlsCertFile !== undefined) {
    p.tlsCertFile = opts.tlsCertFile.trim();
    set(["tls_cert_file"], "--tls-cert-file");
  }
  if (opts.tlsKeyFile !== undefined) {
    p.tlsKeyFile = opts.tlsKeyFile.trim();
    set(["tls_key_file"], "--tls-key-file");
  }
  if (opts.dbManagerAllow !== undefined) {
    p.dbManagerAllow = opts.dbManagerAllow;
    set(["db_manager_allow"], "--db-manager-allow");
  }
  const cpus = num("--cpus", opts.cpus);
  const ram = num("--ram-gib", opts.ramGib);
  if (cpus !== undefined || ram !== undefined) p.host = { ...(cpus !== undefined ? { cpus } : {}), ...(ram !== undefined ? { ramGiB: ram } : {}) };
  if (cpus !== undefined) set(["host", "cpus"], "--cpus");
  if (ram !== undefined) set(["host", "ram_gib"], "--ram-gib");
  const users = num("--users", opts.users);
  if (users !== undefined) {
    p.users = users;
    set(["users"], "--users");
  }

  const smtpPort = num("--smtp-port", opts.smtpPort);
  const smtpSecurity = oneOf<SmtpAnswers["security"]>("--smtp-security", opts.smtpSecurity, SMTP_SECURITY);
  if (opts.smtpHost !== undefined || smtpPort !== undefined || opts.smtpUser !== undefined || smtpSecurity !== undefined) {
    p.smtp = {
      ...(opts.smtpHost !== undefined ? { host: opts.smtpHost.trim() } : {}),
      ...(smtpPort !== undefined ? { port: smtpPort } : {}),
      ...(opts.smtpUser !== undefined ? { user: opts.smtpUser.trim() } : {}),
      ...(smtpSecurity !== undefined ? { security: smtpSecurity } : {}),
    };
    if (opts.smtpHost !== undefined) set(["smtp", "host"], "--smtp-host");
    if (smtpPort !== undefined) set(["smtp", "port"], "--smtp-port");
    if (opts.smtpUser !== undefined) set(["smtp", "user"], "--smtp-user");
    if (smtpSecurity !== undefined) set(["smtp", "security"], "--smtp-security");
  }
  if (opts.emailFrom !== undefined) {
    p.emailFrom = opts.emailFrom.trim();
    set(["email_from"], "--email-from");
  }
  if (opts.backup !== undefined) {
    const b = opts.backup.trim();
    p.backupDestination = b === "none" || b === "" ? null : b;
    set(["backup_destination"], "--backup");
  }
  return { partial: p, flagPaths };
}

// ---------------------------------------------------------------------------------------------
// The wizard

/** @inquirer/prompts, drawing on stderr so that stdout stays data. */
async function inquirerPrompter(): Promise<Prompter> {
  const { input, select, confirm } = await import("@inquirer/prompts");
  const ctx = { output: process.stderr };
  return {
    input: (q) => input({ message: q.message, default: q.default, validate: q.validate }, ctx),
    select: (q) => select({ message: q.message, choices: q.choices, default: q.default }, ctx),
    confirm: (q) => confirm({ message: q.message, default: q.default }, ctx),
  };
}

const ok = (problem: string | undefined): true | string => problem ?? true;

function splitList(v: string): string[] {
  return v
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Asks what `partial` leaves open, with the defaults pre-filled and each answer checked by the
 * same validators as the file and the flags. Returns complete answers.
 */
async function wizard(p: Prompter, given: PartialAnswers, now: Date, dirName: string, log: (s: string) => void): Promise<InitAnswers> {
  const a: PartialAnswers = structuredClone(given);
  log("doodba-ops init: a few questions about the project (Enter keeps the default).\n");

  a.projectName ??= await p.input({ message: "Project name", default: slugify(dirName) ?? "odoo", validate: (v) => ok(checkProjectName(v.trim())) });
  a.projectName = a.projectName.trim();
  if (a.odooVersion === undefined) {
    a.odooVersion = await p.select({
      message: "Odoo version",
      choices: [...SUPPORTED_ODOO_VERSIONS].reverse().map((v) => ({
        value: v,
        name: v === DEFAULT_ODOO_VERSION ? `${v} (recommended)` : v,
        description:
          v === DEFAULT_ODOO_VERSION
            ? "Two years of fixes, most OCA modules migrated, supported until 21.0 ships."
            : v === "16.0"
              ? "Out of Odoo S.A. support: only for projects that must stay on it."
              : undefined,
      })),
      default: DEFAULT_ODOO_VERSION,
    });
  }
  if (a.postgresVersion === undefined) {
    const choices = postgresChoices(a.odooVersion, now);
    const def = defaultPostgresVersion(a.odooVersion, now);
    a.postgresVersion = await p.select({
      message: `PostgreSQL version (for Odoo ${a.odooVersion})`,
      choices: [...choices].reverse().map((v) => ({ value: v, name: v === def ? `${v} (recommended)` : v })),
      default: def,
    });
  }
  a.proxy ??= await p.select<ProxyKind>({
    message: "Reverse proxy",
    choices: [
      { value: "traefik", name: "Traefik", description: "Routes from container labels; Let's Encrypt built in (the doodba-copier-template way)." },
      { value: "nginx", name: "nginx", description: "Configuration files in nginx/, as in Odoo's deployment documentation." },
    ],
    default: "traefik",
  });
  if (a.proxyBundled === undefined) {
    const bundled = await p.select<"bundled" | "shared">({
      message: "Bundled or shared proxy",
      choices: [
        { value: "bundled", name: "Bundled: runs in this project's test and prod stacks" },
        {
          value: "shared",
          name: "Shared: an existing proxy on the host serves several projects",
          description: a.proxy === "traefik" ? "A Traefik on the external network inverseproxy_shared." : "nginx on the host, reaching Odoo on 127.0.0.1.",
        },
      ],
      default: "bundled",
    });
    a.proxyBundled = bundled === "bundled";
  }

  // Environments: prod first (the test domain defaults from it).
  const envs = new Map((a.envs ?? []).map((e) => [e.name, { ...e }]));
  const taken = (except: string): Set<string> =>
    new Set([...envs.values()].filter((e) => e.name !== except).flatMap((e) => e.domains ?? []));
  const askEnv = async (name: string, kind: EnvKindAnswer, defaultDomain?: string): Promise<void> => {
    const e = envs.get(name) ?? { name };
    envs.set(name, e);
    e.kind ??= kind;
    if (e.domains === undefined || e.domains.length === 0) {
      const raw = await p.input({
        message: `Domains of ${name} (comma-separated, main one first)`,
        default: defaultDomain,
        validate: (v) => {
          const list = splitList(v).map(normalizeDomain);
          if (list.length === 0) return `${name} needs at least one domain: the proxy routes by host name`;
          for (const d of list) {
            const bad = checkDomain(d);
            if (bad) return bad;
            if (taken(name).has(d)) return `${d} is already used by another environment`;
          }
          return true;
        },
      });
      e.domains = splitList(raw).map(normalizeDomain);
    }
    if (e.tls === undefined) {
      const publicNames = (e.domains ?? []).every(isPublicDomain);
      const choices: { value: TlsMode; name: string; description?: string }[] = [];
      if (publicNames) choices.push({ value: "letsencrypt", name: "Let's Encrypt (automatic certificates)" });
      choices.push({ value: "files", name: "Certificate files I provide (host paths)" });
      if (kind === "test") choices.push({ value: "self-signed", name: "Self-signed (browsers warn; fine for a test server)" });
      const def = defaultTls(kind);
      e.tls = await p.select({
        message: `TLS for ${name}${publicNames ? "" : " (Let's Encrypt cannot issue for these names)"}`,
        choices,
        default: choices.some((c) => c.value === def) ? def : choices[0]?.value,
      });
    }
  };
  await askEnv("prod", "prod");
  const main = envs.get("prod")?.domains?.[0];
  await askEnv("test", "test", main ? `test.${main}` : undefined);
  for (const e of envs.values()) {
    if (e.name !== "prod" && e.name !== "test" && e.name !== "devel") await askEnv(e.name, e.kind ?? defaultKind(e.name));
  }
  a.envs = [...envs.values()];

  if (a.envs.some((e) => e.tls === "letsencrypt") && !a.letsencryptEmail) {
    a.letsencryptEmail = (await p.input({ message: "E-mail for Let's Encrypt (expiry warnings)", validate: (v) => ok(checkEmail(v.trim())) })).trim();
  }
  if (a.envs.some((e) => e.tls === "files")) {
    if (!a.tlsCertFile) a.tlsCertFile = (await p.input({ message: "Certificate file on the host (full chain, PEM)", validate: (v) => ok(checkHostPath(v.trim())) })).trim();
    if (!a.tlsKeyFile) a.tlsKeyFile = (await p.input({ message: "Private key file on the host (PEM)", validate: (v) => ok(checkHostPath(v.trim())) })).trim();
  }

  const number = async (message: string, def: number, check: (n: number) => string | undefined): Promise<number> =>
    Number(await p.input({ message, default: String(def), validate: (v) => ok(v.trim() === "" || !Number.isFinite(Number(v)) ? "Give a number" : check(Number(v))) }));
  a.users ??= await number("Concurrent users at peak", 25, checkUsers);
  const host = { ...a.host };
  host.cpus ??= await number("CPU cores of the host", 4, checkCpus);
  const cpus = host.cpus;
  const users = a.users;
  host.ramGiB ??= await number("RAM of the host (GiB)", 8, (n) => checkHostSize(cpus, n, users));
  a.host = host;

  if (a.dbManagerAllow === undefined) {
    const raw = await p.input({
      message: "CIDRs allowed to reach the database manager in prod (comma-separated; empty = nobody)",
      default: "",
      validate: (v) => {
        for (const c of splitList(v)) {
          const bad = checkCidr(c);
          if (bad) return bad;
        }
        return true;
      },
    });
    a.dbManagerAllow = splitList(raw);
  }

  if (a.smtp === undefined) {
    const wants = await p.confirm({ message: "Send e-mail through an SMTP relay?", default: false });
    a.smtp = wants ? {} : null;
  }
  if (a.smtp) {
    const s = a.smtp;
    s.host ??= (await p.input({ message: "SMTP host", validate: (v) => ok(checkSmtpHost(v.trim())) })).trim();
    s.security ??= await p.select<SmtpAnswers["security"]>({
      message: "SMTP security",
      choices: [
        { value: "starttls", name: "STARTTLS (port 587)" },
        { value: "ssl", name: "TLS from the start (port 465)" },
        { value: "none", name: "None (a relay on a trusted network, port 25)" },
      ],
      default: "starttls",
    });
    const security = s.security;
    s.port ??= await number("SMTP port", defaultSmtpPort(security), checkPort);
    if (s.user === undefined) {
      const user = (await p.input({ message: "SMTP user (empty: no authentication; the password goes in .docker/smtp.env)", default: "" })).trim();
      s.user = user === "" ? null : user;
    }
  }
  const mainDomain = envs.get("prod")?.domains?.[0];
  a.emailFrom ??= (await p.input({ message: "From address of outgoing mail", default: mainDomain ? `odoo@${mainDomain}` : undefined, validate: (v) => ok(checkEmail(v.trim())) })).trim();
  if (a.backupDestination === undefined) {
    const raw = (
      await p.input({
        message: "Backup destination (duplicity URL such as boto3+s3://bucket/prefix or sftp://user@host/path; none for no backup)",
        validate: (v) => (v.trim() === "none" ? true : ok(checkBackupDestination(v.trim()))),
      })
    ).trim();
    a.backupDestination = raw === "none" ? null : raw;
  }
  return completeAnswers(a, { now, dirName }).answers;
}

// ---------------------------------------------------------------------------------------------
// The command

function readAnswersFile(platform: Platform, path: string, shownAs: string): ParsedAnswersFile {
  let text: string;
  try {
    text = platform.fs.readText(path);
  } catch (e) {
    throw new UserError(`Cannot read the answers file ${shownAs}: ${e instanceof Error ? e.message : String(e)}`, {
      hint: "Check the path, or run init without --answers to be asked.",
    });
  }
  return parseAnswersFile(text, shownAs);
}

function withAnswersFile(plan: FilePlan, answers: InitAnswers): FilePlan {
  const file: PlannedFile = { path: ANSWERS_PATH, content: renderAnswers(answers) };
  return { ...plan, files: [...plan.files.filter((f) => f.path !== ANSWERS_PATH), file] };
}

/**
 * Of the plan for the answers with the new environment, the files that plan adds or changes
 * compared with the plan of the project as it was: the environment's footprint. Files the
 * environment does not concern are left alone, even when the user edited them.
 */
function footprint(before: FilePlan, after: FilePlan): FilePlan {
  const old = new Map(before.files.map((f) => [f.path, f]));
  const oldDirs = new Set(before.dirs ?? []);
  return {
    files: after.files.filter((f) => {
      const o = old.get(f.path);
      return !o || o.content !== f.content || (o.mode ?? 0o644) !== (f.mode ?? 0o644);
    }),
    dirs: (after.dirs ?? []).filter((d) => !oldDirs.has(d)),
    notes: after.notes.filter((n) => !before.notes.includes(n)),
  };
}

function sizingLines(a: InitAnswers): string[] {
  return sizeOdoo({ cpus: a.host.cpus, ramBytes: a.host.ramGiB * GiB }, { users: a.users }, { odooMajor: Math.floor(Number.parseFloat(a.odooVersion)) }).reasoning;
}

function quoteArg(s: string): string {
  return /^[\w./@%+=:,-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

export async function initCommand(platform: Platform, dir: string, opts: InitCliOptions, deps: InitDeps = {}): Promise<number> {
  const now = deps.now ?? new Date();
  const log = (s: string): void => platform.stderr(s.endsWith("\n") ? s : `${s}\n`);
  const dirName = posix.basename(posix.resolve(dir));
  const savedPath = posix.join(dir, ANSWERS_PATH);
  const shownDir = quoteArg(dir);

  if (opts.kind !== undefined && opts.addEnv === undefined) throw new UserError("--kind goes with --add-env <name>");
  let base: ParsedAnswersFile | undefined;
  /** --add-env: the project before the new environment. */
  let before: InitAnswers | undefined;
  /** The answers the project was generated from, when known. */
  let previous: InitAnswers | undefined;
  let knownEnvs: string[];
  let defaultEnv = "prod";
  if (opts.addEnv !== undefined) {
    const name = opts.addEnv.trim();
    const bad = checkEnvName(name);
    if (bad) throw new UserError(bad);
    if (!platform.fs.exists(savedPath)) {
      throw new UserError(`${posix.join(dir, ANSWERS_PATH)} not found: --add-env adds an environment to a project generated by doodba-ops init`, {
        hint: "Generate the project first (it saves its answers there), or give the answers of an existing project with --answers.",
        next: `doodba-ops init ${shownDir}`,
      });
    }
    const allowed = new Set(["answers", "yes", "dryRun", "force", "addEnv", "kind", "domain", "tls", "letsencryptEmail", "tlsCertFile", "tlsKeyFile"]);
    const extra = Object.entries(opts).filter(([k, v]) => v !== undefined && !allowed.has(k)).map(([k]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    if (extra.length > 0) {
      throw new UserError(`${extra.join(", ")} cannot be combined with --add-env`, {
        hint: `--add-env only adds an environment. Change other answers in ${ANSWERS_PATH} and re-run \`doodba-ops init ${shownDir}\`.`,
      });
    }
    base = readAnswersFile(platform, opts.answers ?? savedPath, opts.answers ?? ANSWERS_PATH);
    const existing = completeAnswers(base.partial, { now, dirName });
    if (existing.missing.length > 0) throw missingError(existing.missing, base.file);
    validateAnswers(existing.answers, now, locator(base));
    before = existing.answers;
    previous = before;
    if (before.envs.some((e) => e.name === name)) {
      throw new UserError(`Environment ${name} already exists in ${base.file}`, {
        hint: `Edit it there and re-run \`doodba-ops init ${shownDir}\`, or choose another name.`,
      });
    }
    const kind = oneOf<EnvKindAnswer>("--kind", opts.kind, ENV_KINDS) ?? defaultKind(name);
    base = { ...base, partial: mergePartial(base.partial, { envs: [{ name, kind }] }) };
    knownEnvs = [...before.envs.map((e) => e.name), name];
    defaultEnv = name;
  } else {
    const saved = platform.fs.exists(savedPath) ? readAnswersFile(platform, savedPath, ANSWERS_PATH) : undefined;
    if (saved) {
      // What the project was generated from, when the saved answers are still complete and valid:
      // files still as they generated then are updated without --force.
      const was = completeAnswers(saved.partial, { now, dirName });
      if (was.missing.length === 0 && answerProblems(was.answers, now).length === 0) previous = was.answers;
    }
    if (opts.answers !== undefined) base = readAnswersFile(platform, opts.answers, opts.answers);
    else if (saved) {
      base = saved;
      log(`doodba-ops: using the saved answers in ${posix.join(dir, ANSWERS_PATH)} (flags override them)`);
    }
    knownEnvs = [...new Set(["devel", "test", "prod", ...(base?.partial.envs ?? []).map((e) => e.name)])];
  }

  const flags = flagsToPartial(opts, knownEnvs, defaultEnv);
  const partial = mergePartial(base?.partial ?? {}, flags.partial);
  const interactive = deps.interactive ?? (!opts.yes && Boolean(process.stdin.isTTY) && Boolean(process.stderr.isTTY));

  let answers: InitAnswers;
  let prompter: Prompter | undefined;
  if (interactive) {
    prompter = deps.prompter ?? (await inquirerPrompter());
    try {
      answers = await wizard(prompter, partial, now, dirName, log);
    } catch (e) {
      if (e instanceof Error && (e.name === "ExitPromptError" || e.name === "AbortPromptError")) {
        throw new UserError("init cancelled: nothing was written");
      }
      throw e;
    }
  } else {
    const { answers: complete, missing } = completeAnswers(partial, { now, dirName });
    if (missing.length > 0) throw missingError(missing, base?.file);
    answers = complete;
  }
  validateAnswers(answers, now, locator(base, flags.flagPaths));

  log("Sizing (from the host and the expected users):");
  for (const line of sizingLines(answers)) log(`  ${line}`);
  for (const w of answerWarnings(answers, now)) log(`doodba-ops: warning: ${w}`);

  const randomBytes = platform.randomBytes;
  if (!randomBytes) throw new Error("the platform has no randomBytes(): cannot generate secrets");
  const readExisting = (rel: string): string | undefined => {
    try {
      return platform.fs.readText(posix.join(dir, rel));
    } catch {
      return undefined;
    }
  };
  const secrets = { ...generateSecrets(randomBytes), ...existingSecrets(readExisting) };
  let plan = withAnswersFile(planInit(answers, secrets), answers);
  const previousPlan = previous ? withAnswersFile(planInit(previous, secrets), previous) : undefined;
  if (before && previousPlan) plan = footprint(previousPlan, plan);
  const changes: Change[] = planChanges(platform.fs, dir, plan, previousPlan);

  if (opts.dryRun) {
    platform.stdout(renderChanges(changes));
    log(`doodba-ops: dry run: nothing was written${hasWork(changes) ? `; apply with \`doodba-ops init ${shownDir}${opts.addEnv ? ` --add-env ${opts.addEnv}` : ""}\` and the same answers` : ""}`);
    return 0;
  }
  if (prompter && hasWork(changes)) {
    log(`\n${renderChanges(changes, { showUnchanged: false })}`);
    const go = await prompter.confirm({ message: `Write these files into ${dir}?`, default: true });
    if (!go) {
      platform.stdout("Nothing was written.\n");
      return 0;
    }
  }

  const toWrite = changes.filter((c) => c.kind === "file" && (c.action === "create" || c.action === "update")).length;
  if (toWrite > 0) log(`doodba-ops: writing ${toWrite} file${toWrite > 1 ? "s" : ""} into ${dir}`);
  const result = await applyPlan(platform.fs, dir, changes, {
    force: opts.force,
    dryRunCommand: `doodba-ops init ${shownDir} --dry-run${opts.answers ? ` --answers ${quoteArg(opts.answers)}` : ""}${opts.addEnv ? ` --add-env ${opts.addEnv}` : ""}`,
  });

  if (!hasWork(changes)) {
    platform.stdout(`Nothing to do: ${dir} already matches the answers (${summarize(changes).replace(/^nothing to do: /, "")}).\n`);
    return 0;
  }
  const out: string[] = [];
  const parts = [`${result.created.length} created`, `${result.updated.length} updated`];
  if (result.chmodded.length > 0) parts.push(`${result.chmodded.length} permission fix${result.chmodded.length > 1 ? "es" : ""}`);
  if (result.unchanged.length > 0) parts.push(`${result.unchanged.length} unchanged`);
  if (result.kept.length > 0) parts.push(`${result.kept.length} secret${result.kept.length > 1 ? "s" : ""} kept`);
  out.push(`${opts.addEnv ? `Environment ${opts.addEnv} added to` : "Project written in"} ${dir}: ${parts.join(", ")}.`);
  for (const c of changes) {
    if (c.action === "create" || c.action === "update") out.push(`  ${c.action === "create" ? "+" : "~"} ${c.path}${c.kind === "dir" ? "/" : ""}`);
  }
  if (plan.notes.length > 0) {
    out.push("", "Before going live:");
    for (const n of plan.notes) out.push(`  - ${n}`);
  }
  const prodEnvs = answers.envs.filter((e) => e.kind === "prod").map((e) => e.name);
  const target = opts.addEnv ?? prodEnvs[0] ?? "prod";
  out.push(
    "",
    "Next:",
    `  doodba-ops check ${shownDir} --env ${target}`,
    `  cd ${shownDir} && docker compose -f ${target}.yaml build && docker compose -f ${target}.yaml up -d`,
  );
  platform.stdout(`${out.join("\n")}\n`);
  return 0;
}
