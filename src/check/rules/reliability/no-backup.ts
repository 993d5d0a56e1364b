import type { EnvModel, ProjectModel, ServiceModel } from "../../../project/model.js";
import type { RawFinding, Rule } from "../../types.js";
import { envKind, imageName } from "../../lib/common.js";
import { pgServerServices } from "../../lib/postgres.js";

/** Images of backup tools (docker-duplicity*, restic, pgBackRest, Barman, WAL-G, postgres-backup-*, Borg...). */
const BACKUP_IMAGE =
  /(duplicity|restic|resticker|pgbackrest|barman|wal-g|walg|postgres-backup|pg-backup|pg_backup|pgbackup|borg|borgmatic|backup)/;

/** Label of the compose service `doodba-ops backup schedule` generates (its value: the environment). */
const DOODBA_OPS_SCHEDULE_LABEL = "com.doodba-ops.backup-schedule";

export function isBackupService(svc: ServiceModel): boolean {
  if (svc.labels[DOODBA_OPS_SCHEDULE_LABEL] !== undefined) return true;
  if (/^backups?([-_].*)?$|[-_]backups?$/i.test(svc.name)) return true;
  return svc.image !== undefined && BACKUP_IMAGE.test(imageName(svc.image));
}

function backupServiceIn(env: EnvModel): ServiceModel | undefined {
  return Object.values(env.compose.services).find(isBackupService);
}

/**
 * A host schedule written by `doodba-ops backup schedule --systemd|--cron` for this environment:
 * backup/systemd/doodba-ops-backup-<project>-<env>.timer or backup/cron/doodba-ops-backup-<project>-<env>,
 * running backup/doodba-ops-backup-<env>.sh, which exists.
 */
function hostScheduleFor(env: EnvModel, project: ProjectModel): string | undefined {
  const script = `backup/doodba-ops-backup-${env.name}.sh`;
  if (!project.files.includes(script)) return undefined;
  const suffix = `-${env.name}`;
  return project.files.find((f) => {
    const timer = /^backup\/systemd\/doodba-ops-backup-.+\.timer$/.test(f) && f.endsWith(`${suffix}.timer`);
    const cron = /^backup\/cron\/doodba-ops-backup-[^/]+$/.test(f) && f.endsWith(suffix);
    if (timer) return project.read(f.replace(/\.timer$/, ".service"))?.includes(script) === true;
    if (cron) return project.read(f)?.includes(script) === true;
    return false;
  });
}

export const rule: Rule = {
  id: "no-backup",
  category: "reliability",
  severity: "warning",
  title: "Production has no backup",
  why:
    "Nothing in the production environment dumps the database and copies the filestore off the host: a lost disk, " +
    "a bad migration or a ransomware hit is unrecoverable. Odoo needs both the database and the filestore, taken " +
    "together, stored elsewhere.",
  fix:
    "Run `doodba-ops backup schedule --env prod` (a doodba-ops-backup compose service, or `--systemd` / `--cron` " +
    "for a host timer: incremental, encrypted, with retention and a failure hook), or add a backup service, e.g. doodba-copier-template's `backup: {image: ghcr.io/tecnativa/docker-duplicity-postgres-s3:<version>, " +
    "environment: {DST: \"boto3+s3://bucket/prod\", PGDATABASE: prod}, volumes: [\"filestore:/mnt/backup/src/odoo:ro\"]}` " +
    "(or answer `backup_dst` when updating the template), or document the host-level backup and suppress this rule.",
  appliesTo: { envs: ["prod"] },
  scope: "env",
  check(env, ctx) {
    // Only environments that hold data: an Odoo or PostgreSQL service.
    if (env.odoo.length === 0 && pgServerServices(env).length === 0) return [];
    if (backupServiceIn(env)) return [];
    if (hostScheduleFor(env, ctx.project)) return [];
    // A backup stack in its own compose file (backup.yaml) counts too.
    for (const other of Object.values(ctx.project.envs)) {
      if (other !== env && envKind(other.name) !== "devel" && backupServiceIn(other)) return [];
    }
    const answers = ctx.project.answers;
    const dst = answers?.data["backup_dst"];
    if (typeof dst === "string" && dst.trim() !== "") return [];
    const missing = [`no backup service in ${env.compose.files[env.compose.files.length - 1] ?? env.name}`];
    if (answers) {
      missing.push(dst === undefined || dst === null ? "no `backup_dst` in .copier-answers.yml" : "`backup_dst` is empty in .copier-answers.yml");
    }
    const out: RawFinding = {
      message: `no backup: ${missing.join(", and ")} (looked for doodba-ops backup schedules, duplicity, restic, pgBackRest, Barman, WAL-G, postgres-backup, Borg images and services named backup*)`,
      pos:
        env.compose.positions.at(["services"]) ??
        (answers && dst !== undefined ? answers.positions.at(["backup_dst"]) : undefined),
    };
    return [out];
  },
};
