/**
 * `doodba-ops backup` on a project whose db service publishes no port: pg_dump, pg_restore and
 * psql run inside the db container through `docker compose exec -T` (whichever compose the
 * machine has: v2 `docker compose` or v1 `docker-compose`). Real Docker engine, the harness's
 * PostgreSQL 15 image (Debian packages), the real Odoo 17 database
 * (../shared/fixtures/odoo17/backup-mail.dump) and its real filestore (from backup-mail.zip) on a
 * bind mount of the Odoo service's data_dir. The CLI runs in-process (main) on the sources.
 *
 * One story: create from the project -> restore --as into the same container (row counts of
 * every table equal to the source's and to the backup's, filestore files equal) -> refusal over
 * the existing database -> verify --restore-test against the project's server -> a directory-format
 * snapshot (made from this host) restored through the project -> the db stopped:
 * exit 2 with the command that starts it. Skipped (with the reason) only when no engine runs.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { nodePlatform } from "../../src/platform/index.js";
import { fileHashes, rowCounts as countRows } from "../helpers/backup.js";
import { ODOO17 } from "../helpers/project.js";
import { buildImages, cleanup, docker, ensureDocker, releaseSync, trackProject, waitFor } from "../harness/docker.js";

const engine = await ensureDocker();
if (!engine.ok) process.stderr.write(`backup compose-exec e2e tests skipped: ${engine.reason}\n`);
const HAVE_COMPOSE = spawnSync("docker", ["compose", "version"], { stdio: "ignore" }).status === 0 || spawnSync("docker-compose", ["version"], { stdio: "ignore" }).status === 0;
if (engine.ok && !HAVE_COMPOSE) process.stderr.write("backup compose-exec e2e tests skipped: neither docker compose nor docker-compose is installed\n");
const HAVE_PG_DUMP = spawnSync("pg_dump", ["--version"], { stdio: "ignore" }).status === 0;
const HAVE_UNZIP = spawnSync("unzip", ["-v"], { stdio: "ignore" }).status === 0;

const PASSWORD = "c0mpose-exec-S3cret";
// (no "backup" in the name: an image named *backup* is not taken for the Odoo service)
const NAME = `e2edbexec${process.pid}`;

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

let environ: Record<string, string | undefined> = {};

async function cli(...argv: string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const platform = { ...nodePlatform(), environ, stdout: (s: string) => void (stdout += s), stderr: (s: string) => void (stderr += s), isTTY: false };
  const code = await main(["node", "doodba-ops", ...argv], platform);
  // The password is never printed, whatever happened.
  expect(stdout + stderr).not.toContain(PASSWORD);
  return { code, stdout, stderr };
}

function container(): string {
  const id = docker(["ps", "-q", "--filter", `label=com.docker.compose.project=${NAME}`, "--filter", "label=com.docker.compose.service=db"]).trim();
  if (!id) throw new Error("the db container does not run");
  return id;
}

/** psql in the db container as odoo (local socket). */
function psql(db: string, sql: string): string {
  return docker(["exec", "-i", container(), "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-U", "odoo", "-d", db], { input: sql });
}

const rowCounts = (db: string): Record<string, number> => countRows(psql, db);


function databases(): string[] {
  return psql("postgres", "SELECT datname FROM pg_database ORDER BY 1;").trim().split("\n");
}


function compose(dir: string, ...args: string[]): void {
  const v2 = spawnSync("docker", ["compose", "version"], { stdio: "ignore" }).status === 0;
  const [cmd, argv] = v2 ? ["docker", ["compose", ...args]] : ["docker-compose", args];
  execFileSync(cmd, argv, { cwd: dir, stdio: ["ignore", "ignore", "pipe"], timeout: 300_000 });
}

describe.skipIf(!engine.ok || !HAVE_COMPOSE || !HAVE_UNZIP)("backup through docker compose exec (real engine)", { timeout: 300_000 }, () => {
  let root = "";
  let dir = "";
  let repo = "";
  const started = Date.now();

  beforeAll(async () => {
    const images = await buildImages();
    root = mkdtempSync(join(tmpdir(), "doodba-ops-e2e-backup-"));
    dir = join(root, "acme");
    repo = join(root, "repo");
    mkdirSync(join(dir, "odoo"), { recursive: true });
    mkdirSync(join(dir, ".docker"), { recursive: true });
    // Doodba's layout: Odoo built from ./odoo (never started here), credentials in
    // .docker/db-access.env, the data_dir on a bind mount; the db service publishes no port.
    writeFileSync(join(dir, "odoo", "Dockerfile"), "FROM ghcr.io/tecnativa/doodba:17.0-onbuild\n");
    writeFileSync(join(dir, ".docker", "db-access.env"), `PGPASSWORD=${PASSWORD}\n`);
    writeFileSync(join(dir, ".env"), `COMPOSE_PROJECT_NAME=${NAME}\n`);
    writeFileSync(
      join(dir, "prod.yaml"),
      `services:
  odoo:
    build:
      context: ./odoo
    env_file: [.docker/db-access.env]
    environment:
      PGHOST: db
      PGUSER: odoo
      PGDATABASE: acme
    volumes:
      - ./odoo-data:/var/lib/odoo
    depends_on:
      - db
  db:
    image: "${images.postgres}"
    environment:
      POSTGRES_USER: odoo
      POSTGRES_PASSWORD: ${PASSWORD}
    volumes:
      - db:/var/lib/postgresql/data
volumes:
  db:
`,
    );
    trackProject(NAME);
    compose(dir, "-f", "prod.yaml", "up", "-d", "db");
    await waitFor("PostgreSQL in the db container", () => (spawnSync("docker", ["exec", container(), "pg_isready", "-q", "-U", "odoo"]).status === 0 ? true : undefined), 120_000);
    // The real Odoo 17 database, created as Odoo creates one, and its filestore.
    psql("postgres", "CREATE DATABASE acme ENCODING 'unicode' LC_COLLATE 'C' TEMPLATE template0;");
    docker(["cp", join(ODOO17, "backup-mail.dump"), `${container()}:/tmp/acme.dump`]);
    docker(["exec", container(), "pg_restore", "--no-owner", "-U", "odoo", "-d", "acme", "/tmp/acme.dump"]);
    execFileSync("unzip", ["-q", join(ODOO17, "backup-mail.zip"), "filestore/*", "-d", join(root, "zip")]);
    mkdirSync(join(dir, "odoo-data", "filestore"), { recursive: true });
    renameSync(join(root, "zip", "filestore"), join(dir, "odoo-data", "filestore", "acme"));
    environ = { ...process.env, NO_COLOR: "1" };
    // The shell's libpq variables point elsewhere: they must not leak into the container.
    Object.assign(environ, { PGHOST: "127.0.0.1", PGPORT: "1", PGUSER: "nobody", PGPASSWORD: "wrong", PGDATABASE: "nothing" });
    const init = await cli("backup", "init", "--repo", repo, "--no-encryption");
    expect(init.code, init.stderr).toBe(0);
  }, 1_200_000);

  afterAll(() => {
    cleanup();
    releaseSync();
    if (root) rmSync(root, { recursive: true, force: true });
    process.stderr.write(`backup compose-exec e2e took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  });

  let snapshot = "";
  it("GIVEN the db publishes no port WHEN backup create . --env prod THEN pg_dump runs in the container and the snapshot holds the database and the filestore", async () => {
    const r = await cli("backup", "create", dir, "--env", "prod", "--repo", repo, "--format", "json");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("docker compose exec db");
    const out = JSON.parse(r.stdout) as { snapshot: { id: string; database: { name: string; format: string; serverVersion: string; rowCounts: Record<string, number> }; filestore: { files: unknown[] }; odoo?: { majorVersion: string } } };
    snapshot = out.snapshot.id;
    expect(out.snapshot.database.name).toBe("acme");
    expect(out.snapshot.database.format).toBe("custom");
    expect(out.snapshot.database.serverVersion).toMatch(/^15\./);
    expect(out.snapshot.odoo?.majorVersion).toBe("17.0");
    // the counts were read in the dumped snapshot: equal to the live database's
    expect(out.snapshot.database.rowCounts).toEqual(rowCounts("acme"));
    expect(out.snapshot.database.rowCounts["public.res_partner"]).toBeGreaterThan(25);
    expect(out.snapshot.filestore.files.length).toBe(Object.keys(fileHashes(join(dir, "odoo-data", "filestore", "acme"))).length);
  });

  it("WHEN backup restore --as into the project's server THEN every table has the source's row count and the filestore files are equal", async () => {
    const r = await cli("backup", "restore", snapshot, dir, "--env", "prod", "--as", "acme_restored", "--repo", repo);
    expect(r.code, r.stderr).toBe(0);
    expect(databases()).toContain("acme_restored");
    const source = rowCounts("acme");
    expect(Object.keys(source).length).toBeGreaterThan(100);
    expect(rowCounts("acme_restored")).toEqual(source);
    expect(fileHashes(join(dir, "odoo-data", "filestore", "acme_restored"))).toEqual(fileHashes(join(dir, "odoo-data", "filestore", "acme")));
    // no work database left behind
    expect(databases().filter((d) => d.includes("__"))).toEqual([]);
  });

  it("GIVEN the database exists WHEN restored again without --force THEN exit 2 and nothing changes", async () => {
    const before = rowCounts("acme_restored");
    const r = await cli("backup", "restore", snapshot, dir, "--env", "prod", "--as", "acme_restored", "--repo", repo, "--no-filestore");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("already exists");
    expect(rowCounts("acme_restored")).toEqual(before);
  });

  it("WHEN verify --restore-test names the project THEN the scratch restore in the container matches and is dropped", async () => {
    const r = await cli("backup", "verify", dir, "--env", "prod", "--restore-test", "--repo", repo);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain("0 mismatches");
    expect(r.stdout).toContain("OK");
    expect(databases().filter((d) => d.includes("scratch"))).toEqual([]);
  });

  it.skipIf(!HAVE_PG_DUMP)("GIVEN a directory-format snapshot (pg_dump -Fd -j from this host over the container's address) WHEN restored through the project THEN it is copied into the container and restored there with the source's row counts", async () => {
    const ip = docker(["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container()]).trim();
    const made = await cli("backup", "create", "--db", `postgres://odoo:${PASSWORD}@${ip}:5432/acme`, "--no-filestore", "--dump-format", "directory", "--jobs", "2", "--repo", repo, "--format", "json");
    expect(made.code, made.stderr).toBe(0);
    const snap = JSON.parse(made.stdout) as { snapshot: { id: string; database: { format: string; files: unknown[] } } };
    expect(snap.snapshot.database.format).toBe("directory");
    expect(snap.snapshot.database.files.length).toBeGreaterThan(10);
    const r = await cli("backup", "restore", snap.snapshot.id, dir, "--env", "prod", "--as", "acme_fromdir", "--no-filestore", "--jobs", "2", "--repo", repo);
    expect(r.code, r.stderr).toBe(0);
    expect(rowCounts("acme_fromdir")).toEqual(rowCounts("acme"));
    // the copy inside the container is gone
    expect(docker(["exec", container(), "sh", "-c", "ls -d /tmp/doodba-ops-restore.* 2>/dev/null || true"]).trim()).toBe("");
  });

  it("GIVEN the db service is stopped WHEN backup create THEN exit 2 naming the service and the command that starts it", async () => {
    compose(dir, "-f", "prod.yaml", "stop", "db");
    const r = await cli("backup", "create", dir, "--env", "prod", "--repo", repo, "--no-filestore");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("service db (docker compose exec");
    expect(r.stderr).toContain("docker compose up -d db");
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(repo)).toBe(true);
  });
});
