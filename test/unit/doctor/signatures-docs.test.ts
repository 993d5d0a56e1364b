/**
 * docs/doctor-signatures.md is generated from the catalog and must not go stale.
 * Refresh: UPDATE_GOLDEN=1 npx vitest run test/unit/doctor/signatures-docs.test.ts
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SIGNATURES, renderSignaturesMarkdown, renderSignaturesTable } from "../../../src/doctor/signatures/index.js";
import { REPO_ROOT } from "../../helpers/project.js";

const DOC = join(REPO_ROOT, "docs", "doctor-signatures.md");

describe("signature docs", () => {
  it("docs/doctor-signatures.md is the generated markdown (not stale)", () => {
    const md = renderSignaturesMarkdown(SIGNATURES);
    if (process.env.UPDATE_GOLDEN) writeFileSync(DOC, md);
    expect(readFileSync(DOC, "utf8"), "docs/doctor-signatures.md is stale: run UPDATE_GOLDEN=1 npx vitest run test/unit/doctor/signatures-docs.test.ts").toBe(md);
  });

  it("documents every signature with its fix, and renders the same bytes twice", () => {
    const md = renderSignaturesMarkdown(SIGNATURES);
    for (const s of SIGNATURES) {
      expect(md).toContain(`### ${s.id}`);
      expect(md).toContain(s.fix.trim());
    }
    expect(renderSignaturesMarkdown([...SIGNATURES].reverse())).toBe(md);
    expect(renderSignaturesTable(SIGNATURES)).toMatch(new RegExp(`${SIGNATURES.length} signatures \\(`));
  });
});
