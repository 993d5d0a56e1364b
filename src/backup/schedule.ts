/**
 * `doodba-ops backup schedule`: what runs the backup periodically, as a {@link FilePlan} for the
 * one writer (src/generate/fileplan.ts). Pure: project model + options in, files out.
 *
 * Three ways, one runner script (`backup/doodba-ops-backup-<env>.sh`: create, then prune with
 * the retention, then the failure hook if a step failed):
 *  - "compose" (default): a `doodba-ops-backup` service in the environment's compose file. Its
 *    image (`backup/Dockerfile`) is the official `postgres:<major>-alpine` of the project's
 *    PostgreSQL major, so pg_dump always matches the server, plus Node.js and doodba-ops from
 *    npm. The script runs as a daemon that sleeps until the time of day (UTC). It reads the
 *    database as Odoo does (PGHOST=<db service>, the credentials of .docker/db-access.env) and
 *    the filestore from the Odoo volume mounted read-only. Lives and dies with the stack, needs
 *    nothing on the host.
 *  - "systemd": a oneshot service + timer for the host (`OnCalendar=... UTC`, `Persistent=true`:
 *    a run missed while the host was off happens at boot). The script runs `doodba-ops backup
 *    create <project> --env <env>` on the host, which reaches the db through its published port
 *    or `docker compose exec`, and the filestore through the volume's mount point.
 *  - "cron": a /etc/cron.d entry running the same host script (cron runs it in the host's time
 *    zone: cron has no portable per-entry time zone).
 *
 * Secrets (repository URL, age identity, S3 keys, a webhook URL) go in
 * `.docker/doodba-ops-backup.env` (0600, created once and then kept), never in the script or
 * the compose file.
 */
import { posix } from "node:path";
import { isMap, parseDocument, type Document } from "yaml";
import { UserError } from "../errors.js";
import type { FilePlan, PlannedFile } from "../generate/types.js";
import type { EnvModel, ProjectModel } from "../project/model.js";
import { odooServices, optValue } from "../check/lib/common.js";
import { pgServerServices, pgVersions } from "../check/lib/postgres.js";
import { composeProjectName } from "./sources.js";
import { VERSION } from "../version.js";

export type ScheduleMode = "compose" | "systemd" | "cron";

export interface Retention {
  last?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
}

/** @default keep the last 3, 7 daily, 5 weekly, 12 monthly */
export const DEFAULT_RETENTION: Required<Retention> = { last: 3, daily: 7, weekly: 5, monthly: 12 };

export interface ScheduleOptions {
  env: string;
  /** @default "compose" */
  mode?: ScheduleMode;
  /** Time of day, "HH:MM" (UTC for compose and systemd; host time for cron). @default "02:30" */
  at?: string;
  /** Repository URL (goes to the secrets file only). */
  repo?: string;
  retention?: Retention;
  /** A shell command or an http(s) webhook URL run when a step fails. */
  onFailure?: string;
  /** Absolute project directory as it is on the host that runs the timer/cron (default: project.dir). */
  hostDir?: string;
}

/** Label that marks the compose service this command generates (check's no-backup rule reads it). */
export const SCHEDULE_LABEL = "com.doodba-ops.backup-schedule";
export const SERVICE_NAME = "doodba-ops-backup";
export const SECRETS_FILE = ".docker/doodba-ops-backup.env";

export function scriptPath(env: string): string {
  return `backup/doodba-ops-backup-${env}.sh`;
}

/** Unit / cron file base name: doodba-ops-backup-<project>-<env>. */
export function unitName(project: ProjectModel, env: EnvModel): string {
  return `doodba-ops-backup-${composeProjectName(project, env) || "odoo"}-${env.name}`.replace(/[^A-Za-z0-9_-]/g, "-");
}

/** "3:05" / "03:05" -> [3, 5]. @throws UserError */
export function parseTimeOfDay(at: string): [number, number] {
  const m = /^(\d{1,2}):(\d{2})$/.exec(at.trim());
  const h = m ? Number(m[1]) : NaN;
  const min = m ? Number(m[2]) : NaN;
  if (!m || h > 23 || min > 59) throw new UserError(`--at ${at}: expected a time of day HH:MM (24 h), e.g. 02:30`);
  return [h, min];
}

export function parseRetention(r: Retention): Required<Retention> {
  const out = { ...DEFAULT_RETENTION };
  for (const k of ["last", "daily", "weekly", "monthly"] as const) {
    const v = r[k];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 0) throw new UserError(`--keep-${k} must be a whole number >= 0, got ${String(v)}`);
    out[k] = v;
  }
  if (out.last + out.daily + out.weekly + out.monthly === 0) {
    throw new UserError("The retention keeps nothing: every snapshot would be pruned", { hint: "Keep at least one, e.g. --keep-last 1." });
  }
  return out;
}

/** Single-quotes a string for POSIX sh. */
export function shQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

const pad = (n: number): string => String(n).padStart(2, "0");

interface ScriptInput {
  project: string;
  env: string;
  mode: ScheduleMode;
  at: string;
  retention: Required<Retention>;
  /** A command baked into the script (URLs go to the secrets file instead). */
  hookCommand?: string;
  /** Extra create arguments (compose: --filestore in the container). */
  createArgs: string[];
}

/** The runner script: POSIX sh (dash / busybox), shellcheck-clean. */
export function renderScript(i: ScriptInput): string {
  const prune = ["--keep-last", String(i.retention.last), "--keep-daily", String(i.retention.daily), "--keep-weekly", String(i.retention.weekly), "--keep-monthly", String(i.retention.monthly)];
  const inContainer = i.mode === "compose";
  const lines = [
    "#!/bin/sh",
    `# Generated by \`doodba-ops backup schedule --env ${i.env}${i.mode === "compose" ? "" : ` --${i.mode}`}\`: back up the database and the filestore`,
    "# into the repository, apply the retention, and run the failure hook when a step fails.",
    inContainer
      ? "# Runs in the doodba-ops-backup compose service: `--daemon` sleeps until the time of day (UTC)."
      : "# Run by a systemd timer or cron on the host, once per invocation (`--daemon`: loop at the time of day).",
    "# Secrets come from .docker/doodba-ops-backup.env (DOODBA_OPS_REPO, DOODBA_OPS_AGE_IDENTITY, AWS_*, DOODBA_OPS_ON_FAILURE).",
    "set -eu",
    "",
  ];
  if (!inContainer) {
    lines.push(
      'cd "$(dirname "$0")/.."',
      'ENV_FILE="${DOODBA_OPS_ENV_FILE:-.docker/doodba-ops-backup.env}"',
      'if [ -r "$ENV_FILE" ]; then',
      "  set -a",
      "  # shellcheck source=/dev/null",
      '  . "./$ENV_FILE"',
      "  set +a",
      "fi",
      "",
    );
  }
  lines.push(
    `AT=${shQuote(i.at)}`,
    'DOODBA_OPS="${DOODBA_OPS:-doodba-ops}"',
    `ON_FAILURE="\${DOODBA_OPS_ON_FAILURE:-${i.hookCommand ? i.hookCommand.replace(/[\\"$`]/g, "\\$&") : ""}}"`,
    `: "\${DOODBA_OPS_REPO:?DOODBA_OPS_REPO (the backup repository URL) is not set: see .docker/doodba-ops-backup.env}"`,
    "export DOODBA_OPS_REPO",
    "# glibc: return freed chunk buffers to the system at once (peak RSS ~20% lower; musl ignores it)",
    'MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-1048576}"',
    "export MALLOC_MMAP_THRESHOLD_",
    "",
    "# $1: the step that failed. Never fails itself: a broken hook must not hide the backup's exit code.",
    "notify() {",
    `  msg="doodba-ops backup of ${i.project}/${i.env} failed at step $1 on $(hostname) at $(date -u +%Y-%m-%dT%H:%M:%SZ)"`,
    '  echo "$msg" >&2',
    '  case "$ON_FAILURE" in',
    '    "") ;;',
    "    http://* | https://*)",
    `      body=$(printf '{"text":"%s","project":"%s","env":"%s","step":"%s"}' "$msg" ${shQuote(i.project)} ${shQuote(i.env)} "$1")`,
    "      if command -v curl >/dev/null 2>&1; then",
    `        curl -fsS -m 30 -H 'Content-Type: application/json' -d "$body" "$ON_FAILURE" >/dev/null || echo "doodba-ops-backup: the failure webhook did not answer" >&2`,
    "      else",
    `        wget -q -T 30 -O /dev/null --header='Content-Type: application/json' --post-data="$body" "$ON_FAILURE" || echo "doodba-ops-backup: the failure webhook did not answer" >&2`,
    "      fi",
    "      ;;",
    "    *)",
    `      DOODBA_OPS_BACKUP_STEP="$1" DOODBA_OPS_BACKUP_MESSAGE="$msg" sh -c "$ON_FAILURE" || echo "doodba-ops-backup: the failure hook exited $?" >&2`,
    "      ;;",
    "  esac",
    "}",
    "",
    "run_once() {",
    `  if ! "$DOODBA_OPS" backup create ${[...i.createArgs, "--tag", `schedule=${i.mode}`].join(" ")}; then`,
    "    notify create",
    "    return 1",
    "  fi",
    `  if ! "$DOODBA_OPS" backup prune ${prune.join(" ")} --yes; then`,
    "    notify prune",
    "    return 1",
    "  fi",
    "}",
    "",
    'if [ "${1:-}" = "--daemon" ]; then',
    '  echo "doodba-ops-backup: daily at $AT UTC" >&2',
    "  while :; do",
    "    now=$(date -u +%s)",
    '    next=$(date -u -d "$AT" +%s)',
    '    [ "$next" -gt "$now" ] || next=$((next + 86400))',
    '    sleep "$((next - now))"',
    "    run_once || true",
    "  done",
    "fi",
    "run_once",
    "",
  );
  return lines.join("\n");
}

function secretsFile(repo: string | undefined, hookUrl: string | undefined): PlannedFile {
  const lines = [
    "# doodba-ops backup: the repository and its secrets (read by backup/doodba-ops-backup-<env>.sh and the",
    "# doodba-ops-backup compose service). Keep a copy of the age identity outside this server: without it",
    "# no backup can be restored.",
    `DOODBA_OPS_REPO=${repo ?? ""}`,
    "# The age identity (AGE-SECRET-KEY-1...): prune and verify read the encrypted snapshot manifests.",
    "DOODBA_OPS_AGE_IDENTITY=",
    "# Credentials of an s3:// repository",
    "AWS_ACCESS_KEY_ID=",
    "AWS_SECRET_ACCESS_KEY=",
    "# Failure hook: a command, or an http(s) webhook URL that receives a JSON POST",
    `DOODBA_OPS_ON_FAILURE=${hookUrl ?? ""}`,
  ];
  return { path: SECRETS_FILE, content: `${lines.join("\n")}\n`, mode: 0o600, keepExisting: true };
}

function dockerfile(pgMajor: string): PlannedFile {
  const lines = [
    "# Image of the doodba-ops-backup service (generated by `doodba-ops backup schedule`): the official",
    "# PostgreSQL image of the server's major version, so pg_dump matches the server, plus doodba-ops.",
    `ARG PG_VERSION=${pgMajor}`,
    "FROM postgres:${PG_VERSION}-alpine",
    `ARG DOODBA_OPS_VERSION=${VERSION}`,
    "RUN apk add --no-cache nodejs npm curl tzdata \\",
    "    && npm install --global --omit=dev \"doodba-ops@${DOODBA_OPS_VERSION}\" \\",
    "    && npm cache clean --force",
    "ENV TZ=UTC",
    'ENTRYPOINT []',
    "",
  ];
  return { path: "backup/Dockerfile", content: lines.join("\n") };
}

/** Local repository folder of a file:// URL or an absolute path, to bind-mount into the container. */
function localRepoDir(repo: string | undefined): string | undefined {
  if (!repo) return undefined;
  if (repo.startsWith("file://")) return decodeURIComponent(repo.slice("file://".length));
  if (repo.startsWith("/")) return repo;
  return undefined;
}

/** The Odoo service's env files that carry the database credentials (doodba: .docker/db-access.env). */
function dbEnvFiles(raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list
    .map((e) => (typeof e === "string" ? e : e && typeof e === "object" && "path" in e && typeof e.path === "string" ? e.path : undefined))
    .filter((e): e is string => e !== undefined && /db-access/.test(e))
    .map((e) => e.replace(/^\.\//, ""));
}

/** The compose service (plain data, inserted into the env's compose file). */
export function composeService(project: ProjectModel, env: EnvModel, opts: { repo?: string; pgMajor: string; scriptRel: string }): { service: Record<string, unknown>; addEgress: boolean } {
  const odoo = odooServices(env)[0];
  if (!odoo) throw new UserError(`Environment ${env.name} has no Odoo service: nothing to back up`);
  const pg = pgServerServices(env)[0];
  const dataDir = optValue(odoo.cfg, "data_dir") ?? "/var/lib/odoo";
  const dbName = optValue(odoo.cfg, "db_name");
  const dbHost = optValue(odoo.cfg, "db_host") ?? pg?.name ?? "db";
  const dbUser = optValue(odoo.cfg, "db_user") ?? "odoo";
  if (!dbName || dbName === "False") {
    throw new UserError(`The Odoo service ${odoo.svc.name} of ${env.name} names no database (PGDATABASE / db_name)`, {
      hint: "The scheduled backup dumps one database: set PGDATABASE in the Odoo service's environment.",
    });
  }
  const mount = odoo.svc.volumes.find((v) => (v.type === "volume" || v.type === "bind") && v.source && posix.normalize(`${dataDir}/`).startsWith(posix.normalize(`${v.target}/`)));
  if (!mount?.source) {
    throw new UserError(`The data_dir ${dataDir} of ${odoo.svc.name} is on no volume: the backup container cannot read the filestore`, {
      hint: "Mount a named volume on it (doodba: `filestore:/var/lib/odoo`).",
    });
  }
  const volumes = [`${mount.source}:${mount.target}:ro`, `./${opts.scriptRel}:/usr/local/bin/doodba-ops-backup.sh:ro`];
  const local = localRepoDir(opts.repo);
  if (local) volumes.push(`${local}:${local}`);
  const networks = new Set<string>(pg ? Object.keys(pg.networks) : Object.keys(odoo.svc.networks));
  let addEgress = false;
  const internal = [...networks].some((n) => {
    const decl = env.compose.networks[n];
    return decl !== null && decl !== undefined && decl.internal === true;
  });
  if (internal && !local) {
    networks.add("egress");
    addEgress = !("egress" in env.compose.networks);
  }
  const service: Record<string, unknown> = {
    build: { context: "./backup", args: { PG_VERSION: opts.pgMajor } },
    command: ["/usr/local/bin/doodba-ops-backup.sh", "--daemon"],
    init: true,
    restart: "unless-stopped",
    env_file: [...dbEnvFiles(odoo.svc.raw.env_file), SECRETS_FILE],
    environment: { PGHOST: dbHost, PGDATABASE: dbName, PGUSER: dbUser, TZ: "UTC" },
    volumes,
    mem_limit: "384m",
    labels: { [SCHEDULE_LABEL]: env.name },
  };
  if (pg) service.depends_on = { [pg.name]: { condition: pg.healthcheck && !pg.healthcheck.disable ? "service_healthy" : "service_started" } };
  if (networks.size > 0) service.networks = [...networks].sort();
  return { service, addEgress };
}

/** Inserts (or replaces) the doodba-ops-backup service in a compose file's text, keeping comments. */
export function withComposeService(text: string, file: string, service: Record<string, unknown>, addEgress: boolean): string {
  const doc: Document = parseDocument(text);
  if (doc.errors.length > 0) throw new UserError(`${file} does not parse: ${doc.errors[0]?.message ?? ""}`);
  const services = doc.get("services");
  if (!isMap(services)) throw new UserError(`${file} has no services: mapping to add the backup service to`);
  doc.setIn(["services", SERVICE_NAME], doc.createNode(service));
  if (addEgress) {
    const nets = doc.get("networks");
    if (nets === undefined || nets === null) doc.set("networks", doc.createNode({ egress: {} }));
    else if (isMap(nets)) doc.setIn(["networks", "egress"], doc.createNode({}));
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

export interface SchedulePlan {
  plan: FilePlan;
  mode: ScheduleMode;
  /** Commands that install/enable what was written (systemd, cron, compose). */
  next: string[];
}

/**
 * The files of a schedule for environment `opts.env`.
 * @throws UserError for an unknown environment, a bad time, or a project it cannot back up.
 */
export function planSchedule(project: ProjectModel, opts: ScheduleOptions): SchedulePlan {
  const env = project.envs[opts.env];
  if (!env) {
    throw new UserError(`The project has no environment "${opts.env}"`, { hint: `Environments: ${project.envNames.join(", ") || "(none)"}.` });
  }
  const mode = opts.mode ?? "compose";
  const at = opts.at ?? "02:30";
  const [h, m] = parseTimeOfDay(at);
  const atNorm = `${pad(h)}:${pad(m)}`;
  const retention = parseRetention(opts.retention ?? {});
  const hook = opts.onFailure?.trim() || undefined;
  const hookIsUrl = hook !== undefined && /^https?:\/\//i.test(hook);
  if (hook && /[\r\n]/.test(hook)) throw new UserError("--on-failure must be one line");
  const projectName = composeProjectName(project, env) || "odoo";
  const scriptRel = scriptPath(env.name);
  const hostDir = opts.hostDir ?? project.dir;
  const notes: string[] = [];
  const files: PlannedFile[] = [secretsFile(opts.repo, hookIsUrl ? hook : undefined)];
  const next: string[] = [];

  if (mode === "compose") {
    const odoo = odooServices(env)[0];
    const dataDir = (odoo && optValue(odoo.cfg, "data_dir")) ?? "/var/lib/odoo";
    const script = renderScript({
      project: projectName,
      env: env.name,
      mode,
      at: atNorm,
      retention,
      hookCommand: hookIsUrl ? undefined : hook,
      createArgs: ["--filestore", `"${dataDir}/filestore/$PGDATABASE"`],
    });
    files.push({ path: scriptRel, content: script, mode: 0o755 });
    const pgMajor = pgVersions(env, project)[0]?.major;
    const major = pgMajor !== undefined ? String(pgMajor) : "16";
    if (pgMajor === undefined) notes.push("The PostgreSQL major version could not be read from the project: the backup image uses 16; set build.args.PG_VERSION to the server's major.");
    files.push(dockerfile(major));
    const composeFile = env.compose.files[env.compose.files.length - 1] ?? `${env.name}.yaml`;
    const text = project.read(composeFile);
    if (text === undefined) throw new UserError(`Cannot read ${composeFile}`);
    const { service, addEgress } = composeService(project, env, { repo: opts.repo, pgMajor: major, scriptRel });
    files.push({ path: composeFile, content: withComposeService(text, composeFile, service, addEgress) });
    next.push(`docker compose -f ${composeFile} up -d --build ${SERVICE_NAME}`, `docker compose -f ${composeFile} logs -f ${SERVICE_NAME}`);
    if (Object.values(env.compose.services).some((s) => s.name !== SERVICE_NAME && /^backups?$/i.test(s.name))) {
      notes.push(`${composeFile} also has a service named backup (e.g. duplicity): remove it once doodba-ops-backup has made its first snapshot, or both run.`);
    }
  } else {
    const script = renderScript({ project: projectName, env: env.name, mode, at: atNorm, retention, hookCommand: hookIsUrl ? undefined : hook, createArgs: [".", "--env", shQuote(env.name)] });
    files.push({ path: scriptRel, content: script, mode: 0o755 });
    const unit = unitName(project, env);
    const absScript = posix.join(hostDir, scriptRel);
    if (mode === "systemd") {
      files.push({
        path: `backup/systemd/${unit}.service`,
        content: [
          "# Generated by `doodba-ops backup schedule --systemd`. Install: see the timer.",
          "[Unit]",
          `Description=doodba-ops backup of ${projectName} (${env.name})`,
          "Wants=network-online.target",
          "After=network-online.target docker.service",
          "",
          "[Service]",
          "Type=oneshot",
          `WorkingDirectory=${hostDir}`,
          `ExecStart=${absScript}`,
          "Nice=10",
          "IOSchedulingClass=idle",
          "TimeoutStartSec=12h",
          "",
        ].join("\n"),
      });
      files.push({
        path: `backup/systemd/${unit}.timer`,
        content: [
          "# Generated by `doodba-ops backup schedule --systemd`. Install:",
          `#   ln -s ${posix.join(hostDir, "backup/systemd", `${unit}.service`)} ${posix.join(hostDir, "backup/systemd", `${unit}.timer`)} /etc/systemd/system/`,
          `#   systemctl daemon-reload && systemctl enable --now ${unit}.timer`,
          "[Unit]",
          `Description=Daily doodba-ops backup of ${projectName} (${env.name})`,
          "",
          "[Timer]",
          `OnCalendar=*-*-* ${atNorm}:00 UTC`,
          "Persistent=true",
          "RandomizedDelaySec=5min",
          "",
          "[Install]",
          "WantedBy=timers.target",
          "",
        ].join("\n"),
      });
      next.push(
        `sudo cp ${posix.join(hostDir, "backup/systemd", `${unit}.service`)} ${posix.join(hostDir, "backup/systemd", `${unit}.timer`)} /etc/systemd/system/`,
        `sudo systemctl daemon-reload && sudo systemctl enable --now ${unit}.timer`,
        `systemctl list-timers ${unit}.timer`,
      );
    } else {
      files.push({
        path: `backup/cron/${unit}`,
        content: [
          "# Generated by `doodba-ops backup schedule --cron`: copy to /etc/cron.d/ (the time is the host's time zone).",
          "SHELL=/bin/sh",
          "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
          `${m} ${h} * * * root ${absScript} >>/var/log/${unit}.log 2>&1`,
          "",
        ].join("\n"),
      });
      next.push(`sudo cp ${posix.join(hostDir, "backup/cron", unit)} /etc/cron.d/${unit}`);
    }
    notes.push("The host needs doodba-ops on the PATH of root (npm install -g doodba-ops) and the PostgreSQL client of the server's major, or none if the db port is not published (it then runs pg_dump inside the db container).");
  }
  if (!opts.repo) notes.push(`Set DOODBA_OPS_REPO in ${SECRETS_FILE}.`);
  notes.push(`Fill in ${SECRETS_FILE} (age identity for prune, S3 keys) and keep a copy of the age identity off this server.`);
  return { plan: { files, notes }, mode, next };
}
