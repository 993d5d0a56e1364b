/**
 * The answers of `doodba-ops init`: what the user wants, from an answers file, from flags or from
 * the wizard, validated by one set of rules. Pure: no file system, no clock (callers pass `now`).
 *
 * ## The answers file (`.doodba-ops/answers.yaml`, or any file given to `--answers`)
 *
 * YAML, snake_case keys. Every key is optional in a file given to `--answers` (flags and
 * defaults fill the rest); unknown keys are errors, so a typo never silently falls back to a
 * default.
 *
 * ```yaml
 * project_name: acme-erp          # slug: lowercase letters, digits, dashes
 * odoo_version: "18.0"            # 16.0 | 17.0 | 18.0 | 19.0
 * postgres_version: "17"          # major; checked against the Odoo version and end-of-life dates
 * proxy: traefik                  # traefik | nginx
 * proxy_bundled: true             # false: an existing shared proxy (inverseproxy_shared) serves the stacks
 * environments:                   # devel, test and prod are required; more (staging...) allowed
 *   devel: {kind: devel, domains: [], tls: none}
 *   test: {kind: test, domains: [test.erp.acme.example], tls: self-signed}
 *   prod: {kind: prod, domains: [erp.acme.example], tls: letsencrypt}
 * letsencrypt_email: ops@acme.example   # required when an environment uses letsencrypt
 * tls_cert_file: null             # absolute host paths, required when an environment uses tls: files
 * tls_key_file: null
 * db_manager_allow: []            # CIDRs allowed to reach /web/database/* in prod; [] = nobody
 * host: {cpus: 4, ram_gib: 8}     # the machine the stack runs on
 * users: 25                       # concurrent users at peak
 * smtp: {host: smtp.acme.example, port: 587, user: odoo@acme.example, security: starttls}  # or null
 * email_from: odoo@erp.acme.example
 * backup_destination: boto3+s3://acme-backups/erp   # duplicity URL; null = no backup service
 * ```
 *
 * Where a value is wrong, the error names `file:line:col`, what is valid, and how to fix it.
 */
import { isIPv4, isIPv6 } from "node:net";
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from "yaml";
import type { Node, Pair, YAMLMap } from "yaml";
import { closestIds } from "../check/engine.js";
import { envKind } from "../check/lib/common.js";
import {
  PG_END_OF_LIFE,
  UNTESTED_MARGIN,
  formatPgMajor,
  isPgEndOfLife,
  odooMinPg,
  odooNewestTestedPg,
  parsePgMajor,
  pgEndOfLife,
  pgMajorAfter,
  pgMajorDistance,
} from "../check/lib/postgres.js";
import { odooSupport } from "../check/rules/reliability/odoo-version-end-of-life.js";
import { UserError, type SourcePos } from "../errors.js";
import { GiB, sizeOdoo } from "../tune/odoo.js";
import type { EnvAnswers, EnvKindAnswer, InitAnswers, ProxyKind, SmtpAnswers, TlsMode } from "./types.js";

// ---------------------------------------------------------------------------------------------
// Vocabulary

/**
 * Odoo series `init` generates. 16.0 is the oldest with `/websocket` (the bus the proxies route)
 * and the floor the issue sets; it is out of Odoo S.A. support since 19.0 shipped, so init warns.
 * 19.0 is the current series and every table doodba-ops keeps (options, minimum PostgreSQL)
 * knows it. 15.0 and older are left out: a new production stack on a series out of support
 * for years is not something to scaffold; existing projects on them are `check`'s business.
 */
export const SUPPORTED_ODOO_VERSIONS = ["16.0", "17.0", "18.0", "19.0"] as const;

/**
 * Default Odoo series: 18.0. 19.0 is newer, but Doodba projects are built from OCA addons
 * (repos.yaml), and the OCA migrates its repositories during the year after a release; 18.0 has
 * had two years of upstream fixes and has most OCA modules, and Odoo S.A. supports it until
 * 21.0 ships.
 */
export const DEFAULT_ODOO_VERSION = "18.0";

/**
 * Newest PostgreSQL major init picks by itself. 18 is accepted when asked for, but not the
 * default: its official image moved the data directory (`/var/lib/postgresql/18/docker`, VOLUME
 * `/var/lib/postgresql`), which backup and restore tooling and older volume layouts do not all
 * follow yet, and 17 has two years of minor releases behind it.
 */
export const NEWEST_DEFAULT_PG = 17;

export const PROXY_KINDS: readonly ProxyKind[] = ["traefik", "nginx"];
export const TLS_MODES: readonly TlsMode[] = ["letsencrypt", "files", "self-signed", "none"];
export const ENV_KINDS: readonly EnvKindAnswer[] = ["devel", "test", "prod"];
export const SMTP_SECURITY: readonly SmtpAnswers["security"][] = ["starttls", "ssl", "none"];
export const REQUIRED_ENVS = ["devel", "test", "prod"] as const;

/**
 * URL schemes duplicity (0.8/2.x backends, what tecnativa/docker-duplicity runs) accepts as a
 * target. `s3` and `boto3+s3` are the template's; `file` keeps backups on a mounted path.
 */
export const BACKUP_SCHEMES = [
  "azure",
  "b2",
  "boto3+s3",
  "file",
  "ftps",
  "gs",
  "pexpect+scp",
  "pexpect+sftp",
  "paramiko+scp",
  "paramiko+sftp",
  "rclone",
  "rsync",
  "s3",
  "s3+http",
  "scp",
  "sftp",
  "swift",
  "webdav",
  "webdavs",
] as const;

/** Top-level keys of the answers file, in the order they are written. */
export const ANSWER_KEYS = [
  "project_name",
  "odoo_version",
  "postgres_version",
  "proxy",
  "proxy_bundled",
  "environments",
  "letsencrypt_email",
  "tls_cert_file",
  "tls_key_file",
  "db_manager_allow",
  "host",
  "users",
  "smtp",
  "email_from",
  "backup_destination",
] as const;

const ENV_KEYS = ["kind", "domains", "tls"];
const HOST_KEYS = ["cpus", "ram_gib"];
const SMTP_KEYS = ["host", "port", "user", "security"];

// ---------------------------------------------------------------------------------------------
// Partial answers (what a file, flags or the wizard gave so far)

/** One environment as far as it is known. */
export interface PartialEnv {
  name: string;
  kind?: EnvKindAnswer;
  domains?: string[];
  tls?: TlsMode;
}

/**
 * Answers as far as they are known. `undefined` = not answered (a default applies, or it is
 * missing); `null` = answered "none" (no SMTP, no backup).
 */
export interface PartialAnswers {
  projectName?: string;
  odooVersion?: string;
  postgresVersion?: string;
  proxy?: ProxyKind;
  proxyBundled?: boolean;
  envs?: PartialEnv[];
  letsencryptEmail?: string | null;
  tlsCertFile?: string | null;
  tlsKeyFile?: string | null;
  dbManagerAllow?: string[];
  host?: { cpus?: number; ramGiB?: number };
  users?: number;
  smtp?: { host?: string; port?: number; user?: string | null; security?: SmtpAnswers["security"] } | null;
  emailFrom?: string;
  backupDestination?: string | null;
}

/** Path of a value in the answers file: `["environments", "prod", "domains", 0]`. */
export type AnswerPath = (string | number)[];

export function pathKey(path: AnswerPath): string {
  return JSON.stringify(path);
}

/** Merges `over` into `base` (over wins per key; environments merge by name, per field). */
export function mergePartial(base: PartialAnswers, over: PartialAnswers): PartialAnswers {
  const out: PartialAnswers = { ...base };
  for (const [k, v] of Object.entries(over) as [keyof PartialAnswers, unknown][]) {
    if (v === undefined || k === "envs" || k === "host" || k === "smtp") continue;
    (out as Record<string, unknown>)[k] = v;
  }
  if (over.host) out.host = { ...base.host, ...stripUndefined(over.host) };
  if (over.smtp === null) out.smtp = null;
  else if (over.smtp) out.smtp = { ...(base.smtp ?? {}), ...stripUndefined(over.smtp) };
  if (over.envs) {
    const envs = (base.envs ?? []).map((e) => ({ ...e }));
    for (const e of over.envs) {
      const i = envs.findIndex((x) => x.name === e.name);
      if (i >= 0) envs[i] = { ...envs[i], ...stripUndefined(e) } as PartialEnv;
      else envs.push({ ...e });
    }
    out.envs = envs;
  }
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ---------------------------------------------------------------------------------------------
// Defaults

export interface DefaultOptions {
  /** Today, for PostgreSQL end-of-life. */
  now: Date;
  /** Name of the project directory: the default project name, once slugified. */
  dirName?: string;
}

/** Something a non-interactive run cannot default and the user did not give. */
export interface MissingAnswer {
  /** Dotted key in the answers file. */
  key: string;
  /** The flag that gives it. */
  flag: string;
  /** What it is, for the message. */
  what: string;
}

/** "My ERP_2" -> "my-erp-2"; undefined when nothing usable remains. */
export function slugify(name: string): string | undefined {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return s === "" ? undefined : s;
}

/** Default kind of an environment from its name, the way `check` classifies it (other -> test). */
export function defaultKind(name: string): EnvKindAnswer {
  const k = envKind(name);
  return k === "other" ? "test" : k;
}

export function defaultTls(kind: EnvKindAnswer): TlsMode {
  return kind === "prod" ? "letsencrypt" : kind === "test" ? "self-signed" : "none";
}

/** Default SMTP port for a security mode. */
export function defaultSmtpPort(security: SmtpAnswers["security"]): number {
  return security === "ssl" ? 465 : security === "none" ? 25 : 587;
}

/**
 * The newest PostgreSQL major that Odoo `odooVersion` supports, that is not end-of-life at
 * `now`, and not above {@link NEWEST_DEFAULT_PG} (unless every major up to it is end-of-life).
 * undefined for an unknown Odoo version.
 */
export function defaultPostgresVersion(odooVersion: string, now: Date): string | undefined {
  const major = odooMajor(odooVersion);
  if (major === undefined) return undefined;
  const candidates = [...PG_END_OF_LIFE.keys()].filter((pg) => postgresProblem(pg, major, now) === undefined).sort((a, b) => a - b);
  // The newest up to the cap; once everything up to the cap is end-of-life, the oldest above it.
  const best = [...candidates].reverse().find((pg) => pg <= NEWEST_DEFAULT_PG) ?? candidates[0];
  return best === undefined ? undefined : formatPgMajor(best);
}

/** The standard environments first (devel, test, prod), then the others in the order given. */
function orderEnvs<T extends { name: string }>(envs: T[]): T[] {
  const rank = (n: string): number => {
    const i = (REQUIRED_ENVS as readonly string[]).indexOf(n);
    return i >= 0 ? i : REQUIRED_ENVS.length;
  };
  return envs.map((e, i) => ({ e, i })).sort((a, b) => rank(a.e.name) - rank(b.e.name) || a.i - b.i).map((x) => x.e);
}

/**
 * Completes partial answers with the defaults, and lists what has no default and was not given
 * (domains of test/prod, the Let's Encrypt e-mail, certificate paths, the backup destination).
 * The result still needs {@link validateAnswers}.
 */
export function completeAnswers(partial: PartialAnswers, opts: DefaultOptions): { answers: InitAnswers; missing: MissingAnswer[] } {
  const missing: MissingAnswer[] = [];
  const odooVersion = partial.odooVersion ?? DEFAULT_ODOO_VERSION;
  const given = partial.envs ?? [];
  const names = [...given.map((e) => e.name)];
  for (const n of REQUIRED_ENVS) if (!names.includes(n)) names.push(n);
  const envs: EnvAnswers[] = orderEnvs(
    names.map((name) => {
      const e = given.find((x) => x.name === name) ?? { name };
      const kind = e.kind ?? defaultKind(name);
      return { name, kind, domains: e.domains ?? [], tls: e.tls ?? defaultTls(kind) };
    }),
  );
  const prod = envs.find((e) => e.kind === "prod" && e.name === "prod") ?? envs.find((e) => e.kind === "prod");
  const mainDomain = prod?.domains[0];
  // A test environment without domains gets one under the main production domain.
  for (const e of envs) {
    if (e.domains.length > 0 || e.kind === "devel") continue;
    const derivable = e.kind === "test" && given.find((x) => x.name === e.name)?.domains === undefined;
    if (derivable && mainDomain && checkDomain(mainDomain) === undefined) e.domains = [`${e.name}.${mainDomain}`];
    else if (derivable) continue; // follows once the production domain (reported missing) is given
    else {
      missing.push({ key: `environments.${e.name}.domains`, flag: `--domain ${e.name}=<host name>`, what: `the domain of ${e.name}` });
    }
  }
  const answers: InitAnswers = {
    projectName: partial.projectName ?? slugify(opts.dirName ?? "") ?? "odoo",
    odooVersion,
    postgresVersion: partial.postgresVersion ?? defaultPostgresVersion(odooVersion, opts.now) ?? "",
    proxy: partial.proxy ?? "traefik",
    proxyBundled: partial.proxyBundled ?? true,
    envs,
    dbManagerAllow: partial.dbManagerAllow ?? [],
    host: { cpus: partial.host?.cpus ?? 4, ramGiB: partial.host?.ramGiB ?? 8 },
    users: partial.users ?? 25,
    emailFrom: partial.emailFrom ?? (mainDomain ? `odoo@${mainDomain}` : ""),
  };
  if (partial.letsencryptEmail) answers.letsencryptEmail = partial.letsencryptEmail;
  if (partial.tlsCertFile) answers.tlsCertFile = partial.tlsCertFile;
  if (partial.tlsKeyFile) answers.tlsKeyFile = partial.tlsKeyFile;
  if (partial.smtp) {
    const security = partial.smtp.security ?? "starttls";
    const smtp: SmtpAnswers = { host: partial.smtp.host ?? "", port: partial.smtp.port ?? defaultSmtpPort(security), security };
    if (partial.smtp.user) smtp.user = partial.smtp.user;
    answers.smtp = smtp;
    if (!partial.smtp.host) missing.push({ key: "smtp.host", flag: "--smtp-host <host>", what: "the SMTP relay's host" });
  }
  if (partial.backupDestination) answers.backupDestination = partial.backupDestination;

  if (envs.some((e) => e.tls === "letsencrypt") && !answers.letsencryptEmail) {
    missing.push({ key: "letsencrypt_email", flag: "--letsencrypt-email <address>", what: "the Let's Encrypt account e-mail" });
  }
  if (envs.some((e) => e.tls === "files")) {
    if (!answers.tlsCertFile) missing.push({ key: "tls_cert_file", flag: "--tls-cert-file <path>", what: "the certificate file" });
    if (!answers.tlsKeyFile) missing.push({ key: "tls_key_file", flag: "--tls-key-file <path>", what: "the private key file" });
  }
  if (!answers.emailFrom && !missing.some((m) => m.key.endsWith(".domains"))) {
    missing.push({ key: "email_from", flag: "--email-from <address>", what: "the From address of outgoing mail" });
  }
  if (partial.backupDestination === undefined) {
    missing.push({
      key: "backup_destination",
      flag: "--backup <url> (or --backup none)",
      what: "the backup destination (a duplicity URL such as boto3+s3://bucket/prefix, or none)",
    });
  }
  return { answers, missing };
}

/** {@link completeAnswers} without the list of what is missing. */
export function defaultAnswers(partial: PartialAnswers, opts: DefaultOptions): InitAnswers {
  return completeAnswers(partial, opts).answers;
}

// ---------------------------------------------------------------------------------------------
// Field validators: undefined when fine, else what is wrong. Shared by the file, flags and wizard.

const SLUG = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,39}$/;

export function checkProjectName(v: string): string | undefined {
  if (SLUG.test(v)) return undefined;
  return `"${v}" is not a valid project name: use 1-40 lowercase letters, digits and single dashes, starting with a letter (e.g. ${slugify(v) ?? "acme-erp"})`;
}

export function checkEnvName(v: string): string | undefined {
  if (!SLUG.test(v)) return `"${v}" is not a valid environment name: use lowercase letters, digits and dashes, starting with a letter (e.g. staging)`;
  if (v === "common" || v === "docker-compose") return `"${v}" cannot be an environment: ${v}.yaml has another role in a Doodba project`;
  return undefined;
}

/** "17" / 17 / "17.0" -> "17.0"; the text unchanged when it is not a number. */
export function normalizeOdooVersion(v: string | number): string {
  const s = String(v).trim();
  return /^\d{1,2}$/.test(s) ? `${s}.0` : s;
}

function odooMajor(v: string): number | undefined {
  const m = /^(\d{1,2})\.0$/.exec(v);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

export function checkOdooVersion(v: string): string | undefined {
  if ((SUPPORTED_ODOO_VERSIONS as readonly string[]).includes(v)) return undefined;
  return `Odoo ${v} is not a version init generates: choose ${SUPPORTED_ODOO_VERSIONS.join(", ")}`;
}

/** Why PostgreSQL `pg` does not fit Odoo `major` at `now`; undefined when it fits. */
function postgresProblem(pg: number, major: number, now: Date): string | undefined {
  const name = formatPgMajor(pg);
  const min = odooMinPg(major);
  if (min !== undefined && pg < min) return `PostgreSQL ${name} is below the minimum for Odoo ${major}.0 (${formatPgMajor(min)})`;
  if (isPgEndOfLife(pg, now)) {
    return `PostgreSQL ${name} reached its end of life on ${pgEndOfLife(pg) ?? "an earlier date"}: no more security fixes`;
  }
  const newest = odooNewestTestedPg(major);
  if (newest !== undefined && pgMajorDistance(newest, pg) > UNTESTED_MARGIN) {
    return `PostgreSQL ${name} is too new for Odoo ${major}.0 (use at most ${formatPgMajor(pgMajorAfter(newest, UNTESTED_MARGIN))})`;
  }
  const known = Math.max(...PG_END_OF_LIFE.keys());
  if (pg > known) return `PostgreSQL ${name} is newer than any release doodba-ops knows (${formatPgMajor(known)})`;
  return undefined;
}

/** Majors accepted for an Odoo version at `now`, oldest first (for hints and the wizard). */
export function postgresChoices(odooVersion: string, now: Date): string[] {
  const major = odooMajor(odooVersion);
  if (major === undefined) return [];
  return [...PG_END_OF_LIFE.keys()]
    .filter((pg) => postgresProblem(pg, major, now) === undefined)
    .sort((a, b) => a - b)
    .map(formatPgMajor);
}

export function checkPostgresVersion(pg: string, odooVersion: string, now: Date): string | undefined {
  const major = parsePgMajor(pg);
  if (major === undefined || formatPgMajor(major) !== pg) {
    return `"${pg}" is not a PostgreSQL major version: write the major only, e.g. "17"`;
  }
  const odoo = odooMajor(odooVersion);
  if (odoo === undefined) return undefined; // the Odoo version is reported on its own
  const problem = postgresProblem(major, odoo, now);
  if (!problem) return undefined;
  const choices = postgresChoices(odooVersion, now);
  return `${problem}; for Odoo ${odooVersion} choose ${choices.length > 0 ? choices.join(", ") : "a supported major"}`;
}

/** Reserved or local-only top-level domains: Let's Encrypt never issues for them. */
const NON_PUBLIC_TLDS = new Set(["localhost", "local", "test", "invalid", "example", "internal", "lan", "home", "arpa", "localdomain"]);

export function checkDomain(v: string): string | undefined {
  const bad = `"${v}" is not a valid host name`;
  if (v.length === 0 || v.length > 253) return bad;
  if (v.startsWith("*")) return `${bad}: wildcards are not supported, list each host name`;
  if (/[/:]/.test(v)) return `${bad}: write the host name only, without scheme, port or path (e.g. erp.example.com)`;
  const labels = v.split(".");
  if (labels.some((l) => !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l))) {
    return `${bad}: use lowercase letters, digits, dashes and dots (e.g. erp.example.com)`;
  }
  if (/^\d+$/.test(labels[labels.length - 1] ?? "")) return `${bad}: IP addresses cannot be routed by name; use a DNS name`;
  return undefined;
}

/** Whether Let's Encrypt can issue for the name (not under a reserved or local top-level domain, not a single label). */
export function isPublicDomain(v: string): boolean {
  const labels = v.split(".");
  return labels.length >= 2 && !NON_PUBLIC_TLDS.has(labels[labels.length - 1] ?? "");
}

export function normalizeDomain(v: string): string {
  return v.trim().toLowerCase().replace(/\.$/, "");
}

export function checkEmail(v: string): string | undefined {
  const m = /^([^\s@<>(),;:"]+)@([^\s@<>]+)$/.exec(v);
  if (!m || m[2] === undefined || checkDomain(m[2]) !== undefined || !m[2].includes(".")) {
    return `"${v}" is not a plausible e-mail address (e.g. ops@example.com)`;
  }
  return undefined;
}

/** An IPv4 or IPv6 address or CIDR; everyone (0.0.0.0/0, ::/0) is refused. */
export function checkCidr(v: string): string | undefined {
  const [ip, prefix, ...rest] = v.split("/");
  const bad = `"${v}" is not an IP address or CIDR (e.g. 203.0.113.0/24, 2001:db8::/32)`;
  if (ip === undefined || rest.length > 0) return bad;
  const max = isIPv4(ip) ? 32 : isIPv6(ip) ? 128 : 0;
  if (max === 0) return bad;
  if (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max)) return bad;
  if (prefix !== undefined && Number(prefix) === 0) {
    return `"${v}" allows every address: the database manager would be open to the internet; list your office or VPN ranges`;
  }
  return undefined;
}

export function checkUsers(n: number): string | undefined {
  return Number.isInteger(n) && n >= 1 && n <= 100_000 ? undefined : `Concurrent users must be a whole number >= 1 (got ${n})`;
}

export function checkCpus(n: number): string | undefined {
  return Number.isInteger(n) && n >= 1 && n <= 1024 ? undefined : `Host CPUs must be a whole number >= 1 (got ${n})`;
}

/** The host must run the sized stack: the bound is `sizeOdoo`'s, not a copy of it. */
export function checkHostSize(cpus: number, ramGiB: number, users: number): string | undefined {
  if (!Number.isFinite(ramGiB) || ramGiB <= 0) return `Host RAM must be a number of GiB > 0 (got ${ramGiB})`;
  if (checkCpus(cpus) || checkUsers(users)) return undefined; // reported on their own
  try {
    sizeOdoo({ cpus, ramBytes: ramGiB * GiB }, { users });
    return undefined;
  } catch (e) {
    if (e instanceof UserError) return `${e.message}${e.hint ? `. ${e.hint}` : ""}`;
    throw e;
  }
}

export function checkPort(n: number): string | undefined {
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? undefined : `A port is a whole number from 1 to 65535 (got ${n})`;
}

/** SMTP relay host: a DNS name or an IP address. */
export function checkSmtpHost(v: string): string | undefined {
  if (isIPv4(v) || isIPv6(v)) return undefined;
  return checkDomain(v) === undefined ? undefined : `"${v}" is not a valid SMTP host name`;
}

/** An absolute host path (certificates live outside the project, which is committed). */
export function checkHostPath(v: string): string | undefined {
  if (!v.startsWith("/")) return `"${v}" is not an absolute path: certificate and key live outside the project (e.g. /etc/ssl/private/erp.key)`;
  if (/[\s:]/.test(v) || v.includes("$")) return `"${v}": spaces, colons and $ are not supported in a path Compose mounts`;
  return undefined;
}

export function checkBackupDestination(v: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/.exec(v);
  if (!m || m[1] === undefined) {
    return `"${v}" is not a duplicity URL: write scheme://target, e.g. boto3+s3://bucket/prefix, sftp://user@host/path, file:///backups`;
  }
  const scheme = m[1];
  const rest = m[2] ?? "";
  if (!(BACKUP_SCHEMES as readonly string[]).includes(scheme)) {
    return `duplicity has no "${scheme}" backend: use one of ${BACKUP_SCHEMES.join(", ")}`;
  }
  if (scheme === "file") {
    return rest.startsWith("/") && rest.length > 1 ? undefined : `"${v}": a file URL needs an absolute path, e.g. file:///backups`;
  }
  if (rest === "" || rest.startsWith("/")) return `"${v}" names no bucket or host after ${scheme}://`;
  const authority = rest.split("/")[0] ?? "";
  if (/^[^@]*:[^@]*@/.test(authority)) {
    return `"${v}" contains a password: the answers file is committed; put credentials in .docker/backup.env instead`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Whole-answers validation

/** One thing wrong with the answers, located by its path in the answers file. */
export interface AnswerProblem {
  path: AnswerPath;
  message: string;
  hint?: string;
}

/**
 * Everything wrong with complete answers, in file order. `now` is today (PostgreSQL end of life).
 */
export function answerProblems(a: InitAnswers, now: Date): AnswerProblem[] {
  const out: AnswerProblem[] = [];
  const add = (path: AnswerPath, message: string | undefined, hint?: string): void => {
    if (message !== undefined) out.push({ path, message, ...(hint ? { hint } : {}) });
  };
  add(["project_name"], checkProjectName(a.projectName));
  add(["odoo_version"], checkOdooVersion(a.odooVersion));
  add(["postgres_version"], checkPostgresVersion(a.postgresVersion, a.odooVersion, now));
  if (!PROXY_KINDS.includes(a.proxy)) add(["proxy"], `Unknown proxy "${String(a.proxy)}": choose ${PROXY_KINDS.join(" or ")}`);

  const seenDomains = new Map<string, string>();
  const names = new Set<string>();
  // Production first: other environments' defaults (a test domain, the From address) follow from it.
  const prodFirst = [...a.envs.filter((e) => e.kind === "prod"), ...a.envs.filter((e) => e.kind !== "prod")];
  for (const e of prodFirst) {
    const at = (...p: AnswerPath): AnswerPath => ["environments", e.name, ...p];
    if (names.has(e.name)) add(at(), `Environment ${e.name} is listed twice`);
    names.add(e.name);
    add(at(), checkEnvName(e.name));
    if (!ENV_KINDS.includes(e.kind)) {
      add(at("kind"), `Unknown environment kind "${String(e.kind)}" for ${e.name}: choose ${ENV_KINDS.join(", ")}`);
      continue;
    }
    const byName = envKind(e.name);
    if (byName !== "other" ? byName !== e.kind : e.kind === "prod") {
      add(
        at("kind"),
        `Environment ${e.name} is of kind ${e.kind}, but doodba-ops check audits ${e.name}.yaml as ${byName === "other" ? "a non-production" : `a ${byName}`} environment (by its name)`,
        e.kind === "prod" ? `Give a production environment a name containing "prod" (e.g. prod-eu).` : `Use kind ${byName === "other" ? "test" : byName}, or another name.`,
      );
    }
    if (!TLS_MODES.includes(e.tls)) add(at("tls"), `Unknown TLS mode "${String(e.tls)}" for ${e.name}: choose ${TLS_MODES.join(", ")}`);
    else if (e.kind === "devel" && e.tls !== "none") {
      add(at("tls"), `Environment ${e.name} is for development: it is served on local ports without a proxy, so its TLS mode must be none`);
    } else if (e.kind !== "devel" && e.tls === "none") {
      add(at("tls"), `Environment ${e.name} (${e.kind}) needs TLS: passwords and session cookies would cross the network in clear`, "Use letsencrypt, files or (for test) self-signed.");
    } else if (e.kind === "prod" && e.tls === "self-signed") {
      add(at("tls"), `Production environment ${e.name} cannot use a self-signed certificate: browsers and mail links would warn every user`, "Use letsencrypt, or files with a certificate from your CA.");
    }
    if (e.kind === "devel" && e.domains.length > 0) {
      add(at("domains"), `Environment ${e.name} is for development and has no proxy: it takes no domains (it is served on localhost)`);
    }
    if (e.kind !== "devel" && e.domains.length === 0) {
      add(at("domains"), `Environment ${e.name} (${e.kind}) needs at least one domain: the proxy routes by host name`, `Add it: --domain ${e.name}=erp.example.com`);
    }
    e.domains.forEach((d, i) => {
      const bad = checkDomain(d);
      if (bad) return add(at("domains", i), bad);
      const other = seenDomains.get(d);
      if (other !== undefined) return add(at("domains", i), `Domain ${d} is used by ${other === e.name ? `${e.name} twice` : `both ${other} and ${e.name}`}: each environment needs its own host names`);
      seenDomains.set(d, e.name);
      if (e.tls === "letsencrypt" && !isPublicDomain(d)) {
        add(at("domains", i), `Let's Encrypt cannot issue a certificate for ${d}: it is not a public DNS name`, `Use tls: ${e.kind === "test" ? "self-signed" : "files"} for ${e.name}, or a public domain.`);
      }
    });
  }
  for (const n of REQUIRED_ENVS) {
    if (!names.has(n)) add(["environments"], `Environment ${n} is missing: devel, test and prod are always generated`);
  }

  const usesLe = a.envs.some((e) => e.tls === "letsencrypt");
  if (a.letsencryptEmail !== undefined) add(["letsencrypt_email"], checkEmail(a.letsencryptEmail));
  else if (usesLe) add(["letsencrypt_email"], "Let's Encrypt needs an account e-mail (expiry warnings go there)", "Give it: --letsencrypt-email ops@example.com");
  const usesFiles = a.envs.some((e) => e.tls === "files");
  for (const [key, value, label] of [
    ["tls_cert_file", a.tlsCertFile, "certificate"],
    ["tls_key_file", a.tlsKeyFile, "private key"],
  ] as const) {
    if (value !== undefined) add([key], checkHostPath(value));
    else if (usesFiles) add([key], `tls: files needs the ${label} file's path on the host`, `Give it: --${key.replace(/_/g, "-")} /etc/ssl/...`);
  }
  a.dbManagerAllow.forEach((c, i) => add(["db_manager_allow", i], checkCidr(c)));
  add(["host", "cpus"], checkCpus(a.host.cpus));
  add(["users"], checkUsers(a.users));
  add(["host", "ram_gib"], checkHostSize(a.host.cpus, a.host.ramGiB, a.users));
  if (a.smtp) {
    add(["smtp", "host"], a.smtp.host === "" ? "The SMTP relay has no host" : checkSmtpHost(a.smtp.host));
    add(["smtp", "port"], checkPort(a.smtp.port));
    if (!SMTP_SECURITY.includes(a.smtp.security)) add(["smtp", "security"], `Unknown SMTP security "${String(a.smtp.security)}": choose ${SMTP_SECURITY.join(", ")}`);
    if (a.smtp.user !== undefined && a.smtp.user.trim() === "") add(["smtp", "user"], "The SMTP user is empty: remove it or give the login");
  }
  add(["email_from"], a.emailFrom === "" ? "The From address of outgoing mail is empty" : checkEmail(a.emailFrom));
  if (a.backupDestination !== undefined) add(["backup_destination"], checkBackupDestination(a.backupDestination));
  return out;
}

/**
 * Validates complete answers, wherever they came from.
 * @throws UserError for the first problem (and says how many more there are).
 */
export function validateAnswers(a: InitAnswers, now: Date, locate?: (path: AnswerPath) => { pos?: SourcePos; origin?: string }): void {
  const problems = answerProblems(a, now);
  const first = problems[0];
  if (!first) return;
  const where = locate?.(first.path) ?? {};
  const more = problems.length > 1 ? `\n(${problems.length - 1} more problem${problems.length > 2 ? "s" : ""}: ${problems.slice(1, 4).map((p) => p.path.join(".")).join(", ")}${problems.length > 4 ? ", ..." : ""})` : "";
  throw new UserError(`${first.message}${where.origin ? ` (from ${where.origin})` : ""}`, {
    pos: where.pos,
    hint: `${first.hint ?? `Fix ${first.path.join(".")}.`}${more}`,
  });
}

/** Remarks that do not stop init (printed with the plan). */
export function answerWarnings(a: InitAnswers, now: Date): string[] {
  const out: string[] = [];
  const major = odooMajor(a.odooVersion);
  if (major !== undefined) {
    const s = odooSupport(major, now);
    if (!s.supported) {
      out.push(
        `Odoo ${a.odooVersion} is out of Odoo S.A. support${s.since ? ` since ${s.since}` : ""}: \`doodba-ops check\` will report it (odoo-version-end-of-life); prefer ${s.current.map((m) => `${m}.0`).join(", ")}.`,
      );
    }
  }
  if (a.smtp && a.smtp.security === "none" && a.smtp.user) {
    out.push(`SMTP to ${a.smtp.host} without TLS sends the password in clear: use security starttls or ssl if the relay offers it.`);
  }
  if (!a.envs.some((e) => e.tls === "files") && (a.tlsCertFile || a.tlsKeyFile)) {
    out.push("tls_cert_file/tls_key_file are set but no environment uses tls: files; they are ignored.");
  }
  if (!a.envs.some((e) => e.tls === "letsencrypt") && a.letsencryptEmail) {
    out.push("letsencrypt_email is set but no environment uses tls: letsencrypt; it is ignored.");
  }
  if (a.backupDestination?.startsWith("file://")) {
    out.push(`Backups to ${a.backupDestination} stay on this host: a lost disk takes them too. Copy them off the host, or use an S3/SFTP destination.`);
  }
  if (a.backupDestination === undefined) {
    out.push("No backup destination: nothing backs up the database and filestore; `doodba-ops check` will report it (no-backup).");
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The answers file: parse with positions

/** A parsed answers file: the partial answers and where each value was written. */
export interface ParsedAnswersFile {
  partial: PartialAnswers;
  file: string;
  /** pathKey(path) -> position of the value (or of the key, for a mapping). */
  positions: Map<string, SourcePos>;
}

type PosOf = (node: unknown) => SourcePos;

/**
 * Parses answers-file text into partial answers, checking each value's type and the key
 * names. Cross-field rules are {@link answerProblems}'s.
 * @throws UserError at file:line:col.
 */
export function parseAnswersFile(text: string, file: string): ParsedAnswersFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): SourcePos => {
    const p = lc.linePos(offset ?? 0);
    return { file, line: Math.max(1, p.line), col: Math.max(1, p.col) };
  };
  const posOf: PosOf = (node) => at((node as Node | null)?.range?.[0]);
  const positions = new Map<string, SourcePos>();
  const mark = (path: AnswerPath, node: unknown): void => {
    positions.set(pathKey(path), posOf(node));
  };
  positions.set(pathKey([]), { file, line: 1, col: 1 });

  const err = doc.errors[0];
  if (err) {
    throw new UserError(`${file} is not valid YAML: ${err.message.split("\n")[0] ?? ""}`, {
      pos: at(err.pos[0]),
      hint: "Fix the YAML syntax (indentation, a missing colon or quote).",
    });
  }
  const partial: PartialAnswers = {};
  const root = doc.contents;
  if (root === null || isNullNode(root)) return { partial, file, positions };
  const top = pairsOf(expectMap(root, "the answers file", posOf), ANSWER_KEYS, "the answers file", posOf);

  const str = (key: string, set: (v: string) => void, opts: { nullable?: (isNull: true) => void; normalize?: (v: string) => string } = {}): void => {
    const pair = top.get(key);
    if (!pair) return;
    mark([key], pair.value ?? pair.key);
    if (isNullNode(pair.value)) {
      if (opts.nullable) opts.nullable(true);
      else throw new UserError(`${key} has no value`, { pos: posOf(pair.key), hint: `Give ${key} a value, or remove the line to take the default.` });
      return;
    }
    const v = scalarText(pair.value, key, posOf);
    set(opts.normalize ? opts.normalize(v) : v);
  };

  str("project_name", (v) => (partial.projectName = v));
  str("odoo_version", (v) => (partial.odooVersion = v), { normalize: normalizeOdooVersion });
  str("postgres_version", (v) => (partial.postgresVersion = v));
  const proxy = top.get("proxy");
  if (proxy && !isNullNode(proxy.value)) {
    mark(["proxy"], proxy.value);
    partial.proxy = enumValue(proxy.value, "proxy", PROXY_KINDS, posOf);
  }
  const bundled = top.get("proxy_bundled");
  if (bundled && !isNullNode(bundled.value)) {
    mark(["proxy_bundled"], bundled.value);
    partial.proxyBundled = boolValue(bundled.value, "proxy_bundled", posOf);
  }

  const envsPair = top.get("environments");
  if (envsPair && !isNullNode(envsPair.value)) {
    mark(["environments"], envsPair.key);
    const m = expectMap(envsPair.value, "environments", posOf);
    partial.envs = [];
    for (const pair of m.items) {
      const name = keyString(pair, "environments", posOf);
      const where = `environments.${name}`;
      mark(["environments", name], pair.key);
      const bad = checkEnvName(name);
      if (bad) throw new UserError(bad, { pos: posOf(pair.key), hint: "Environment names become file names (<name>.yaml) and container names." });
      const env: PartialEnv = { name };
      if (!isNullNode(pair.value)) {
        const keys = pairsOf(expectMap(pair.value, where, posOf), ENV_KEYS, where, posOf);
        const kind = keys.get("kind");
        if (kind && !isNullNode(kind.value)) {
          mark(["environments", name, "kind"], kind.value);
          env.kind = enumValue(kind.value, `${where}.kind`, ENV_KINDS, posOf);
        }
        const tls = keys.get("tls");
        if (tls && !isNullNode(tls.value)) {
          mark(["environments", name, "tls"], tls.value);
          env.tls = enumValue(tls.value, `${where}.tls`, TLS_MODES, posOf);
        }
        const domains = keys.get("domains");
        if (domains) {
          mark(["environments", name, "domains"], domains.value ?? domains.key);
          env.domains = isNullNode(domains.value)
            ? []
            : stringList(domains.value, `${where}.domains`, posOf, "a host name such as erp.example.com", (i, node) => mark(["environments", name, "domains", i], node)).map(normalizeDomain);
        }
      }
      partial.envs.push(env);
    }
  }

  str("letsencrypt_email", (v) => (partial.letsencryptEmail = v), { nullable: () => (partial.letsencryptEmail = null) });
  str("tls_cert_file", (v) => (partial.tlsCertFile = v), { nullable: () => (partial.tlsCertFile = null) });
  str("tls_key_file", (v) => (partial.tlsKeyFile = v), { nullable: () => (partial.tlsKeyFile = null) });

  const allow = top.get("db_manager_allow");
  if (allow) {
    mark(["db_manager_allow"], allow.value ?? allow.key);
    partial.dbManagerAllow = isNullNode(allow.value)
      ? []
      : stringList(allow.value, "db_manager_allow", posOf, "a CIDR such as 203.0.113.0/24", (i, node) => mark(["db_manager_allow", i], node));
  }

  const host = top.get("host");
  if (host && !isNullNode(host.value)) {
    mark(["host"], host.key);
    const keys = pairsOf(expectMap(host.value, "host", posOf), HOST_KEYS, "host", posOf);
    partial.host = {};
    const cpus = keys.get("cpus");
    if (cpus && !isNullNode(cpus.value)) {
      mark(["host", "cpus"], cpus.value);
      partial.host.cpus = numberValue(cpus.value, "host.cpus", posOf);
    }
    const ram = keys.get("ram_gib");
    if (ram && !isNullNode(ram.value)) {
      mark(["host", "ram_gib"], ram.value);
      partial.host.ramGiB = numberValue(ram.value, "host.ram_gib", posOf);
    }
  }
  const users = top.get("users");
  if (users && !isNullNode(users.value)) {
    mark(["users"], users.value);
    partial.users = numberValue(users.value, "users", posOf);
  }

  const smtp = top.get("smtp");
  if (smtp) {
    mark(["smtp"], smtp.value ?? smtp.key);
    if (isNullNode(smtp.value) || (isScalar(smtp.value) && smtp.value.value === false)) partial.smtp = null;
    else {
      const keys = pairsOf(expectMap(smtp.value, "smtp", posOf), SMTP_KEYS, "smtp", posOf);
      const s: NonNullable<PartialAnswers["smtp"]> = {};
      const h = keys.get("host");
      if (h && !isNullNode(h.value)) {
        mark(["smtp", "host"], h.value);
        s.host = scalarText(h.value, "smtp.host", posOf);
      }
      const p = keys.get("port");
      if (p && !isNullNode(p.value)) {
        mark(["smtp", "port"], p.value);
        s.port = numberValue(p.value, "smtp.port", posOf);
      }
      const u = keys.get("user");
      if (u) {
        mark(["smtp", "user"], u.value ?? u.key);
        s.user = isNullNode(u.value) ? null : scalarText(u.value, "smtp.user", posOf);
      }
      const sec = keys.get("security");
      if (sec && !isNullNode(sec.value)) {
        mark(["smtp", "security"], sec.value);
        s.security = enumValue(sec.value, "smtp.security", SMTP_SECURITY, posOf);
      }
      partial.smtp = s;
    }
  }
  str("email_from", (v) => (partial.emailFrom = v));
  str("backup_destination", (v) => (partial.backupDestination = v === "none" ? null : v), { nullable: () => (partial.backupDestination = null) });
  return { partial, file, positions };
}

/**
 * Where a problem is in the file: the value at `path`, else its nearest written ancestor.
 * Paths set by flags (`flagPaths`: path key -> flag) are not in the file: the flag is named.
 */
export function locator(parsed: ParsedAnswersFile | undefined, flagPaths: Map<string, string> = new Map()): (path: AnswerPath) => { pos?: SourcePos; origin?: string } {
  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const flag = flagPaths.get(pathKey(path.slice(0, n)));
      if (flag) return { origin: flag };
    }
    if (!parsed) return {};
    for (let n = path.length; n >= 0; n--) {
      const pos = parsed.positions.get(pathKey(path.slice(0, n)));
      if (pos) return { pos };
    }
    return {};
  };
}

/**
 * Parses and validates a complete answers file (defaults fill the keys it leaves out).
 * @throws UserError at file:line:col for the first invalid value, or naming what is missing.
 */
export function parseAnswers(text: string, file: string, opts: DefaultOptions): InitAnswers {
  const parsed = parseAnswersFile(text, file);
  const { answers, missing } = completeAnswers(parsed.partial, opts);
  if (missing.length > 0) throw missingError(missing, file);
  validateAnswers(answers, opts.now, locator(parsed));
  return answers;
}

/** The error of a non-interactive run that lacks answers without a default. */
export function missingError(missing: MissingAnswer[], file?: string): UserError {
  return new UserError(`Answers incomplete: missing ${missing.map((m) => m.what).join("; ")}`, {
    hint:
      `Give them as flags (${missing.map((m) => m.flag).join(", ")})` +
      `${file ? `, or as ${missing.map((m) => m.key).join(", ")} in ${file}` : ", or in an answers file (--answers)"}` +
      ", or run init on a terminal to be asked.",
  });
}

// ---------------------------------------------------------------------------------------------
// The answers file: render (stable, commented, round-trips through parseAnswers)

/** A YAML scalar: plain when that reads back as the same string, else double-quoted. */
function q(v: string): string {
  return /^[a-z0-9][a-z0-9@._/+-]*$/i.test(v) && !/^(true|false|yes|no|on|off|null|y|n|~|[-+]?[\d._]+(e[-+]?\d+)?)$/i.test(v) && !v.includes(": ")
    ? v
    : JSON.stringify(v);
}

function list(items: string[]): string {
  return `[${items.map(q).join(", ")}]`;
}

/** Renders answers as the commented YAML file `.doodba-ops/answers.yaml`. Deterministic. */
export function renderAnswers(a: InitAnswers): string {
  const L: string[] = [
    "# doodba-ops init answers: what this project was generated from. No secrets here: they are",
    "# in the git-ignored .docker/*.env files, which init never rewrites.",
    "# Change an answer with a flag (`doodba-ops init . --users 60`): files you did not edit follow.",
    "# After editing this file, review with `doodba-ops init . --dry-run`, apply with --force.",
    "# Add an environment: `doodba-ops init . --add-env staging --domain staging=<host>`.",
    "",
    "# Slug used for container, router and volume names.",
    `project_name: ${q(a.projectName)}`,
    `# Odoo series: ${SUPPORTED_ODOO_VERSIONS.join(", ")}.`,
    `odoo_version: ${JSON.stringify(a.odooVersion)}`,
    "# PostgreSQL major, checked against the Odoo series and end-of-life dates.",
    `postgres_version: ${JSON.stringify(a.postgresVersion)}`,
    "# traefik | nginx",
    `proxy: ${a.proxy}`,
    "# true: the proxy runs in this project's stacks; false: an existing shared proxy serves them.",
    `proxy_bundled: ${a.proxyBundled}`,
    "# <name>.yaml per environment. kind: devel | test | prod; tls: letsencrypt | files | self-signed | none.",
    "environments:",
  ];
  for (const e of a.envs) {
    L.push(`  ${e.name}:`, `    kind: ${e.kind}`, `    domains: ${list(e.domains)}`, `    tls: ${e.tls}`);
  }
  const opt = (v: string | undefined): string => (v === undefined ? "null" : q(v));
  L.push(
    "# Account e-mail for Let's Encrypt (expiry warnings).",
    `letsencrypt_email: ${opt(a.letsencryptEmail)}`,
    "# Host paths of the certificate and key, for tls: files.",
    `tls_cert_file: ${opt(a.tlsCertFile)}`,
    `tls_key_file: ${opt(a.tlsKeyFile)}`,
    "# CIDRs allowed to reach /web/database/* in prod; [] = blocked for everyone.",
    `db_manager_allow: ${list(a.dbManagerAllow)}`,
    "# The host the stack runs on, and the concurrent users at peak: they size workers and limits.",
    "host:",
    `  cpus: ${a.host.cpus}`,
    `  ram_gib: ${a.host.ramGiB}`,
    `users: ${a.users}`,
    "# SMTP relay for outgoing mail (password in .docker/smtp.env); null = none.",
  );
  if (a.smtp) {
    L.push("smtp:", `  host: ${q(a.smtp.host)}`, `  port: ${a.smtp.port}`);
    if (a.smtp.user !== undefined) L.push(`  user: ${q(a.smtp.user)}`);
    L.push(`  security: ${a.smtp.security}`);
  } else L.push("smtp: null");
  L.push(
    `email_from: ${q(a.emailFrom)}`,
    "# Duplicity URL of the backups (boto3+s3://bucket/prefix, sftp://user@host/path, file:///backups); null = no backup.",
    `backup_destination: ${opt(a.backupDestination)}`,
  );
  return `${L.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------
// YAML helpers

function isNullNode(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && (node.value === null || node.value === undefined));
}

function describe(node: unknown): string {
  if (isScalar(node)) return JSON.stringify(node.value);
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  return "nothing";
}

function expectMap(node: unknown, where: string, posOf: PosOf): YAMLMap {
  if (!isMap(node)) throw new UserError(`${where} must be a mapping (key: value lines), not ${describe(node)}`, { pos: posOf(node) });
  return node;
}

function keyString(pair: Pair, where: string, posOf: PosOf): string {
  if (!isScalar(pair.key) || pair.key.value === null || typeof pair.key.value === "object") {
    throw new UserError(`${where} has a key that is not a plain name`, { pos: posOf(pair.key) });
  }
  return String(pair.key.value);
}

function pairsOf(map: YAMLMap, allowed: readonly string[], where: string, posOf: PosOf): Map<string, Pair> {
  const out = new Map<string, Pair>();
  for (const pair of map.items) {
    const key = keyString(pair, where, posOf);
    if (!allowed.includes(key)) {
      const near = closestIds(key, allowed, 1)[0];
      throw new UserError(`Unknown key "${key}" in ${where}`, {
        pos: posOf(pair.key),
        hint: `${near ? `Did you mean "${near}"? ` : ""}Valid keys: ${allowed.join(", ")}.`,
      });
    }
    out.set(key, pair);
  }
  return out;
}

/** A string, or a number written without quotes (odoo_version: 17.0, postgres_version: 16). */
function scalarText(node: unknown, where: string, posOf: PosOf): string {
  if (isScalar(node) && typeof node.value === "string") return node.value.trim();
  if (isScalar(node) && typeof node.value === "number") {
    const src = (node as { source?: unknown }).source;
    return typeof src === "string" && src !== "" ? src : String(node.value);
  }
  throw new UserError(`${where} must be a string, not ${describe(node)}`, { pos: posOf(node) });
}

function stringList(node: unknown, where: string, posOf: PosOf, example: string, each: (i: number, node: unknown) => void): string[] {
  if (isScalar(node) && typeof node.value === "string") {
    each(0, node);
    return [node.value.trim()];
  }
  if (!isSeq(node)) throw new UserError(`${where} must be a list, not ${describe(node)}`, { pos: posOf(node), hint: `Each item is ${example}.` });
  return node.items.map((item, i) => {
    if (!isScalar(item) || typeof item.value !== "string") {
      throw new UserError(`${where}[${i}] must be a string, not ${describe(item)}`, { pos: posOf(item), hint: `Each item is ${example}.` });
    }
    each(i, item);
    return item.value.trim();
  });
}

function enumValue<T extends string>(node: unknown, where: string, valid: readonly T[], posOf: PosOf): T {
  const v = isScalar(node) ? node.value : undefined;
  if (typeof v === "string" && (valid as readonly string[]).includes(v)) return v as T;
  const near = typeof v === "string" ? closestIds(v, valid, 1)[0] : undefined;
  throw new UserError(`Invalid value ${describe(node)} for ${where}`, {
    pos: posOf(node),
    hint: `${near ? `Did you mean ${near}? ` : ""}Valid values: ${valid.join(" | ")}.`,
  });
}

function boolValue(node: unknown, where: string, posOf: PosOf): boolean {
  if (isScalar(node) && typeof node.value === "boolean") return node.value;
  throw new UserError(`${where} must be true or false, not ${describe(node)}`, { pos: posOf(node) });
}

function numberValue(node: unknown, where: string, posOf: PosOf): number {
  if (isScalar(node) && typeof node.value === "number" && Number.isFinite(node.value)) return node.value;
  throw new UserError(`${where} must be a number, not ${describe(node)}`, { pos: posOf(node) });
}
