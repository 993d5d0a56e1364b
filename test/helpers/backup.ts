/**
 * What the backup tests compare between a source and a restore: exact row counts of every user
 * table, a checksum of a table's rows, and the sha256 of every file of a folder. `psql` runs one
 * statement in a database and returns psql's unaligned output (the harness's cluster, or psql
 * inside a container).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";

export type Psql = (db: string, sql: string) => string;

/** Exact count(*) of every table of the user schemas, keyed and counted as the manifests record them (schema.table, ONLY: a parent table's own rows). */
export function rowCounts(psql: Psql, db: string): Record<string, number> {
  const out: Record<string, number> = {};
  const rows = psql(
    db,
    `SELECT schemaname || '.' || relname,
            (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM ONLY %I.%I', schemaname, relname), false, true, '')))[1]::text
       FROM pg_stat_user_tables ORDER BY 1`,
  );
  for (const line of rows.trim().split("\n").filter(Boolean)) {
    const [t, n] = line.split("|");
    out[t ?? ""] = Number(n);
  }
  return out;
}

/** md5 of a table's rows in id order: equal means the same content. */
export function tableChecksum(psql: Psql, db: string, table: string): string {
  return psql(db, `SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM ${table} t`).trim();
}

/** sha256 of every file under `dir`, by '/'-separated relative path. */
export function fileHashes(dir: string, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, fileHashes(dir, rel));
    else out[rel] = createHash("sha256").update(readFileSync(join(dir, rel))).digest("hex");
  }
  return out;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs of the built CLI (`bin`) in a fresh process with the environment `envOf()` gives at call
 * time. Whatever a command prints is checked to hold none of `secrets` and no age secret key.
 * `ok` also expects exit 0.
 */
export function cliRunner(bin: string, envOf: () => Record<string, string>, secrets: readonly string[]): { cli: (args: string[], extraEnv?: Record<string, string>) => Run; ok: (args: string[], extraEnv?: Record<string, string>) => Run } {
  const cli = (args: string[], extraEnv: Record<string, string> = {}): Run => {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 120_000, env: { ...envOf(), ...extraEnv }, input: "" });
    const out = { code: r.status, stdout: r.stdout, stderr: r.stderr };
    for (const s of secrets) expect(out.stdout + out.stderr).not.toContain(s);
    expect(out.stdout + out.stderr).not.toMatch(/AGE-SECRET-KEY-1[0-9A-Z]{20,}/);
    return out;
  };
  const ok = (args: string[], extraEnv: Record<string, string> = {}): Run => {
    const r = cli(args, extraEnv);
    expect(r.code, `${args.join(" ")}\n${r.stderr}`).toBe(0);
    return r;
  };
  return { cli, ok };
}
