/**
 * PostgreSQL tools run inside the db container (`docker compose exec -T`): the command line
 * built for compose v2 and v1 (argv exactly, the libpq variables named with `-e NAME` only, so
 * no password is in argv), the environment handed to the docker client (where compose reads the
 * values), the detection of the compose flavour, and the mapping from a project's DbSource.
 * The processes are recorded by an Exec double; test/e2e/backup-compose-exec.test.ts runs the
 * same code against a real Docker engine.
 */
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../../../src/errors.js";
import { resolveConn } from "../../../src/backup/odoo/conn.js";
import { composeExecArgv, pgSession, psql, spawnTool, toolError } from "../../../src/backup/odoo/pg.js";
import { restoreIn } from "../../../src/backup/odoo/restore.js";
import { pgConn } from "../../../src/backup/service.js";
import { dbFromProject } from "../../../src/backup/sources.js";
import type { Exec, ExecOptions, Platform } from "../../../src/platform/index.js";
import { cleanupProjects, loadFiles } from "../../helpers/project.js";

afterAll(() => cleanupProjects());

const PASSWORD = "pa55-word-from-env-file";

interface Call {
  kind: "run" | "spawn" | "which";
  cmd: string;
  args: readonly string[];
  opts?: ExecOptions;
}

/** Records every process; `docker compose version` answers per `v2`, `which docker-compose` per `v1`. */
function recorder(flavours: { v2: boolean; v1: boolean }): { exec: Exec; calls: Call[] } {
  const calls: Call[] = [];
  const exec: Exec = {
    async run(cmd, args, opts) {
      calls.push({ kind: "run", cmd, args, opts });
      if (cmd === "docker" && args[0] === "compose" && args[1] === "version") return { stdout: flavours.v2 ? "2.29.7\n" : "", stderr: flavours.v2 ? "" : "docker: unknown command: docker compose\n", exitCode: flavours.v2 ? 0 : 1 };
      return { stdout: "", stderr: "", exitCode: 0 };
    },
    async spawn(cmd, args, opts) {
      calls.push({ kind: "spawn", cmd, args, opts });
      const stdout = new PassThrough();
      stdout.end();
      return { stdin: new PassThrough(), stdout, done: Promise.resolve({ stdout: "" as const, stderr: "", exitCode: 0 }), kill: () => undefined };
    },
    async which(cmd) {
      calls.push({ kind: "which", cmd, args: [] });
      return cmd === "docker-compose" && flavours.v1;
    },
  };
  return { exec, calls };
}

/** Records psql runs and answers as a PostgreSQL 15 server where the target database does not exist yet. */
function serverAnswers(calls: Call[]): Exec["run"] {
  return async (cmd, args, opts) => {
    calls.push({ kind: "run", cmd, args, opts });
    const sql = String(opts?.input ?? "");
    const stdout = /pg_database WHERE/.test(sql) ? '[{"n":0}]\n' : /server_version_num/.test(sql) ? '[{"n":150000}]\n' : "";
    return { stdout, stderr: "", exitCode: 0 };
  };
}

function platformWith(exec: Exec, environ: Record<string, string | undefined> = {}): Platform {
  return { fs: {} as Platform["fs"], environ: { PATH: "/usr/bin:/bin", HOME: "/root", ...environ }, stdout: () => undefined, stderr: () => undefined, isTTY: false, exec };
}

const project = () =>
  loadFiles({
    "odoo/Dockerfile": "FROM ghcr.io/tecnativa/doodba:17.0-onbuild\n",
    ".docker/db-access.env": `PGPASSWORD=${PASSWORD}\n`,
    "prod.yaml": `name: acme
services:
  odoo:
    build:
      context: ./odoo
    env_file: [.docker/db-access.env]
    environment:
      PGDATABASE: acme_prod
      PGUSER: odoo
  db:
    image: postgres:15
    environment:
      POSTGRES_USER: odoo
      POSTGRES_DB: acme_prod
`,
  });

const VIA = { kind: "compose-exec" as const, dir: "/srv/acme", files: ["prod.yaml", "/etc/acme/extra.yaml"], service: "db", projectName: "acme" };
const PG_ENV = { PGAPPNAME: "doodba-ops", PGUSER: "odoo", PGPASSWORD: PASSWORD, PGDATABASE: "acme_prod" };

describe("composeExecArgv", () => {
  it("GIVEN compose v2 THEN docker compose with the project directory, absolute files, the name, -T and every libpq variable by name only", () => {
    const [cmd, argv] = composeExecArgv(VIA, "v2", PG_ENV, "pg_dump", ["--format=custom", "--dbname=dbname='acme_prod'"]);
    expect(cmd).toBe("docker");
    expect(argv).toEqual([
      "compose",
      "--project-directory",
      "/srv/acme",
      "-f",
      "/srv/acme/prod.yaml",
      "-f",
      "/etc/acme/extra.yaml",
      "-p",
      "acme",
      "exec",
      "-T",
      "-e",
      "PGAPPNAME",
      "-e",
      "PGDATABASE",
      "-e",
      "PGPASSWORD",
      "-e",
      "PGUSER",
      "db",
      "pg_dump",
      "--format=custom",
      "--dbname=dbname='acme_prod'",
    ]);
    expect(argv.join(" ")).not.toContain(PASSWORD);
  });

  it("GIVEN compose v1 and no project name THEN docker-compose with the same options, no -p", () => {
    const [cmd, argv] = composeExecArgv({ ...VIA, files: ["prod.yaml"], projectName: undefined }, "v1", { PGUSER: "odoo", PGPASSWORD: PASSWORD, PGHOST: undefined }, "psql", ["-X"]);
    expect(cmd).toBe("docker-compose");
    expect(argv).toEqual(["--project-directory", "/srv/acme", "-f", "/srv/acme/prod.yaml", "exec", "-T", "-e", "PGPASSWORD", "-e", "PGUSER", "db", "psql", "-X"]);
  });
});

describe("tools through docker compose exec", () => {
  it("GIVEN a project whose db publishes no port WHEN pg_restore is started THEN it runs in the db container: password only in the docker client's environment, no PGHOST", async () => {
    const db = dbFromProject(project(), "prod");
    expect(db.kind).toBe("compose-exec");
    const conn = pgConn(db);
    expect(conn.via).toMatchObject({ kind: "compose-exec", service: "db", files: ["prod.yaml"], projectName: "acme" });
    const { exec, calls } = recorder({ v2: true, v1: true });
    // The shell's PG* describe another server: none of them reaches the container.
    const s = pgSession(platformWith(exec, { PGHOST: "elsewhere", PGPORT: "6543", PGPASSWORD: "shell-password" }), conn);
    const proc = await spawnTool(s, "pg_restore", ["--no-owner", "--dbname=dbname='x'"]);
    await proc.done;
    const spawned = calls.filter((c) => c.kind === "spawn");
    expect(spawned).toHaveLength(1);
    const c = spawned[0] as Call;
    const dir = conn.via?.dir ?? "";
    expect(c.cmd).toBe("docker");
    expect(c.args).toEqual([
      "compose",
      "--project-directory",
      dir,
      "-f",
      `${dir}/prod.yaml`,
      "-p",
      "acme",
      "exec",
      "-T",
      "-e",
      "PGAPPNAME",
      "-e",
      "PGDATABASE",
      "-e",
      "PGPASSWORD",
      "-e",
      "PGUSER",
      "db",
      "pg_restore",
      "--no-owner",
      "--dbname=dbname='x'",
    ]);
    expect(c.args.join(" ")).not.toContain(PASSWORD);
    expect(c.opts?.cleanEnv).toBe(true);
    expect(c.opts?.cwd).toBe(dir);
    expect(c.opts?.env).toMatchObject({ PGPASSWORD: PASSWORD, PGUSER: "odoo", PGDATABASE: "acme_prod", PATH: "/usr/bin:/bin", HOME: "/root" });
    expect(c.opts?.env?.PGHOST).toBeUndefined();
    expect(c.opts?.env?.PGPORT).toBeUndefined();
    expect(s.conn.description).toBe("service db (docker compose exec, local socket as odoo)");
  });

  it("GIVEN docker compose v2 is missing but docker-compose is there WHEN psql runs THEN docker-compose v1, SQL on stdin; the flavour is asked once", async () => {
    const { exec, calls } = recorder({ v2: false, v1: true });
    const s = pgSession(platformWith(exec), { env: { PGUSER: "odoo", PGPASSWORD: PASSWORD }, via: { ...VIA, files: ["prod.yaml"] } });
    await psql(s, "postgres", "SELECT 1;\n");
    await psql(s, "postgres", "SELECT 2;\n");
    const runs = calls.filter((c) => c.kind === "run" && c.cmd === "docker-compose");
    expect(runs).toHaveLength(2);
    expect(runs[0]?.args).toEqual([
      "--project-directory",
      "/srv/acme",
      "-f",
      "/srv/acme/prod.yaml",
      "-p",
      "acme",
      "exec",
      "-T",
      "-e",
      "PGAPPNAME",
      "-e",
      "PGPASSWORD",
      "-e",
      "PGUSER",
      "db",
      "psql",
      "-X",
      "-q",
      "-A",
      "-t",
      "-v",
      "ON_ERROR_STOP=1",
      "--dbname=dbname='postgres'",
      "-f",
      "-",
    ]);
    expect(runs[0]?.opts?.input).toBe("SELECT 1;\n");
    expect(calls.filter((c) => c.cmd === "docker" && c.args[1] === "version")).toHaveLength(1);
  });

  it("GIVEN neither docker compose nor docker-compose THEN a UserError that names both and the alternatives", async () => {
    const { exec } = recorder({ v2: false, v1: false });
    const s = pgSession(platformWith(exec), { env: { PGUSER: "odoo" }, via: VIA });
    const err = await psql(s, "postgres", "SELECT 1;\n").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain("neither `docker compose` (v2) nor `docker-compose` (v1)");
    expect((err as UserError).hint).toContain("--db postgres://");
  });

  it("GIVEN the flavour is given THEN nothing is asked", async () => {
    const { exec, calls } = recorder({ v2: false, v1: false });
    const s = pgSession(platformWith(exec), { env: { PGUSER: "odoo" }, via: { ...VIA, flavour: "v2" } });
    await psql(s, "postgres", "SELECT 1;\n");
    expect(calls.map((c) => `${c.kind} ${c.cmd} ${c.args[0] ?? ""}`)).toEqual(["run docker compose"]);
  });

  it("GIVEN a host dump file WHEN restored into the container THEN pg_restore reads it on stdin (no host path in argv)", async () => {
    const { exec, calls } = recorder({ v2: true, v1: false });
    const written: string[] = [];
    const files = {
      createReadStream: () => {
        const p = new PassThrough();
        p.end("PGDMP...");
        return p;
      },
    };
    exec.spawn = async (cmd, args, opts) => {
      calls.push({ kind: "spawn", cmd, args, opts });
      const stdin = new PassThrough();
      stdin.on("data", (d: Buffer) => written.push(d.toString()));
      const stdout = new PassThrough();
      stdout.end();
      return { stdin, stdout, done: new Promise((r) => stdin.on("finish", () => r({ stdout: "" as const, stderr: "", exitCode: 0 }))), kill: () => undefined };
    };
    exec.run = serverAnswers(calls);
    const platform = { ...platformWith(exec), files: files as never, randomBytes: () => Buffer.from("00000000", "hex") };
    const s = pgSession(platform, { env: { PGUSER: "odoo" }, via: { ...VIA, flavour: "v2" } });
    await restoreIn(s, { format: "custom", path: "/tmp/spool/dump" }, { db: "acme_copy", jobs: 4 });
    const restore = calls.find((c) => c.kind === "spawn");
    expect(restore?.args.slice(-3)).toEqual(["pg_restore", "--no-owner", "--dbname=dbname='acme_copy__restoring_00000000'"]);
    expect(restore?.args.join(" ")).not.toContain("/tmp/spool");
    expect(written.join("")).toBe("PGDMP...");
  });

  it("GIVEN a dump still being spooled WHEN restored into the container THEN the schema comes from the spool's head (--section=pre-data), then data and post-data from the complete file on stdin", async () => {
    const { exec, calls } = recorder({ v2: true, v1: false });
    const fed: string[] = [];
    const files = {
      createReadStream: (path: string) => {
        const p = new PassThrough();
        p.end(`whole file ${path}`);
        return p;
      },
    };
    exec.spawn = async (cmd, args, opts) => {
      calls.push({ kind: "spawn", cmd, args, opts });
      const stdin = new PassThrough();
      const got: Buffer[] = [];
      stdin.on("data", (d: Buffer) => got.push(d));
      const stdout = new PassThrough();
      stdout.end();
      const done = new Promise<{ stdout: ""; stderr: string; exitCode: number }>((r) =>
        stdin.on("finish", () => {
          fed.push(Buffer.concat(got).toString());
          r({ stdout: "", stderr: "", exitCode: 0 });
        }),
      );
      return { stdin, stdout, done, kill: () => undefined };
    };
    exec.run = serverAnswers(calls);
    const platform = { ...platformWith(exec), files: files as never, randomBytes: () => Buffer.from("00000000", "hex") };
    const s = pgSession(platform, { env: { PGUSER: "odoo" }, via: { ...VIA, flavour: "v2" } });
    const head = () => {
      const p = new PassThrough();
      p.end("PGDMP toc");
      return p;
    };
    await restoreIn(s, { format: "custom", spooling: { head, rest: Promise.resolve({ format: "custom", path: "/tmp/spool/dump" }) } }, { db: "acme_copy", jobs: 4 });
    const restores = calls.filter((c) => c.kind === "spawn").map((c) => c.args.slice(c.args.indexOf("pg_restore")));
    expect(restores).toEqual([
      ["pg_restore", "--no-owner", "--dbname=dbname='acme_copy__restoring_00000000'", "--section=pre-data"],
      ["pg_restore", "--no-owner", "--dbname=dbname='acme_copy__restoring_00000000'", "--section=data", "--section=post-data"],
    ]);
    expect(fed).toEqual(["PGDMP toc", "whole file /tmp/spool/dump"]);
  });

  it("GIVEN a directory dump WHEN restored into the container THEN it is copied there (host tar into sh in the container), restored with -j from there, and removed", async () => {
    const calls: Call[] = [];
    const tarBytes: string[] = [];
    const exec: Exec = {
      run: serverAnswers(calls),
      async spawn(cmd, args, opts) {
        calls.push({ kind: "spawn", cmd, args, opts });
        const stdin = new PassThrough();
        const stdout = new PassThrough();
        if (cmd === "tar") stdout.end("TAR-STREAM");
        const isSh = args.includes("sh");
        if (isSh) stdin.on("data", (d: Buffer) => tarBytes.push(d.toString()));
        const done = new Promise<{ stdout: ""; stderr: string; exitCode: number }>((resolve) => {
          if (cmd === "tar") resolve({ stdout: "", stderr: "", exitCode: 0 });
          else
            stdin.on("finish", () => {
              if (isSh) stdout.end("/tmp/doodba-ops-restore.Ab12Cd\n");
              else stdout.end();
              resolve({ stdout: "", stderr: "", exitCode: 0 });
            });
        });
        return { stdin, stdout, done, kill: () => undefined };
      },
      async which() {
        return false;
      },
    };
    const s = pgSession({ ...platformWith(exec), randomBytes: () => Buffer.alloc(4) }, { env: { PGUSER: "odoo", PGPASSWORD: PASSWORD }, via: { ...VIA, files: ["prod.yaml"], flavour: "v2" } });
    await restoreIn(s, { format: "directory", dir: "/tmp/fetched/dump" }, { db: "acme_copy", jobs: 3 });
    const spawned = calls.filter((c) => c.kind === "spawn");
    expect(spawned.map((c) => c.cmd)).toEqual(["tar", "docker", "docker"]);
    expect(spawned[0]?.args).toEqual(["-c", "-f", "-", "-C", "/tmp/fetched/dump", "."]);
    const prefix = ["compose", "--project-directory", "/srv/acme", "-f", "/srv/acme/prod.yaml", "-p", "acme", "exec", "-T", "-e", "PGAPPNAME", "-e", "PGPASSWORD", "-e", "PGUSER", "db"];
    expect(spawned[1]?.args).toEqual([...prefix, "sh", "-c", 'set -e; d=$(mktemp -d "${TMPDIR:-/tmp}/doodba-ops-restore.XXXXXX"); tar -x -f - -C "$d"; echo "$d"']);
    expect(tarBytes.join("")).toBe("TAR-STREAM");
    expect(spawned[2]?.args).toEqual([...prefix, "pg_restore", "--no-owner", "--dbname=dbname='acme_copy__restoring_00000000'", "--jobs=3", "--format=directory", "/tmp/doodba-ops-restore.Ab12Cd"]);
    // the copy is removed afterwards, inside the container
    const rm = calls.find((c) => c.kind === "run" && c.args.includes("rm -rf -- \"$1\""));
    expect(rm?.args).toEqual([...prefix, "sh", "-c", 'rm -rf -- "$1"', "sh", "/tmp/doodba-ops-restore.Ab12Cd"]);
    for (const c of calls) expect(c.args.join(" ")).not.toContain(PASSWORD);
  });

  it("GIVEN the db container is not running THEN the error names the service and says how to start it", () => {
    const s = pgSession(platformWith(recorder({ v2: true, v1: true }).exec), { env: { PGUSER: "odoo", PGPASSWORD: PASSWORD }, via: VIA });
    const e = toolError(s, "pg_dump", 'dump of database "acme_prod"', { exitCode: 1, stderr: `service "db" is not running\n` });
    expect(e.message).toBe('dump of database "acme_prod" failed (pg_dump exit 1) on service db (docker compose exec, local socket as odoo):\nservice "db" is not running');
    expect(e.hint).toBe("Start the database first: docker compose up -d db (in /srv/acme).");
    const v2 = toolError(s, "psql", "SQL", { exitCode: 1, stderr: "ERROR: No container found for db_1\n" });
    expect(v2.hint).toContain("docker compose up -d db");
    // docker-compose v1 (1.29) exits 1 and prints nothing when the container is stopped
    const v1 = toolError(s, "psql", "SQL", { exitCode: 1, stderr: "" });
    expect(v1.message).toBe("SQL failed (psql exit 1) on service db (docker compose exec, local socket as odoo):\nno error output (docker compose exec prints none when service db has no running container)");
    expect(v1.hint).toBe("Start the database first: docker compose up -d db (in /srv/acme).");
  });

  it("GIVEN a URL as well THEN its user and password are used, its host, port and sslmode are not (the container's socket)", () => {
    const r = resolveConn({ url: "postgres://admin:pw-123@db.example:6432/prod?sslmode=require", via: VIA }, { PGHOST: "x" });
    expect(r.pgEnv).toEqual({ PGAPPNAME: "doodba-ops", PGUSER: "admin", PGPASSWORD: "pw-123", PGDATABASE: "prod" });
    expect(r.secrets).toEqual(["pw-123"]);
    expect(r.via).toBe(VIA);
  });
});
