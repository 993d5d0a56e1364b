/**
 * `doodba-ops init`: the project layout, rendered to a {@link FilePlan}. Pure: answers and
 * secrets in, files out. The layout follows doodba-copier-template's conventions (common.yaml
 * with the shared service bodies, one compose file per environment, .docker/*.env secrets,
 * odoo/custom/...) and is production-ready by construction: every property `doodba-ops check`
 * audits holds for the generated prod and test environments.
 */
import { stringify } from "yaml";
import { MiB } from "../check/lib/sizing.js";
import { sizeOdoo, GiB, type OdooSizing } from "../tune/odoo.js";
import { renderPgConf, tunePostgres } from "../tune/postgres.js";
import { parseDotEnv } from "../project/dotenv.js";
import { renderNginx } from "./proxy/nginx.js";
import { renderTraefik } from "./proxy/traefik.js";
import type { EnvAnswers, FilePlan, InitAnswers, PlannedFile, ProxyContext, ProxyRender, Secrets } from "./types.js";

export const ODOO_HTTP_PORT = 8069;
export const ODOO_GEVENT_PORT = 8072;
/** Network shared with doodba-copier-template's global Traefik ("inverseproxy"). */
export const SHARED_TRAEFIK_NETWORK = "inverseproxy_shared";
const SECRET_MODE = 0o600;

/** Images the scaffold pins (the proxy renderers pin their own). */
export const IMAGES = {
  postgres: (v: string) => `ghcr.io/tecnativa/postgres-autoconf:${v}-alpine`,
  /** Duplicity with PostgreSQL dumps; the -s3 flavour adds S3 lifecycle-friendly defaults. */
  backup: (s3: boolean) => `ghcr.io/tecnativa/docker-duplicity-postgres${s3 ? "-s3" : ""}:v3.3.2`,
  mailhog: "docker.io/mailhog/mailhog:v1.0.1",
};

/** URL-safe random secret with `bytes` bytes of entropy. */
export function generateSecrets(randomBytes: (n: number) => Buffer): Secrets {
  const s = (): string => randomBytes(32).toString("base64url");
  return { adminPassword: s(), dbPassword: s(), backupPassphrase: s() };
}

/**
 * Secrets already on disk (a re-run, or a file deleted by hand): reused so that, for example,
 * db-access.env and db-creation.env never end up with two different database passwords.
 */
export function existingSecrets(read: (relPath: string) => string | undefined): Partial<Secrets> {
  const value = (file: string, key: string): string | undefined => {
    const text = read(file);
    if (text === undefined) return undefined;
    try {
      const v = parseDotEnv(text, file).find((e) => e.key === key)?.value;
      return v ? v : undefined;
    } catch {
      return undefined;
    }
  };
  const out: Partial<Secrets> = {};
  const admin = value(".docker/odoo.env", "ADMIN_PASSWORD");
  const db = value(".docker/db-access.env", "PGPASSWORD") ?? value(".docker/db-creation.env", "POSTGRES_PASSWORD");
  const backup = value(".docker/backup.env", "PASSPHRASE");
  if (admin) out.adminPassword = admin;
  if (db) out.dbPassword = db;
  if (backup) out.backupPassphrase = backup;
  return out;
}

export interface PlanOptions {
  /** Proxy renderer override (tests). @default by answers.proxy */
  renderProxy?: (ctx: ProxyContext) => ProxyRender;
}

function busPath(odooVersion: string): string {
  return Number.parseFloat(odooVersion) >= 16 ? "/websocket" : "/longpolling";
}

function megabytes(bytes: number): string {
  return bytes % GiB === 0 ? `${bytes / GiB}g` : `${Math.floor(bytes / MiB)}m`;
}

/** Port offsets for devel so several projects/envs do not collide: 17069, 17072, 17432. */
const DEVEL_PORTS = { http: 17069, gevent: 17072, postgres: 17432, mail: 17025 };

function header(lines: string[]): string {
  return lines.map((l) => `# ${l}`.trimEnd()).join("\n") + "\n";
}

function yamlFile(path: string, comment: string[], data: unknown, mode?: number): PlannedFile {
  return { path, content: header(comment) + stringify(data, { lineWidth: 0, indent: 2 }), ...(mode ? { mode } : {}) };
}

function pgDataDir(pgMajor: number): string {
  // PostgreSQL 18 images keep PGDATA under /var/lib/postgresql/<major>/docker and declare
  // /var/lib/postgresql as the volume; older ones use /var/lib/postgresql/data.
  return pgMajor >= 18 ? "/var/lib/postgresql" : "/var/lib/postgresql/data";
}

function healthOdoo(odooMajor: number): Record<string, unknown> {
  // /web/health exists from 15; it answers 200 even with the database down, so 17+ asks it to
  // check the database too (db_server_status). Measured on a real Odoo 17 server.
  const url = odooMajor >= 17 ? "http://localhost:8069/web/health?db_server_status=1" : "http://localhost:8069/web/health";
  return {
    test: ["CMD", "curl", "--fail", "--silent", "--show-error", "--max-time", "5", "--output", "/dev/null", url],
    interval: "30s",
    timeout: "10s",
    retries: 3,
    start_period: "2m",
  };
}

const HEALTH_PG = {
  test: ["CMD-SHELL", "pg_isready --username=$$POSTGRES_USER --dbname=$$POSTGRES_DB"],
  interval: "10s",
  timeout: "5s",
  retries: 5,
  start_period: "30s",
};

/** The database of an environment: devel, test, prod, staging... */
function dbName(env: EnvAnswers): string {
  return env.name.replace(/[^a-z0-9_]/g, "_");
}

function smtpEnvironment(a: InitAnswers): Record<string, string> {
  if (!a.smtp) return {};
  const out: Record<string, string> = { SMTP_SERVER: a.smtp.host, SMTP_PORT: String(a.smtp.port) };
  if (a.smtp.user) out.SMTP_USER = a.smtp.user;
  out.SMTP_SSL = a.smtp.security === "ssl" ? "true" : "false";
  return out;
}

function commonYaml(a: InitAnswers, sizing: OdooSizing): PlannedFile {
  const pgMajor = Number.parseInt(a.postgresVersion, 10);
  const pg = tunePostgres({ memoryBytes: sizing.postgresMemory, cpus: sizing.postgresCpus, maxConnections: sizing.postgresMaxConnections, version: pgMajor });
  return yamlFile(
    "common.yaml",
    [
      `Generated by doodba-ops init for ${a.projectName}: service bodies shared by devel.yaml, test.yaml and prod.yaml.`,
      "Re-run `doodba-ops init` after editing .doodba-ops/answers.yaml; `doodba-ops check` audits the result.",
    ],
    {
      services: {
        odoo: {
          build: {
            context: "./odoo",
            args: { ODOO_VERSION: a.odooVersion, DB_VERSION: a.postgresVersion, UID: "${UID:-1000}", GID: "${GID:-1000}" },
          },
          environment: {
            EMAIL_FROM: a.emailFrom,
            PGUSER: "odoo",
            PROXY_MODE: "true",
            LIST_DB: "false",
            WITHOUT_DEMO: "all",
            ...smtpEnvironment(a),
          },
          tty: true,
          volumes: ["filestore:/var/lib/odoo:z"],
        },
        db: {
          image: IMAGES.postgres(a.postgresVersion),
          // Parallel queries and large sorts use /dev/shm; Docker's default 64 MiB is too small.
          shm_size: megabytes(Math.max(256 * MiB, Math.min(GiB, Math.floor(sizing.postgresMemory / 4 / MiB) * MiB))),
          environment: { POSTGRES_USER: "odoo", CONF_EXTRA: renderPgConf(pg) + "\n" },
          volumes: [`db:${pgDataDir(pgMajor)}:z`],
        },
      },
    },
  );
}

function develYaml(a: InitAnswers, env: EnvAnswers): PlannedFile {
  const db = dbName(env);
  return yamlFile(
    `${env.name}.yaml`,
    ["Development: code mounted from ./odoo/custom, developer mode, mail caught by MailHog on http://127.0.0.1:17025.", "Ports listen on 127.0.0.1 only."],
    {
      services: {
        odoo: {
          extends: { file: "common.yaml", service: "odoo" },
          environment: {
            DOODBA_ENVIRONMENT: env.name,
            PGDATABASE: db,
            DB_FILTER: ".*",
            LIST_DB: "true",
            PROXY_MODE: "false",
            SMTP_SERVER: "smtp",
            SMTP_PORT: "1025",
            SMTP_SSL: "false",
            WITHOUT_DEMO: "false",
          },
          ports: [`127.0.0.1:${DEVEL_PORTS.http}:8069`, `127.0.0.1:${DEVEL_PORTS.gevent}:8072`],
          volumes: ["./odoo/custom:/opt/odoo/custom:ro,z"],
          depends_on: ["db", "smtp"],
          command: ["odoo", "--workers=0", "--dev=reload,qweb,werkzeug,xml"],
        },
        db: {
          extends: { file: "common.yaml", service: "db" },
          // throwaway local password: devel never holds real data
          environment: { POSTGRES_DB: db, POSTGRES_PASSWORD: "odoopassword" },
          ports: [`127.0.0.1:${DEVEL_PORTS.postgres}:5432`],
        },
        smtp: {
          image: IMAGES.mailhog,
          ports: [`127.0.0.1:${DEVEL_PORTS.mail}:8025`],
        },
      },
      volumes: { filestore: {}, db: {} },
    },
  );
}

function serverYaml(a: InitAnswers, env: EnvAnswers, sizing: OdooSizing, proxy: ProxyRender, frontend: string): PlannedFile {
  const db = dbName(env);
  const odooMajor = Number.parseFloat(a.odooVersion);
  const odoo: Record<string, unknown> = {
    extends: { file: "common.yaml", service: "odoo" },
    restart: "unless-stopped",
    env_file: [".docker/odoo.env", ".docker/db-access.env"],
    environment: { DOODBA_ENVIRONMENT: env.name, PGDATABASE: db, DB_FILTER: `^${db}$$` },
    mem_limit: megabytes(sizing.containerMemory),
    cpus: sizing.containerCpus,
    healthcheck: healthOdoo(odooMajor),
    depends_on: { db: { condition: "service_healthy" } },
    networks: ["backend", frontend],
  };
  if (proxy.odooPorts.length > 0) odoo.ports = proxy.odooPorts;
  if (Object.keys(proxy.odooLabels).length > 0) odoo.labels = proxy.odooLabels;
  const services: Record<string, unknown> = {
    odoo,
    db: {
      extends: { file: "common.yaml", service: "db" },
      restart: "unless-stopped",
      env_file: [".docker/db-creation.env"],
      environment: { POSTGRES_DB: db },
      mem_limit: megabytes(sizing.postgresMemory),
      cpus: sizing.postgresCpus,
      healthcheck: HEALTH_PG,
      networks: ["backend"],
    },
  };
  const networks: Record<string, unknown> = {
    // internal: PostgreSQL and the backups are unreachable from outside and cannot reach out
    backend: { internal: true },
  };
  networks[frontend] = frontend === SHARED_TRAEFIK_NETWORK ? { external: true } : { name: frontend };
  const volumes: Record<string, unknown> = { filestore: {}, db: {} };
  if (env.kind === "prod" && a.backupDestination) {
    const s3 = /^(boto3\+)?s3:/.test(a.backupDestination);
    services.backup = {
      image: IMAGES.backup(s3),
      // duplicity refuses to back up when the host name changes between runs
      hostname: `backup-${a.projectName}-${env.name}`,
      init: true,
      restart: "unless-stopped",
      env_file: [".docker/backup.env", ".docker/db-access.env"],
      environment: {
        DB_VERSION: a.postgresVersion,
        DBS_TO_INCLUDE: `^${db}$$`,
        DST: a.backupDestination,
        PGDATABASE: db,
        PGHOST: "db",
        PGUSER: "odoo",
        TZ: "UTC",
      },
      mem_limit: "512m",
      volumes: ["backup_cache:/root:z", "filestore:/mnt/backup/src/odoo:ro,z"],
      depends_on: { db: { condition: "service_healthy" } },
      networks: ["backend", "egress"],
    };
    networks.egress = {};
    volumes.backup_cache = {};
  }
  for (const [k, v] of Object.entries(proxy.services)) services[k] = v;
  for (const [k, v] of Object.entries(proxy.networks)) if (!(k in networks)) networks[k] = v ?? {};
  for (const [k, v] of Object.entries(proxy.volumes)) if (!(k in volumes)) volumes[k] = v ?? {};
  const hosts = env.domains.join(", ");
  return yamlFile(
    `${env.name}.yaml`,
    [
      `${env.kind === "prod" ? "Production" : "Test"} (${hosts}): ${sizing.workers} workers + ${sizing.maxCronThreads} cron, ${a.proxy}${a.proxyBundled ? " bundled" : " (shared)"}, TLS ${env.tls}.`,
      `Run: docker compose -p ${a.projectName}-${env.name} -f ${env.name}.yaml up -d`,
    ],
    { services, networks, volumes },
  );
}

function confd(a: InitAnswers, sizing: OdooSizing): PlannedFile {
  const lines = [
    "; Generated by doodba-ops init from the host size and the expected users.",
    ...sizing.reasoning.map((r) => `; ${r}`),
    "[options]",
    `workers = ${sizing.workers}`,
    `max_cron_threads = ${sizing.maxCronThreads}`,
    `limit_memory_soft = ${sizing.limitMemorySoft}`,
    `limit_memory_hard = ${sizing.limitMemoryHard}`,
    `limit_time_cpu = ${sizing.limitTimeCpu}`,
    `limit_time_real = ${sizing.limitTimeReal}`,
    `limit_time_real_cron = ${sizing.limitTimeRealCron}`,
    `limit_request = ${sizing.limitRequest}`,
    `db_maxconn = ${sizing.dbMaxconn}`,
    ...(sizing.dbMaxconnGevent !== undefined ? [`db_maxconn_gevent = ${sizing.dbMaxconnGevent}`] : []),
  ];
  return { path: "odoo/custom/conf.d/20-performance.conf", content: lines.join("\n") + "\n" };
}

function secretFiles(a: InitAnswers, s: Secrets): PlannedFile[] {
  const secret = (path: string, lines: string[]): PlannedFile => ({ path, content: lines.join("\n") + "\n", mode: SECRET_MODE, keepExisting: true });
  const files = [
    secret(".docker/odoo.env", ["# Odoo master password (database manager). Generated by doodba-ops init; keep it out of git.", `ADMIN_PASSWORD=${s.adminPassword}`, ...(a.smtp?.user ? ["# Password of the SMTP relay user", "SMTP_PASSWORD="] : [])]),
    secret(".docker/db-access.env", ["# How Odoo (and the backup job) log into PostgreSQL: same value as POSTGRES_PASSWORD in db-creation.env", `PGPASSWORD=${s.dbPassword}`]),
    secret(".docker/db-creation.env", ["# Password of the odoo role, read only when the database volume is created", `POSTGRES_PASSWORD=${s.dbPassword}`]),
  ];
  if (a.backupDestination) {
    const lines = ["# Encryption passphrase of the backups: store a copy outside this server, without it backups cannot be restored", `PASSPHRASE=${s.backupPassphrase}`];
    if (/^(boto3\+)?s3:/.test(a.backupDestination)) lines.push("# Credentials of the S3 bucket", "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=");
    files.push(secret(".docker/backup.env", lines));
  }
  return files;
}

function staticFiles(a: InitAnswers): PlannedFile[] {
  return [
    {
      path: ".gitignore",
      content: [
        "# Secrets: generated by doodba-ops init, never committed",
        "/.docker/",
        "# Built and cloned code",
        "/odoo/auto",
        "/odoo/custom/src/*/",
        "!/odoo/custom/src/private/",
        "# Local overrides",
        "/docker-compose.yml",
        "/docker-compose.override.yml",
        "**.py[co]",
        "**.egg-info",
        "**.orig",
        "**.~",
        "/.venv",
        "",
      ].join("\n"),
    },
    {
      path: ".env",
      content: [
        "# Project-wide variables for docker compose interpolation. Secrets go to .docker/*.env.",
        "# Owner of the files Odoo writes in bind mounts (devel): your user's uid and gid.",
        "UID=1000",
        "GID=1000",
        "",
      ].join("\n"),
    },
    {
      path: "odoo/Dockerfile",
      content: `ARG ODOO_VERSION=${a.odooVersion}\nFROM ghcr.io/tecnativa/doodba:\${ODOO_VERSION}-onbuild\n`,
    },
    {
      path: "odoo/custom/src/addons.yaml",
      content: [
        "# Addons to enable, per repository folder (doodba addons.yaml). Examples:",
        "# web:",
        "#   - web_responsive",
        "# server-tools:",
        "#   - base_technical_user",
        "# Addons in private/ and Odoo's own addons are always available.",
        "",
      ].join("\n"),
    },
    {
      path: "odoo/custom/src/repos.yaml",
      content: [
        "# Git repositories to aggregate (git-aggregator format). Pin merges to commits once tested.",
        "./odoo:",
        "  defaults:",
        "    depth: $DEPTH_DEFAULT",
        "  remotes:",
        "    ocb: https://github.com/OCA/OCB.git",
        "  target: ocb $ODOO_VERSION",
        "  merges:",
        "    # doodba-ops: ignore[repo-merges-unpinned] -- follow the branch until the first tested build, then pin a commit",
        "    - ocb $ODOO_VERSION",
        "",
      ].join("\n"),
    },
    { path: "odoo/custom/src/private/.gitkeep", content: "" },
    { path: "odoo/custom/dependencies/apt.txt", content: "" },
    { path: "odoo/custom/dependencies/pip.txt", content: "" },
    { path: "odoo/custom/dependencies/npm.txt", content: "" },
    { path: "odoo/custom/dependencies/gem.txt", content: "" },
  ];
}

/** The whole project for these answers. */
export function planInit(answers: InitAnswers, secrets: Secrets, opts: PlanOptions = {}): FilePlan {
  const sizing = sizeOdoo({ cpus: answers.host.cpus, ramBytes: answers.host.ramGiB * GiB }, { users: answers.users }, { odooMajor: Math.floor(Number.parseFloat(answers.odooVersion)) });
  const render = opts.renderProxy ?? (answers.proxy === "nginx" ? renderNginx : renderTraefik);
  // Traefik matches `traefik.docker.network` against Docker's network names, which Compose
  // prefixes with the project name unless the network has an explicit `name:`. So the bundled
  // frontend network gets an explicit, per project and environment, name that is also its key.
  const frontendOf = (env: EnvAnswers): string =>
    answers.proxy === "traefik" && !answers.proxyBundled ? SHARED_TRAEFIK_NETWORK : `${answers.projectName}-${env.name}-frontend`;
  const files: PlannedFile[] = [commonYaml(answers, sizing), confd(answers, sizing), ...staticFiles(answers), ...secretFiles(answers, secrets)];
  const notes: string[] = [];
  for (const env of answers.envs) {
    if (env.kind === "devel") {
      files.push(develYaml(answers, env));
      continue;
    }
    const ctx: ProxyContext = {
      answers,
      env,
      sizing,
      odooService: "odoo",
      httpPort: ODOO_HTTP_PORT,
      geventPort: ODOO_GEVENT_PORT,
      busPath: busPath(answers.odooVersion),
      frontendNetwork: frontendOf(env),
    };
    const proxy = render(ctx);
    files.push(serverYaml(answers, env, sizing, proxy, ctx.frontendNetwork));
    files.push(...proxy.files);
    notes.push(...proxy.notes.filter((n) => !notes.includes(n)));
  }
  // One file per path: the last renderer wins (proxy files shared by test and prod are identical).
  const byPath = new Map<string, PlannedFile>();
  for (const f of files) byPath.set(f.path, f);
  return {
    files: [...byPath.values()].sort((x, y) => x.path.localeCompare(y.path)),
    dirs: ["odoo/custom/src/private", "odoo/custom/build.d", "odoo/custom/entrypoint.d"],
    notes,
  };
}
