/**
 * Types of `doodba-ops init`: the answers (what the user wants), the file plan (what will be
 * written) and the proxy renderers' contract. Renderers are pure: answers in, FilePlan out.
 */
import type { OdooSizing } from "../tune/odoo.js";

export type ProxyKind = "traefik" | "nginx";
export type TlsMode = "letsencrypt" | "files" | "self-signed" | "none";
export type EnvKindAnswer = "prod" | "test" | "devel";

/** One environment to generate (`<name>.yaml`). */
export interface EnvAnswers {
  /** File name without .yaml: devel, test, prod, staging, ... */
  name: string;
  /** What the environment is for; decides its shape (devel: local ports, no proxy). */
  kind: EnvKindAnswer;
  /** Public host names (first is the main one). Empty for devel. */
  domains: string[];
  /** @default prod: letsencrypt, test: self-signed, devel: none */
  tls: TlsMode;
}

export interface SmtpAnswers {
  host: string;
  /** @default 587 */
  port: number;
  user?: string;
  /** @default "starttls" */
  security: "starttls" | "ssl" | "none";
}

export interface InitAnswers {
  /** Slug: lowercase letters, digits, dashes. Used for container/router names. */
  projectName: string;
  /** "16.0" | "17.0" | "18.0" (and other supported series). */
  odooVersion: string;
  /** PostgreSQL major, e.g. "16"; validated against the Odoo version. */
  postgresVersion: string;
  proxy: ProxyKind;
  /** true: the proxy runs in this project's prod/test stacks; false: an existing shared proxy is used. */
  proxyBundled: boolean;
  /** devel, test and prod always; more (staging...) with `init --add-env`. */
  envs: EnvAnswers[];
  /** Required when an environment uses letsencrypt. */
  letsencryptEmail?: string;
  /** Host paths of the certificate and key, for tls: files. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** CIDRs allowed to reach /web/database/* in prod; empty = blocked for everyone. @default [] */
  dbManagerAllow: string[];
  /** Host the stack runs on. */
  host: { cpus: number; ramGiB: number };
  /** Expected concurrent users at peak. */
  users: number;
  /** SMTP relay; undefined = no outgoing mail server configured. */
  smtp?: SmtpAnswers;
  /** Default From address of outgoing mail. */
  emailFrom: string;
  /** Backup destination (duplicity URL: s3://..., boto3+s3://..., file:///...); undefined = no backup service. */
  backupDestination?: string;
}

export interface PlannedFile {
  /** Project-relative path, forward slashes. */
  path: string;
  content: string;
  /** File mode. @default 0o644 */
  mode?: number;
  /**
   * Secrets: when the file already exists it is kept as it is (never regenerated, never shown in
   * a diff), so a re-run does not rotate passwords and stays idempotent.
   */
  keepExisting?: boolean;
}

export interface FilePlan {
  files: PlannedFile[];
  /** Folders to create even when empty (e.g. odoo/custom/src/private). */
  dirs?: string[];
  /** Things the user must do by hand (DNS, firewall), printed after writing. */
  notes: string[];
}

/** Secrets generated once per project (crypto.randomBytes through the platform). */
export interface Secrets {
  adminPassword: string;
  dbPassword: string;
  /** Encryption passphrase of the backups. */
  backupPassphrase: string;
}

/** What a proxy renderer gets for one environment. */
export interface ProxyContext {
  answers: InitAnswers;
  env: EnvAnswers;
  sizing: OdooSizing;
  /** Compose service name of Odoo. */
  odooService: string;
  httpPort: number;
  geventPort: number;
  /** "/websocket" (16+) or "/longpolling" (< 16). */
  busPath: string;
  /** Name of the network the proxy and Odoo share. */
  frontendNetwork: string;
}

/** What a proxy renderer returns for one environment; the scaffold merges it into `<env>.yaml`. */
export interface ProxyRender {
  /** Labels for the Odoo service (Traefik). */
  odooLabels: Record<string, string>;
  /** Extra services for the environment's compose file (bundled proxy, socket proxy, certbot). */
  services: Record<string, Record<string, unknown>>;
  /** Networks to declare (besides the scaffold's own). */
  networks: Record<string, Record<string, unknown> | null>;
  /** Named volumes to declare. */
  volumes: Record<string, Record<string, unknown> | null>;
  /** Ports the Odoo service must publish (a shared host proxy reaches Odoo on 127.0.0.1). */
  odooPorts: string[];
  /** Files besides the compose file (nginx/*.conf, entrypoint scripts). */
  files: PlannedFile[];
  notes: string[];
}
