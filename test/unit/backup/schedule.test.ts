/**
 * `backup schedule` planning: the compose service, the systemd timer and the cron entry, the
 * runner script, the secrets file; and check's no-backup rule passing on the result.
 */
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../../../src/errors.js";
import { parseRetention, parseTimeOfDay, planSchedule, renderScript, shQuote, SECRETS_FILE } from "../../../src/backup/schedule.js";
import { rule as noBackup } from "../../../src/check/rules/reliability/no-backup.js";
import type { FilePlan } from "../../../src/generate/types.js";
import { cleanupProjects, loadFiles } from "../../helpers/project.js";

afterAll(() => cleanupProjects());

const FILES: Record<string, string> = {
  "odoo/Dockerfile": "FROM ghcr.io/tecnativa/doodba:17.0-onbuild\n",
  ".docker/db-access.env": "PGPASSWORD=secret\n",
  "prod.yaml": `# Production of acme: keep this comment
services:
  odoo:
    build:
      context: ./odoo
    env_file:
      - .docker/db-access.env
    environment:
      PGDATABASE: prod # the one database
    volumes:
      - filestore:/var/lib/odoo
    networks: [backend, public]
  db:
    image: ghcr.io/tecnativa/postgres-autoconf:16-alpine
    healthcheck:
      test: ["CMD", "pg_isready"]
    networks: [backend]
volumes:
  filestore:
networks:
  backend:
    internal: true
  public:
`,
};

const load = (files: Record<string, string> = FILES) => loadFiles(files);
const file = (plan: FilePlan, path: string): string => {
  const f = plan.files.find((x) => x.path === path);
  if (!f) throw new Error(`${path} not planned; planned: ${plan.files.map((x) => x.path).join(", ")}`);
  return f.content;
};

function checkAfter(files: Record<string, string>, plan: FilePlan) {
  const merged = { ...files };
  for (const f of plan.files) merged[f.path] = f.content;
  const project = loadFiles(merged);
  const env = project.envs.prod;
  if (!env) throw new Error("no prod");
  const ctx = { project, now: new Date("2026-11-27T00:00:00Z") };
  return noBackup.scope === "project" ? noBackup.check(ctx) : noBackup.check(env, ctx);
}

describe("planSchedule --compose (default)", () => {
  const s = planSchedule(load(), { env: "prod", repo: "s3://acme-backups/prod?endpoint=https://s3.example", at: "3:05", onFailure: "https://hooks.example/T0/B0/xyz" });

  it("GIVEN a doodba project THEN the doodba-ops-backup service is added to prod.yaml, comments kept", () => {
    const prod = file(s.plan, "prod.yaml");
    expect(prod).toContain("# Production of acme: keep this comment");
    expect(prod).toContain("PGDATABASE: prod # the one database");
    expect(prod).toMatch(/\n {2}doodba-ops-backup:\n/);
    expect(prod).toContain("com.doodba-ops.backup-schedule: prod");
    expect(prod).toContain("filestore:/var/lib/odoo:ro");
    expect(prod).toContain("PG_VERSION: \"16\"");
    expect(prod).toContain("condition: service_healthy");
    // the db network is internal: an egress network reaches S3
    expect(prod).toMatch(/networks:\n\s+- backend\n\s+- egress/);
    expect(prod).toMatch(/\n {2}egress: \{\}\n/);
    // no secret in the compose file
    expect(prod).not.toContain("hooks.example");
    expect(prod).not.toContain("acme-backups");
  });
  it("THEN the secrets go to a 0600 file kept across runs; the image matches the server's major", () => {
    const sec = s.plan.files.find((f) => f.path === SECRETS_FILE);
    expect(sec?.mode).toBe(0o600);
    expect(sec?.keepExisting).toBe(true);
    expect(sec?.content).toContain("DOODBA_OPS_REPO=s3://acme-backups/prod?endpoint=https://s3.example");
    expect(sec?.content).toContain("DOODBA_OPS_ON_FAILURE=https://hooks.example/T0/B0/xyz");
    expect(file(s.plan, "backup/Dockerfile")).toContain("ARG PG_VERSION=16\nFROM postgres:${PG_VERSION}-alpine");
  });
  it("THEN the script backs up the mounted filestore, prunes with the default retention, and runs as a daemon at 03:05", () => {
    const sh = file(s.plan, "backup/doodba-ops-backup-prod.sh");
    expect(sh).toContain('backup create --filestore "/var/lib/odoo/filestore/$PGDATABASE" --tag schedule=compose');
    expect(sh).toContain("backup prune --keep-last 3 --keep-daily 7 --keep-weekly 5 --keep-monthly 12 --yes");
    expect(sh).toContain("AT=03:05");
    expect(s.plan.files.find((f) => f.path === "backup/doodba-ops-backup-prod.sh")?.mode).toBe(0o755);
    expect(s.next[0]).toBe("docker compose -f prod.yaml up -d --build doodba-ops-backup");
  });
  it("THEN check's no-backup rule passes on the result (and fails before)", () => {
    expect(checkAfter(FILES, { files: [], notes: [] })).toHaveLength(1);
    expect(checkAfter(FILES, s.plan)).toEqual([]);
  });
  it("GIVEN the plan applied once THEN planning again gives the same compose file (idempotent)", () => {
    const again = planSchedule(load({ ...FILES, "prod.yaml": file(s.plan, "prod.yaml") }), { env: "prod", at: "3:05" });
    expect(file(again.plan, "prod.yaml")).toBe(file(s.plan, "prod.yaml"));
  });
});

describe("planSchedule --systemd / --cron", () => {
  it("GIVEN --systemd THEN a oneshot service and a UTC timer that runs the host script; check passes", () => {
    const s = planSchedule(load(), { env: "prod", mode: "systemd", hostDir: "/srv/acme", retention: { last: 2, daily: 0, weekly: 0, monthly: 6 } });
    const names = s.plan.files.map((f) => f.path).sort();
    const unit = names.find((n) => n.endsWith(".service"));
    expect(unit).toMatch(/^backup\/systemd\/doodba-ops-backup-doodba-ops-test-.*-prod\.service$/);
    const service = file(s.plan, unit ?? "");
    expect(service).toContain("Type=oneshot");
    expect(service).toContain("ExecStart=/srv/acme/backup/doodba-ops-backup-prod.sh");
    const timer = file(s.plan, (unit ?? "").replace(/\.service$/, ".timer"));
    expect(timer).toContain("OnCalendar=*-*-* 02:30:00 UTC");
    expect(timer).toContain("Persistent=true");
    const sh = file(s.plan, "backup/doodba-ops-backup-prod.sh");
    expect(sh).toContain("backup create . --env prod --tag schedule=systemd");
    expect(sh).toContain("--keep-last 2 --keep-daily 0 --keep-weekly 0 --keep-monthly 6");
    expect(names).not.toContain("prod.yaml");
    expect(checkAfter(FILES, s.plan)).toEqual([]);
  });
  it("GIVEN --cron THEN a cron.d entry at the time, as root, logging to /var/log", () => {
    const s = planSchedule(load(), { env: "prod", mode: "cron", at: "23:45", hostDir: "/srv/acme" });
    const cron = s.plan.files.find((f) => f.path.startsWith("backup/cron/"));
    expect(cron?.content).toMatch(/^45 23 \* \* \* root \/srv\/acme\/backup\/doodba-ops-backup-prod\.sh >>\/var\/log\/doodba-ops-backup-.*-prod\.log 2>&1$/m);
    expect(checkAfter(FILES, s.plan)).toEqual([]);
  });
  it("GIVEN a failure command THEN it is baked into the script, quoted for sh", () => {
    const s = planSchedule(load(), { env: "prod", mode: "cron", onFailure: 'mail -s "backup failed" ops@acme.example < /dev/null' });
    expect(file(s.plan, "backup/doodba-ops-backup-prod.sh")).toContain('ON_FAILURE="${DOODBA_OPS_ON_FAILURE:-mail -s \\"backup failed\\" ops@acme.example < /dev/null}"');
  });
});

describe("validation", () => {
  it("GIVEN bad times, retentions or environments THEN UserErrors", () => {
    expect(parseTimeOfDay("02:30")).toEqual([2, 30]);
    expect(() => parseTimeOfDay("25:00")).toThrow(UserError);
    expect(() => parseTimeOfDay("2pm")).toThrow(UserError);
    expect(() => parseRetention({ last: 0, daily: 0, weekly: 0, monthly: 0 })).toThrow(/keeps nothing/);
    expect(() => parseRetention({ last: -1 })).toThrow(UserError);
    expect(() => planSchedule(load(), { env: "staging" })).toThrow(/no environment "staging"/);
    expect(() => planSchedule(load(), { env: "prod", onFailure: "a\nb" })).toThrow(/one line/);
  });
  it("GIVEN strings THEN shQuote quotes only what needs it", () => {
    expect(shQuote("prod")).toBe("prod");
    expect(shQuote("it's")).toBe(`'it'\\''s'`);
  });
  it("GIVEN the script renderer THEN it starts with a shebang and set -eu", () => {
    const sh = renderScript({ project: "p", env: "prod", mode: "cron", at: "01:00", retention: { last: 1, daily: 0, weekly: 0, monthly: 0 }, createArgs: ["."] });
    expect(sh.startsWith("#!/bin/sh\n")).toBe(true);
    expect(sh).toContain("set -eu");
  });
});
