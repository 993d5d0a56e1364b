import { describe, expect, it } from "vitest";
import { applySuppressions, parseIgnoreComments } from "../../../src/check/suppress.js";
import type { IgnoreEntry } from "../../../src/check/config.js";
import type { Finding } from "../../../src/check/types.js";
import { DIR, memFs } from "./fake-project.js";

const KNOWN = ["list-db-enabled", "inline-secret-in-compose", "image-unpinned", "workers-zero"];

function finding(ruleId: string, file: string, line: number, col = 1): Finding {
  return {
    ruleId,
    category: "security",
    severity: "error",
    title: "t",
    message: `${ruleId} at ${file}:${line}`,
    fix: "f",
    pos: { file, line, col },
    env: "prod",
    envs: ["prod"],
  };
}

const PROD = [
  "services:", //                                                          1
  "  odoo:", //                                                             2
  "    environment:", //                                                    3
  "      # doodba-ops: ignore[list-db-enabled] -- behind the VPN", //       4
  '      LIST_DB: "true"', //                                               5
  "      PGPASSWORD: secret # doodba-ops: ignore[inline-secret-in-compose]", // 6
  "      SMTP_PASSWORD: secret2", //                                        7
  "    image: odoo:latest", //                                              8
  "", //                                                                    9
].join("\n");

describe("parseIgnoreComments", () => {
  it("GIVEN comments with several ids, a wildcard and reasons WHEN parsing THEN each is read", () => {
    const text = [
      "# doodba-ops: ignore[a, b] -- two rules",
      "x: 1 # doodba-ops: ignore[*]",
      "; doodba-ops: ignore-file[workers-zero] -- tuned by hand",
      "#doodba-ops:ignore[c]",
      "url: http://example.com/#doodba-ops: ignore[d]",
    ].join("\n");
    expect(parseIgnoreComments(text, "f")).toEqual([
      { ids: ["a", "b"], fileWide: false, reason: "two rules", pos: { file: "f", line: 1, col: 1 } },
      { ids: ["*"], fileWide: false, pos: { file: "f", line: 2, col: 6 } },
      { ids: ["workers-zero"], fileWide: true, reason: "tuned by hand", pos: { file: "f", line: 3, col: 1 } },
      { ids: ["c"], fileWide: false, pos: { file: "f", line: 4, col: 1 } },
    ]);
  });
});

describe("applySuppressions: inline comments", () => {
  it("GIVEN a comment on the line above WHEN applying THEN the finding is suppressed with its reason", () => {
    const res = applySuppressions([finding("list-db-enabled", "prod.yaml", 5, 16)], {
      fs: memFs({ "prod.yaml": PROD }),
      dir: DIR,
      knownIds: KNOWN,
    });
    expect(res.findings).toEqual([]);
    expect(res.suppressed).toEqual([
      {
        finding: expect.objectContaining({ ruleId: "list-db-enabled" }),
        by: "inline",
        reason: "behind the VPN",
        at: { file: "prod.yaml", line: 4, col: 7 },
      },
    ]);
  });

  it("GIVEN a trailing comment WHEN applying THEN it covers its own line, not two lines below", () => {
    const res = applySuppressions(
      [
        finding("inline-secret-in-compose", "prod.yaml", 6, 19),
        finding("inline-secret-in-compose", "prod.yaml", 8, 1), // two lines below: still active
      ],
      { fs: memFs({ "prod.yaml": PROD }), dir: DIR, knownIds: KNOWN },
    );
    expect(res.suppressed.map((s) => s.finding.pos?.line)).toEqual([6]);
    expect(res.findings.map((f) => f.pos?.line)).toEqual([8]);
  });

  it("GIVEN a comment for another rule WHEN applying THEN the finding stays", () => {
    const res = applySuppressions([finding("image-unpinned", "prod.yaml", 5)], {
      fs: memFs({ "prod.yaml": PROD }),
      dir: DIR,
      knownIds: KNOWN,
    });
    expect(res.findings).toHaveLength(1);
  });

  it("GIVEN an ini file with `;` comments and ignore-file WHEN applying THEN every line of the file is covered", () => {
    const conf = [
      "; doodba-ops: ignore-file[workers-zero] -- sized by the host",
      "[options]",
      "workers = 0",
      "; doodba-ops: ignore[list-db-enabled]",
      "list_db = True",
      "",
    ].join("\n");
    const res = applySuppressions(
      [
        finding("workers-zero", "odoo/custom/conf.d/50-workers.conf", 3),
        finding("list-db-enabled", "odoo/custom/conf.d/50-workers.conf", 5),
        finding("image-unpinned", "odoo/custom/conf.d/50-workers.conf", 5),
      ],
      { fs: memFs({ "odoo/custom/conf.d/50-workers.conf": conf }), dir: DIR, knownIds: KNOWN },
    );
    expect(res.suppressed.map((s) => [s.finding.ruleId, s.reason])).toEqual([
      ["workers-zero", "sized by the host"],
      ["list-db-enabled", undefined],
    ]);
    expect(res.findings.map((f) => f.ruleId)).toEqual(["image-unpinned"]);
  });

  it("GIVEN ignore[*] WHEN applying THEN every rule on that line is suppressed", () => {
    const text = "services:\n  odoo:  # doodba-ops: ignore[*]\n    image: odoo\n";
    const res = applySuppressions([finding("image-unpinned", "prod.yaml", 3), finding("list-db-enabled", "prod.yaml", 2)], {
      fs: memFs({ "prod.yaml": text }),
      dir: DIR,
      knownIds: KNOWN,
    });
    expect(res.findings).toEqual([]);
    expect(res.suppressed).toHaveLength(2);
  });

  it("GIVEN many findings in one file WHEN applying THEN the file is read once", () => {
    const fs = memFs({ "prod.yaml": PROD });
    applySuppressions(
      [1, 2, 3, 4, 5].map((l) => finding("image-unpinned", "prod.yaml", l)),
      { fs, dir: DIR, knownIds: KNOWN, extraFiles: ["prod.yaml"] },
    );
    expect(fs.reads.get(`${DIR}/prod.yaml`)).toBe(1);
  });

  it("GIVEN a finding in a file that cannot be read WHEN applying THEN it stays active", () => {
    const res = applySuppressions([finding("image-unpinned", "gone.yaml", 1)], { fs: memFs({}), dir: DIR, knownIds: KNOWN });
    expect(res.findings).toHaveLength(1);
  });

  it("GIVEN an ignore comment naming an unknown rule WHEN applying THEN a warning diagnostic suggests the right id", () => {
    const text = "services:\n  odoo:\n    # doodba-ops: ignore[list-db-enable]\n    image: x\n";
    const res = applySuppressions([], {
      fs: memFs({ "test.yaml": text }),
      dir: DIR,
      knownIds: KNOWN,
      extraFiles: ["test.yaml"],
    });
    expect(res.diagnostics).toEqual([
      {
        level: "warning",
        message: 'Ignore comment names unknown rule "list-db-enable" (did you mean "list-db-enabled"?)',
        pos: { file: "test.yaml", line: 3, col: 5 },
      },
    ]);
  });
});

describe("applySuppressions: config entries", () => {
  const entry = (rule: string, paths?: string[], reason?: string): IgnoreEntry => ({
    rule,
    ...(paths ? { paths } : {}),
    ...(reason ? { reason } : {}),
    pos: { file: ".doodba-ops.yaml", line: 3, col: 7 },
  });

  it("GIVEN a path glob WHEN applying THEN only matching files are suppressed", () => {
    const res = applySuppressions(
      [
        finding("inline-secret-in-compose", "devel.yaml", 4),
        finding("inline-secret-in-compose", "prod.yaml", 4),
        finding("inline-secret-in-compose", "odoo/custom/conf.d/10-x.conf", 1),
      ],
      {
        fs: memFs({}),
        dir: DIR,
        knownIds: KNOWN,
        ignore: [entry("inline-secret-in-compose", ["devel.yaml", "odoo/custom/**"], "devel only")],
      },
    );
    expect(res.suppressed.map((s) => [s.by, s.finding.pos?.file, s.reason, s.at?.line])).toEqual([
      ["config", "devel.yaml", "devel only", 3],
      ["config", "odoo/custom/conf.d/10-x.conf", "devel only", 3],
    ]);
    expect(res.findings.map((f) => f.pos?.file)).toEqual(["prod.yaml"]);
  });

  it("GIVEN an entry without paths WHEN applying THEN the rule is suppressed everywhere, even without a position", () => {
    const noPos: Finding = { ...finding("image-unpinned", "x", 1), pos: undefined };
    delete noPos.pos;
    const res = applySuppressions([finding("image-unpinned", "prod.yaml", 1), noPos], {
      fs: memFs({}),
      dir: DIR,
      knownIds: KNOWN,
      ignore: [entry("image-unpinned")],
    });
    expect(res.findings).toEqual([]);
    expect(res.suppressed).toHaveLength(2);
  });

  it("GIVEN rule '*' with a dotfile glob WHEN applying THEN any rule in those paths is suppressed", () => {
    const res = applySuppressions([finding("image-unpinned", ".docker/odoo.env", 1), finding("image-unpinned", "prod.yaml", 1)], {
      fs: memFs({}),
      dir: DIR,
      knownIds: KNOWN,
      ignore: [entry("*", [".docker/*"])],
    });
    expect(res.findings.map((f) => f.pos?.file)).toEqual(["prod.yaml"]);
  });
});
