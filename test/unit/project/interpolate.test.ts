import { describe, expect, it } from "vitest";
import { interpolateString } from "../../../src/project/compose/interpolate.js";
import { UserError } from "../../../src/errors.js";
import { parseDotEnv } from "../../../src/project/dotenv.js";
import { splitShell } from "../../../src/project/compose/shell.js";

const vars = { SET: "value", EMPTY: "" };
const I = (s: string) => interpolateString(s, { vars });

describe("compose interpolation", () => {
  it("substitutes $VAR and ${VAR}", () => {
    expect(I("a-$SET-b")).toBe("a-value-b");
    expect(I("${SET}x")).toBe("valuex");
    expect(I("$UNSET.")).toBe(".");
  });
  it("applies :- and - defaults with Compose's empty-vs-unset distinction", () => {
    expect(I("${EMPTY:-d}")).toBe("d");
    expect(I("${EMPTY-d}")).toBe("");
    expect(I("${UNSET-d}")).toBe("d");
    expect(I("${SET:-d}")).toBe("value");
    expect(I("${UNSET:-${SET}}")).toBe("value");
  });
  it("applies :+ and + alternatives", () => {
    expect(I("${SET:+alt}")).toBe("alt");
    expect(I("${EMPTY:+alt}")).toBe("");
    expect(I("${EMPTY+alt}")).toBe("alt");
  });
  it("turns $$ into a literal $", () => {
    expect(I("^prod$$")).toBe("^prod$");
    expect(I("$$SET")).toBe("$SET");
  });
  it("fails on :? and ? with the message and position", () => {
    const pos = { file: "prod.yaml", line: 3, col: 9 };
    let err: unknown;
    try {
      interpolateString("${EMPTY:?set EMPTY please}", { vars }, pos);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain("set EMPTY please");
    expect((err as UserError).pos).toEqual(pos);
    expect(I("${EMPTY?x}")).toBe("");
    expect(() => I("${UNSET?needed}")).toThrow(/UNSET is not set: needed/);
  });
  it("rejects malformed expressions", () => {
    expect(() => I("${SET")).toThrow(/unclosed/);
    expect(() => I("${1BAD}")).toThrow(/bad variable name/);
    expect(() => I("cost $5")).toThrow(/Invalid interpolation/);
  });
  it("reports each unset variable through onUnset", () => {
    const seen: string[] = [];
    interpolateString("$A ${B:-x} ${C-}", { vars: {}, onUnset: (n) => seen.push(n) });
    expect(seen).toEqual(["A"]);
  });
});

describe(".env parsing (Compose semantics)", () => {
  it("parses quotes, export, comments and bare keys with positions", () => {
    const entries = parseDotEnv(
      ['# comment', 'A=1', 'export B="two words" ', "C='lit $X'", "D=val # inline", "E", 'F="line1\\nline2"', "G="].join("\n"),
      ".env",
    );
    const m = Object.fromEntries(entries.map((e) => [e.key, e.value]));
    expect(m).toEqual({ A: "1", B: "two words", C: "lit $X", D: "val", E: undefined, F: "line1\nline2", G: "" });
    expect(entries.find((e) => e.key === "D")?.pos).toEqual({ file: ".env", line: 5, col: 1 });
  });
  it("rejects invalid lines with the line number", () => {
    expect(() => parseDotEnv("GOOD=1\nnot a var line\n", ".docker/odoo.env")).toThrow(/line 2 of \.docker\/odoo\.env/);
  });
});

describe("shell splitting of string commands", () => {
  it("splits like a POSIX shell", () => {
    expect(splitShell(`odoo --workers=2 -c "/etc/my conf" 'a b' c\\ d`)).toEqual(["odoo", "--workers=2", "-c", "/etc/my conf", "a b", "c d"]);
  });
});
