/**
 * The `backup:` section of .doodba-ops.yaml: parsed with positions, every mistake a UserError at
 * file:line:col; the check loader lets the section through.
 */
import { describe, expect, it } from "vitest";
import { parseBackupConfig } from "../../../src/backup/config.js";
import { parseCheckConfig } from "../../../src/check/config.js";
import { UserError } from "../../../src/errors.js";

function fails(text: string): UserError {
  try {
    parseBackupConfig(text, ".doodba-ops.yaml", { baseDir: "/srv/acme", home: "/home/ops" });
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error("expected a UserError");
}

describe("parseBackupConfig", () => {
  it("GIVEN every key THEN typed settings; relative and ~/ identity files become absolute", () => {
    const c = parseBackupConfig(
      `check:
  fail-on: warning
backup:
  repo: s3://acme-backups/prod?endpoint=https://minio.example.com&region=us-east-1
  identity-file: keys/age.key
  env: staging
  retention:
    keep-last: 2
    keep-daily: 7
  tags:
    project: acme
    site: paris
  dump-format: directory
`,
      ".doodba-ops.yaml",
      { baseDir: "/srv/acme", home: "/home/ops" },
    );
    expect(c).toEqual({
      file: ".doodba-ops.yaml",
      repo: "s3://acme-backups/prod?endpoint=https://minio.example.com&region=us-east-1",
      identityFile: "/srv/acme/keys/age.key",
      env: "staging",
      retention: { keepLast: 2, keepDaily: 7, keepWeekly: 0, keepMonthly: 0 },
      tags: { project: "acme", site: "paris" },
      dumpFormat: "directory",
    });
    expect(parseBackupConfig("backup:\n  identityFile: ~/.config/doodba-ops/age.key\n  dumpFormat: auto\n  retention: {keepLast: 1}\n", ".doodba-ops.yaml", { home: "/home/ops" })).toMatchObject({
      identityFile: "/home/ops/.config/doodba-ops/age.key",
      dumpFormat: "auto",
      retention: { keepLast: 1 },
    });
  });

  it("GIVEN no backup section, or an empty file THEN nothing is set", () => {
    expect(parseBackupConfig("deploy:\n  strategy: recreate\n")).toEqual({ file: ".doodba-ops.yaml", tags: {} });
    expect(parseBackupConfig("")).toEqual({ file: ".doodba-ops.yaml", tags: {} });
  });

  it("GIVEN an unknown key THEN a UserError at its line and column naming the valid keys", () => {
    const e = fails("backup:\n  repo: /srv/backups\n  retension:\n    keep-last: 1\n");
    expect(e.message).toContain('Unknown key "retension" in backup');
    expect(e.pos).toEqual({ file: ".doodba-ops.yaml", line: 3, col: 3 });
    expect(e.hint).toContain("retention");
  });

  it("GIVEN invalid values THEN each is refused where it is written", () => {
    expect(fails("backup:\n  dump-format: tar\n").pos?.line).toBe(2);
    expect(fails("backup:\n  retention:\n    keep-last: -1\n").message).toContain("keep-last must be a whole number >= 0");
    expect(fails("backup:\n  retention:\n    keep-last: 0\n").message).toContain("keeps nothing");
    expect(fails("backup:\n  tags: [a, b]\n").message).toContain("backup.tags must be a mapping");
    expect(fails("backup:\n  repo: [a]\n").message).toContain("backup.repo must be a non-empty string");
    expect(fails("backup:\n  repo: /x\n  repo: /y\n").message).toContain("not valid YAML");
    expect(fails("backup:\n  identity-file: a\n  identityFile: b\n").message).toContain("given twice");
  });

  it("GIVEN ${VAR}, credentials in the URL or a key in place of a path THEN refused with the safe alternative", () => {
    const v = fails("backup:\n  repo: s3://${BUCKET}/prod\n");
    expect(v.message).toContain("does not expand");
    expect(v.hint).toContain("DOODBA_OPS_REPO");
    expect(fails("backup:\n  repo: s3://AKIA:secret@bucket/prod\n").message).toContain("must not carry credentials");
    expect(fails("backup:\n  identity-file: AGE-SECRET-KEY-1QQQQ\n").message).toContain("holds an age identity itself");
  });
});

describe("the check config", () => {
  it("GIVEN a backup section THEN check's loader accepts the file", () => {
    expect(parseCheckConfig("backup:\n  repo: /srv/backups\ncheck:\n  fail-on: warning\n").failOn).toBe("warning");
  });
});
