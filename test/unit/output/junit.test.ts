import { describe, expect, it } from "vitest";
import { attr, renderJunit, text } from "../../../src/cli/output/junit.js";
import { cleanReport, sampleReport } from "./sample-report.js";

/** A minimal XML 1.0 well-formedness checker that builds an element tree (no DTDs, no namespaces). */
interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e.startsWith("#x")) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith("#")) return String.fromCodePoint(Number.parseInt(e.slice(1), 10));
    return { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[e] ?? "";
  });
}

function checkChars(s: string, where: string): void {
  if (/&(?!(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);)/.test(s)) throw new Error(`bad entity in ${where}: ${s}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(s)) throw new Error(`control character in ${where}`);
}

function parseXml(xml: string): El {
  let i = 0;
  const decl = /^<\?xml[^?]*\?>\s*/.exec(xml);
  if (decl) i = decl[0].length;
  const root: El = { name: "#doc", attrs: {}, children: [], text: "" };
  const stack: El[] = [root];
  const NAME = "[A-Za-z_][\\w.-]*";
  while (i < xml.length) {
    const top = stack[stack.length - 1] as El;
    if (xml.startsWith("<!--", i)) {
      const end = xml.indexOf("-->", i);
      if (end < 0) throw new Error("unclosed comment");
      i = end + 3;
    } else if (xml.startsWith("</", i)) {
      const m = new RegExp(`^</(${NAME})\\s*>`).exec(xml.slice(i));
      if (!m) throw new Error(`bad end tag at ${i}`);
      if (m[1] !== top.name) throw new Error(`</${m[1]}> closes <${top.name}>`);
      stack.pop();
      i += m[0].length;
    } else if (xml[i] === "<") {
      const m = new RegExp(`^<(${NAME})((?:\\s+${NAME}\\s*=\\s*"[^"<]*")*)\\s*(/?)>`).exec(xml.slice(i));
      if (!m) throw new Error(`bad start tag at ${i}: ${xml.slice(i, i + 60)}`);
      const el: El = { name: m[1] ?? "", attrs: {}, children: [], text: "" };
      for (const a of (m[2] ?? "").matchAll(new RegExp(`(${NAME})\\s*=\\s*"([^"]*)"`, "g"))) {
        const [, k = "", v = ""] = a;
        if (k in el.attrs) throw new Error(`duplicate attribute ${k}`);
        checkChars(v, `attribute ${k}`);
        el.attrs[k] = decode(v);
      }
      if (stack.length === 1 && root.children.length > 0) throw new Error("two root elements");
      top.children.push(el);
      if (m[3] !== "/") stack.push(el);
      i += m[0].length;
    } else {
      const end = xml.indexOf("<", i);
      const chunk = xml.slice(i, end < 0 ? xml.length : end);
      if (stack.length === 1 && chunk.trim() !== "") throw new Error("text outside the root element");
      if (chunk.includes(">") && /]]>/.test(chunk)) throw new Error("]]> in text");
      checkChars(chunk, `text of <${top.name}>`);
      top.text += decode(chunk);
      i += chunk.length;
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]?.name}>`);
  const only = root.children[0];
  if (!only) throw new Error("no root element");
  return only;
}

const kids = (el: El | undefined, name: string): El[] => (el?.children ?? []).filter((c) => c.name === name);

describe("renderJunit", () => {
  it("GIVEN a report WHEN rendering THEN it is well-formed XML with one suite per env plus project", () => {
    const xml = renderJunit(sampleReport());
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    const root = parseXml(xml);
    expect(root.name).toBe("testsuites");
    expect(kids(root, "testsuite").map((s) => s.attrs.name)).toEqual(["devel", "test", "prod", "project"]);
  });

  it("GIVEN fail-on error WHEN rendering THEN only the error is a failure; warnings go to system-out; counts add up", () => {
    const root = parseXml(renderJunit(sampleReport()));
    const suites = kids(root, "testsuite");
    for (const s of suites) {
      const cases = kids(s, "testcase");
      expect(Number(s.attrs.tests)).toBe(cases.length);
      expect(Number(s.attrs.failures)).toBe(cases.filter((c) => kids(c, "failure").length > 0).length);
      expect(Number(s.attrs.errors)).toBe(cases.filter((c) => kids(c, "error").length > 0).length);
    }
    const sum = (k: string): number => suites.reduce((n, s) => n + Number(s.attrs[k]), 0);
    expect(Number(root.attrs.tests)).toBe(sum("tests"));
    expect(Number(root.attrs.failures)).toBe(1);
    expect(Number(root.attrs.errors)).toBe(1);

    const prod = suites.find((s) => s.attrs.name === "prod");
    expect(kids(prod, "testcase").map((c) => c.attrs.name)).toEqual(["image-unpinned", "list-db-enabled", "workers-zero"]);
    const failure = kids(kids(prod, "testcase")[1], "failure")[0];
    expect(failure?.attrs).toEqual({ message: 'LIST_DB is "true" on service odoo', type: "error" });
    expect(failure?.text).toBe('prod.yaml:12:7\nLIST_DB is "true" on service odoo\nfix: Set LIST_DB: "false" on odoo.');
    const workers = kids(prod, "testcase")[2];
    expect(kids(workers, "system-out")[0]?.text).toContain("warning: odoo/custom/conf.d/20-workers.conf:2:1 workers=0 on odoo");
  });

  it("GIVEN fail-on warning WHEN rendering THEN warnings become failures too", () => {
    const root = parseXml(renderJunit(sampleReport({ failOn: "warning" })));
    // image-unpinned in devel, test and prod; workers-zero and list-db-enabled in prod
    expect(Number(root.attrs.failures)).toBe(5);
  });

  it("GIVEN a crashed rule WHEN rendering THEN its testcase has an <error>", () => {
    const root = parseXml(renderJunit(sampleReport()));
    const test = kids(root, "testsuite").find((s) => s.attrs.name === "test");
    const tc = kids(test, "testcase").find((c) => c.attrs.name === "workers-zero");
    expect(kids(tc, "error")[0]?.attrs).toEqual({ message: "boom <here>", type: "rule-crash" });
  });

  it("GIVEN suppressed and project findings WHEN rendering THEN they are system-out text", () => {
    const root = parseXml(renderJunit(sampleReport()));
    const devel = kids(root, "testsuite").find((s) => s.attrs.name === "devel");
    const secret = kids(devel, "testcase").find((c) => c.attrs.name === "secret-inline");
    expect(kids(secret, "system-out")[0]?.text).toMatch(/^suppressed \(inline: devel only\) warning: devel\.yaml:5:7/);
    const project = kids(root, "testsuite").find((s) => s.attrs.name === "project");
    expect(kids(kids(project, "testcase")[0], "system-out")[0]?.text).toBe(
      "info: (project) No backup service in any environment (fix: Fix for no-backup.)",
    );
  });

  it("GIVEN markup, quotes and control characters WHEN escaping THEN the XML stays well-formed and round-trips", () => {
    const nasty = `a < b && c > "d" 'e' \u0001 ]]> \ud800 end\nline2\ttab`;
    const xml = `<r x="${attr(nasty)}">${text(nasty)}</r>`;
    const el = parseXml(xml);
    expect(el.attrs.x).toBe(`a < b && c > "d" 'e' \ufffd ]]> \ufffd end\nline2\ttab`);
    expect(el.text).toBe(`a < b && c > "d" 'e' \ufffd ]]> \ufffd end\nline2\ttab`);
  });

  it("GIVEN a clean report WHEN rendering THEN every testcase passes", () => {
    const root = parseXml(renderJunit(cleanReport()));
    expect(root.attrs).toMatchObject({ tests: "4", failures: "0", errors: "0" });
    expect(kids(root, "testsuite").map((s) => s.attrs.name)).toEqual(["devel", "prod"]);
  });
});
