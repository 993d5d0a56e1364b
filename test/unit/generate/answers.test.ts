/**
 * init answers: the answers file (parse with positions, render, round trip), defaults, what is
 * missing, and the validation rules shared by the file, the flags and the wizard.
 */
import { describe, expect, it } from "vitest";
import {
  answerProblems,
  answerWarnings,
  checkBackupDestination,
  checkCidr,
  checkDomain,
  checkEmail,
  checkPostgresVersion,
  completeAnswers,
  defaultAnswers,
  defaultPostgresVersion,
  locator,
  mergePartial,
  parseAnswers,
  parseAnswersFile,
  pathKey,
  postgresChoices,
  renderAnswers,
  slugify,
  validateAnswers,
} from "../../../src/generate/answers.js";
import type { InitAnswers } from "../../../src/generate/types.js";
import { UserError } from "../../../src/errors.js";

const NOW = new Date("2026-11-27T00:00:00Z");
const OPTS = { now: NOW, dirName: "acme" };
const FILE = "answers.yaml";

const COMPLETE = `project_name: acme-erp
odoo_version: 17.0
postgres_version: 16
proxy: nginx
proxy_bundled: false
environments:
  devel:
    kind: devel
    domains: []
    tls: none
  test:
    kind: test
    domains: [test.erp.example.com]
    tls: self-signed
  prod:
    kind: prod
    domains:
      - erp.example.com
      - www.erp.example.com
    tls: letsencrypt
letsencrypt_email: ops@example.com
db_manager_allow: [203.0.113.0/24, "2001:db8::/32"]
host: {cpus: 8, ram_gib: 16}
users: 60
smtp: {host: smtp.example.com, port: 587, user: odoo@example.com, security: starttls}
email_from: odoo@example.com
backup_destination: boto3+s3://acme-backups/erp
`;

function complete(over: Partial<InitAnswers> = {}): InitAnswers {
  return {
    projectName: "acme",
    odooVersion: "18.0",
    postgresVersion: "17",
    proxy: "traefik",
    proxyBundled: true,
    envs: [
      { name: "devel", kind: "devel", domains: [], tls: "none" },
      { name: "test", kind: "test", domains: ["test.erp.example.com"], tls: "self-signed" },
      { name: "prod", kind: "prod", domains: ["erp.example.com"], tls: "letsencrypt" },
    ],
    letsencryptEmail: "ops@example.com",
    dbManagerAllow: [],
    host: { cpus: 4, ramGiB: 8 },
    users: 25,
    emailFrom: "odoo@erp.example.com",
    backupDestination: "s3://acme-backups/erp",
    ...over,
  };
}

/** Runs fn, expects a UserError, returns it. */
function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error("expected a UserError, got none");
}

/** Replaces one line of COMPLETE (by its start) with another. */
function withLine(start: string, line: string): string {
  const lines = COMPLETE.split("\n");
  const i = lines.findIndex((l) => l.startsWith(start));
  if (i < 0) throw new Error(`no line starting with ${start}`);
  lines[i] = line;
  return lines.join("\n");
}

describe("parseAnswers", () => {
  it("GIVEN a complete file with unquoted versions WHEN parsed THEN the answers are typed and normalised", () => {
    const a = parseAnswers(COMPLETE, FILE, OPTS);
    expect(a).toEqual({
      projectName: "acme-erp",
      odooVersion: "17.0",
      postgresVersion: "16",
      proxy: "nginx",
      proxyBundled: false,
      envs: [
        { name: "devel", kind: "devel", domains: [], tls: "none" },
        { name: "test", kind: "test", domains: ["test.erp.example.com"], tls: "self-signed" },
        { name: "prod", kind: "prod", domains: ["erp.example.com", "www.erp.example.com"], tls: "letsencrypt" },
      ],
      letsencryptEmail: "ops@example.com",
      dbManagerAllow: ["203.0.113.0/24", "2001:db8::/32"],
      host: { cpus: 8, ramGiB: 16 },
      users: 60,
      smtp: { host: "smtp.example.com", port: 587, user: "odoo@example.com", security: "starttls" },
      emailFrom: "odoo@example.com",
      backupDestination: "boto3+s3://acme-backups/erp",
    });
  });

  it("GIVEN a typo in a key WHEN parsed THEN the error points at it and suggests the right key", () => {
    const e = userError(() => parseAnswers(withLine("letsencrypt_email", "letsencrypt_mail: ops@example.com"), FILE, OPTS));
    expect(e.message).toContain('Unknown key "letsencrypt_mail"');
    expect(e.pos).toEqual({ file: FILE, line: 21, col: 1 });
    expect(e.hint).toContain('Did you mean "letsencrypt_email"?');
  });

  it("GIVEN an unknown key inside an environment WHEN parsed THEN it is an error at that key", () => {
    const e = userError(() => parseAnswers(withLine("    tls: self-signed", "    tsl: self-signed"), FILE, OPTS));
    expect(e.message).toBe('Unknown key "tsl" in environments.test');
    expect(e.pos).toMatchObject({ line: 14, col: 5 });
    expect(e.hint).toContain('"tls"');
  });

  it("GIVEN an invalid domain in a list WHEN parsed THEN the error is at that list item with what is valid", () => {
    const e = userError(() => parseAnswers(withLine("      - www.erp.example.com", "      - https://www.erp.example.com"), FILE, OPTS));
    expect(e.pos).toEqual({ file: FILE, line: 19, col: 9 });
    expect(e.message).toContain("without scheme");
  });

  it("GIVEN an invalid enum value WHEN parsed THEN the error lists the valid values and the closest one", () => {
    const e = userError(() => parseAnswers(withLine("proxy:", "proxy: ngnix"), FILE, OPTS));
    expect(e.pos).toEqual({ file: FILE, line: 4, col: 8 });
    expect(e.hint).toContain("Did you mean nginx?");
    expect(e.hint).toContain("traefik | nginx");
  });

  it("GIVEN a PostgreSQL version below the Odoo minimum WHEN parsed THEN the error is at postgres_version with the valid choices", () => {
    const e = userError(() => parseAnswers(withLine("postgres_version", "postgres_version: 11"), FILE, OPTS));
    expect(e.pos).toEqual({ file: FILE, line: 3, col: 19 });
    expect(e.message).toContain("below the minimum for Odoo 17.0 (12)");
    expect(e.message).toContain("choose 15, 16, 17, 18"); // 14 reached its end of life on 2026-11-12
  });

  it("GIVEN a PostgreSQL version past its end of life WHEN parsed THEN it is refused with the date", () => {
    // 13 reached its end of life on 2025-11-13; NOW is 2026-11-27
    const e = userError(() => parseAnswers(withLine("postgres_version", "postgres_version: 13"), FILE, OPTS));
    expect(e.message).toContain("end of life on 2025-11-13");
  });

  it("GIVEN a YAML syntax error WHEN parsed THEN the UserError has the line", () => {
    const e = userError(() => parseAnswers("project_name: acme\n  proxy: [nginx\n", FILE, OPTS));
    expect(e.message).toContain("not valid YAML");
    expect(e.pos?.file).toBe(FILE);
    expect(e.pos?.line).toBeGreaterThanOrEqual(1);
  });

  it("GIVEN a value of the wrong type WHEN parsed THEN the error says what was expected", () => {
    expect(userError(() => parseAnswers(withLine("users", "users: many"), FILE, OPTS)).message).toBe('users must be a number, not "many"');
    expect(userError(() => parseAnswers(withLine("proxy_bundled", "proxy_bundled: maybe"), FILE, OPTS)).pos).toMatchObject({ line: 5 });
    expect(userError(() => parseAnswers("environments: [prod]\n", FILE, OPTS)).message).toContain("environments must be a mapping");
  });

  it("GIVEN a problem across fields WHEN parsed THEN it points at the offending value and counts the others", () => {
    const text = COMPLETE.replace("tls: self-signed", "tls: none").replace("users: 60", "users: 0");
    const e = userError(() => parseAnswers(text, FILE, OPTS));
    expect(e.message).toContain("Environment test (test) needs TLS");
    expect(e.pos).toMatchObject({ line: 14, col: 10 });
    expect(e.hint).toContain("1 more problem: users");
  });

  it("GIVEN a file that leaves out what has no default WHEN parsed THEN the error names every missing answer and its flag", () => {
    const e = userError(() => parseAnswers("project_name: acme\n", FILE, OPTS));
    expect(e.message).toContain("the domain of prod");
    expect(e.message).toContain("the Let's Encrypt account e-mail");
    expect(e.message).toContain("the backup destination");
    expect(e.hint).toContain("--domain prod=<host name>");
    expect(e.hint).toContain("backup_destination in answers.yaml");
  });

  it("GIVEN backup_destination: none or null WHEN parsed THEN there is no backup and no error", () => {
    for (const v of ["none", "null"]) {
      const a = parseAnswers(withLine("backup_destination", `backup_destination: ${v}`), FILE, OPTS);
      expect(a.backupDestination).toBeUndefined();
    }
  });
});

describe("renderAnswers", () => {
  const sets: Record<string, InitAnswers> = {
    complete: parseAnswers(COMPLETE, FILE, OPTS),
    minimal: complete(),
    "extra env, files, no backup": complete({
      envs: [
        { name: "devel", kind: "devel", domains: [], tls: "none" },
        { name: "test", kind: "test", domains: ["test.erp.example.com"], tls: "self-signed" },
        { name: "prod", kind: "prod", domains: ["erp.example.com"], tls: "files" },
        { name: "staging", kind: "test", domains: ["staging.erp.example.com"], tls: "letsencrypt" },
      ],
      tlsCertFile: "/etc/ssl/erp/fullchain.pem",
      tlsKeyFile: "/etc/ssl/erp/privkey.pem",
      backupDestination: undefined,
      smtp: { host: "10.0.0.25", port: 25, security: "none" },
      host: { cpus: 2, ramGiB: 7.5 },
    }),
  };
  for (const [name, a] of Object.entries(sets)) {
    it(`GIVEN answers (${name}) WHEN rendered and parsed back THEN they are the same answers`, () => {
      const text = renderAnswers(a);
      expect(parseAnswers(text, FILE, OPTS)).toEqual(a);
      expect(renderAnswers(parseAnswers(text, FILE, OPTS))).toBe(text);
    });
  }

  it("GIVEN answers WHEN rendered THEN the file is commented, snake_case, versions quoted, no secrets", () => {
    const text = renderAnswers(complete());
    expect(text).toMatch(/^# doodba-ops init answers/);
    expect(text).toContain('odoo_version: "18.0"');
    expect(text).toContain('postgres_version: "17"');
    expect(text).toContain("  ram_gib: 8");
    expect(text).toContain("smtp: null");
    expect(text).not.toMatch(/^\s*\w*(password|passphrase)\w*:/im);
  });
});

describe("defaults", () => {
  it("GIVEN only a production domain WHEN completed THEN the defaults are those of a careful production setup", () => {
    const { answers, missing } = completeAnswers({ envs: [{ name: "prod", domains: ["erp.example.com"] }] }, OPTS);
    expect(answers).toMatchObject({
      projectName: "acme",
      odooVersion: "18.0",
      postgresVersion: "17",
      proxy: "traefik",
      proxyBundled: true,
      dbManagerAllow: [],
      host: { cpus: 4, ramGiB: 8 },
      users: 25,
      emailFrom: "odoo@erp.example.com",
    });
    expect(answers.envs).toEqual([
      { name: "devel", kind: "devel", domains: [], tls: "none" },
      { name: "test", kind: "test", domains: ["test.erp.example.com"], tls: "self-signed" },
      { name: "prod", kind: "prod", domains: ["erp.example.com"], tls: "letsencrypt" },
    ]);
    expect(missing.map((m) => m.key)).toEqual(["letsencrypt_email", "backup_destination"]);
  });

  it("GIVEN nothing WHEN completed THEN the production domain, the Let's Encrypt e-mail and the backup are missing", () => {
    const { missing } = completeAnswers({}, OPTS);
    // the test domain is not asked for: it follows from the production one
    expect(missing.map((m) => m.key)).toEqual(["environments.prod.domains", "letsencrypt_email", "backup_destination"]);
  });

  it("GIVEN the answers-file defaults WHEN validated THEN they pass once the missing answers are given", () => {
    const a = defaultAnswers(
      { envs: [{ name: "prod", domains: ["erp.example.com"] }], letsencryptEmail: "ops@example.com", backupDestination: "s3://b/p" },
      OPTS,
    );
    expect(answerProblems(a, NOW)).toEqual([]);
  });

  it("GIVEN each Odoo version WHEN the PostgreSQL default is chosen THEN it is the newest supported one not past end of life, capped at 17", () => {
    expect(defaultPostgresVersion("16.0", NOW)).toBe("17");
    expect(defaultPostgresVersion("19.0", NOW)).toBe("17");
    // 2029-12: 16 and 17 are past their end of life: the next accepted one
    expect(defaultPostgresVersion("18.0", new Date("2029-12-01T00:00:00Z"))).toBe("18");
    expect(defaultPostgresVersion("15.0", NOW)).toBeDefined(); // tables know 15, init does not offer it
    expect(defaultPostgresVersion("banana", NOW)).toBeUndefined();
  });

  it("GIVEN an extra environment named staging WHEN completed THEN it is a test environment with a self-signed certificate", () => {
    const a = defaultAnswers({ envs: [{ name: "prod", domains: ["erp.example.com"] }, { name: "staging", domains: ["staging.example.com"] }] }, OPTS);
    expect(a.envs.map((e) => `${e.name}:${e.kind}:${e.tls}`)).toEqual(["devel:devel:none", "test:test:self-signed", "prod:prod:letsencrypt", "staging:test:self-signed"]);
  });

  it("GIVEN an SMTP relay with ssl and no port WHEN completed THEN the port is 465", () => {
    expect(defaultAnswers({ smtp: { host: "smtp.example.com", security: "ssl" } }, OPTS).smtp).toEqual({ host: "smtp.example.com", port: 465, security: "ssl" });
  });

  it("slugify makes a project name out of a folder name", () => {
    expect(slugify("My ERP_2")).toBe("my-erp-2");
    expect(slugify("2024-odoo")).toBe("odoo");
    expect(slugify("___")).toBeUndefined();
  });
});

describe("validation", () => {
  const problemsOf = (a: InitAnswers): string[] => answerProblems(a, NOW).map((p) => `${p.path.join(".")}: ${p.message}`);

  it("GIVEN valid answers WHEN validated THEN there is no problem", () => {
    expect(problemsOf(complete())).toEqual([]);
    expect(() => validateAnswers(complete(), NOW)).not.toThrow();
  });

  it("GIVEN an unsupported Odoo version WHEN validated THEN the supported ones are listed", () => {
    expect(problemsOf(complete({ odooVersion: "15.0", postgresVersion: "16" }))).toEqual([
      "odoo_version: Odoo 15.0 is not a version init generates: choose 16.0, 17.0, 18.0, 19.0",
    ]);
  });

  it("GIVEN PostgreSQL versions WHEN checked against Odoo THEN minimum, end of life, unknown and minor versions are refused", () => {
    expect(checkPostgresVersion("12", "18.0", NOW)).toContain("below the minimum for Odoo 18.0 (13)");
    expect(checkPostgresVersion("12", "17.0", NOW)).toContain("end of life on 2024-11-21");
    expect(checkPostgresVersion("19", "18.0", NOW)).toContain("newer than any release doodba-ops knows (18)");
    expect(checkPostgresVersion("16.4", "18.0", NOW)).toContain("write the major only");
    expect(checkPostgresVersion("18", "18.0", NOW)).toBeUndefined();
    expect(postgresChoices("18.0", NOW)).toEqual(["15", "16", "17", "18"]);
  });

  it("GIVEN production without TLS, a self-signed prod, or a devel with TLS WHEN validated THEN each is refused", () => {
    const envs = (prodTls: InitAnswers["envs"][number]["tls"], develTls: InitAnswers["envs"][number]["tls"] = "none"): InitAnswers["envs"] => [
      { name: "devel", kind: "devel", domains: [], tls: develTls },
      { name: "test", kind: "test", domains: ["test.erp.example.com"], tls: "self-signed" },
      { name: "prod", kind: "prod", domains: ["erp.example.com"], tls: prodTls },
    ];
    expect(problemsOf(complete({ envs: envs("none") }))[0]).toContain("environments.prod.tls: Environment prod (prod) needs TLS");
    expect(problemsOf(complete({ envs: envs("self-signed") }))[0]).toContain("cannot use a self-signed certificate");
    expect(problemsOf(complete({ envs: envs("letsencrypt", "letsencrypt") }))[0]).toContain("environments.devel.tls");
  });

  it("GIVEN let's encrypt without an e-mail, or files without paths WHEN validated THEN the missing values are named", () => {
    expect(problemsOf(complete({ letsencryptEmail: undefined }))).toEqual([
      "letsencrypt_email: Let's Encrypt needs an account e-mail (expiry warnings go there)",
    ]);
    const files = complete({ envs: complete().envs.map((e) => (e.name === "prod" ? { ...e, tls: "files" as const } : e)), letsencryptEmail: undefined });
    expect(problemsOf(files)).toEqual([
      "tls_cert_file: tls: files needs the certificate file's path on the host",
      "tls_key_file: tls: files needs the private key file's path on the host",
    ]);
    expect(problemsOf({ ...files, tlsCertFile: "certs/erp.pem", tlsKeyFile: "/etc/ssl/erp.key" })[0]).toContain("not an absolute path");
  });

  it("GIVEN let's encrypt for a reserved domain WHEN validated THEN it is refused (the CA would never issue)", () => {
    const a = complete({ envs: complete().envs.map((e) => (e.name === "prod" ? { ...e, domains: ["erp.acme.test"] } : e)) });
    expect(problemsOf(a)).toEqual([
      "environments.prod.domains.0: Let's Encrypt cannot issue a certificate for erp.acme.test: it is not a public DNS name",
    ]);
  });

  it("GIVEN the same domain in two environments WHEN validated THEN it is refused", () => {
    const a = complete({ envs: complete().envs.map((e) => (e.name === "test" ? { ...e, domains: ["erp.example.com"] } : e)) });
    expect(problemsOf(a)).toEqual(["environments.test.domains.0: Domain erp.example.com is used by both prod and test: each environment needs its own host names"]);
  });

  it("GIVEN a required environment is absent or a kind contradicts its name WHEN validated THEN it is refused", () => {
    expect(problemsOf(complete({ envs: complete().envs.filter((e) => e.name !== "test") }))).toEqual([
      "environments: Environment test is missing: devel, test and prod are always generated",
    ]);
    const staging = complete({ envs: [...complete().envs, { name: "staging", kind: "prod", domains: ["staging.example.com"], tls: "letsencrypt" }] });
    expect(problemsOf(staging)[0]).toContain("check audits staging.yaml as a test environment");
    const prodEu = complete({ envs: [...complete().envs, { name: "prod-eu", kind: "prod", domains: ["eu.example.com"], tls: "letsencrypt" }] });
    expect(problemsOf(prodEu)).toEqual([]);
  });

  it("GIVEN a host too small for Odoo WHEN validated THEN sizeOdoo's own bound refuses it", () => {
    const [p] = problemsOf(complete({ host: { cpus: 2, ramGiB: 2 } }));
    expect(p).toContain("host.ram_gib: A host with 2 GiB of RAM is too small");
    expect(problemsOf(complete({ host: { cpus: 0, ramGiB: 8 } }))).toEqual(["host.cpus: Host CPUs must be a whole number >= 1 (got 0)"]);
    expect(problemsOf(complete({ users: 2.5 }))).toEqual(["users: Concurrent users must be a whole number >= 1 (got 2.5)"]);
  });

  it("field validators accept what is valid and explain what is not", () => {
    expect(checkDomain("erp.example.com")).toBeUndefined();
    expect(checkDomain("ERP.example.com")).toContain("lowercase");
    expect(checkDomain("*.example.com")).toContain("wildcards");
    expect(checkDomain("10.0.0.1")).toContain("IP addresses");
    expect(checkDomain("-bad.example.com")).toBeDefined();
    expect(checkEmail("ops@example.com")).toBeUndefined();
    expect(checkEmail("ops@localhost")).toBeDefined();
    expect(checkEmail("not an email")).toBeDefined();
    expect(checkCidr("203.0.113.0/24")).toBeUndefined();
    expect(checkCidr("2001:db8::/32")).toBeUndefined();
    expect(checkCidr("198.51.100.7")).toBeUndefined();
    expect(checkCidr("203.0.113.0/33")).toBeDefined();
    expect(checkCidr("300.1.1.1/24")).toBeDefined();
    expect(checkCidr("0.0.0.0/0")).toContain("allows every address");
    expect(checkCidr("::/0")).toContain("allows every address");
    expect(checkBackupDestination("boto3+s3://bucket/prefix")).toBeUndefined();
    expect(checkBackupDestination("sftp://backup@host.example.com/srv/odoo")).toBeUndefined();
    expect(checkBackupDestination("file:///srv/backups")).toBeUndefined();
    expect(checkBackupDestination("file://backups")).toContain("absolute path");
    expect(checkBackupDestination("http://example.com/x")).toContain('no "http" backend');
    expect(checkBackupDestination("sftp://u:secret@host/x")).toContain("contains a password");
    expect(checkBackupDestination("/srv/backups")).toContain("not a duplicity URL");
  });

  it("GIVEN a problem from a flag WHEN located THEN the flag is named instead of a file position", () => {
    const parsed = parseAnswersFile(COMPLETE, FILE);
    const flags = new Map([[pathKey(["environments", "prod", "domains"]), "--domain"]]);
    const a = complete({ envs: complete().envs.map((e) => (e.name === "prod" ? { ...e, domains: ["bad_domain"] } : e)) });
    const e = userError(() => validateAnswers(a, NOW, locator(parsed, flags)));
    expect(e.message).toContain("(from --domain)");
    expect(e.pos).toBeUndefined();
    const fromFile = userError(() => validateAnswers(complete({ users: 0 }), NOW, locator(parsed)));
    expect(fromFile.pos).toMatchObject({ line: 24, col: 8 });
  });

  it("GIVEN Odoo 16 WHEN warnings are computed THEN init warns it is out of support; a file:// backup stays on the host", () => {
    const w = answerWarnings(complete({ odooVersion: "16.0", postgresVersion: "16", backupDestination: "file:///srv/backups" }), NOW);
    expect(w.join("\n")).toContain("Odoo 16.0 is out of Odoo S.A. support since 2025-09-17");
    expect(w.join("\n")).toContain("stay on this host");
    expect(answerWarnings(complete(), NOW)).toEqual([]);
  });
});

describe("mergePartial", () => {
  it("GIVEN file answers and flags WHEN merged THEN flags win per field and environments merge by name", () => {
    const merged = mergePartial(
      { users: 10, host: { cpus: 2, ramGiB: 8 }, envs: [{ name: "prod", domains: ["a.example.com"], tls: "files" }], smtp: { host: "smtp.example.com" } },
      { users: 40, host: { cpus: 8 }, envs: [{ name: "prod", domains: ["b.example.com"] }, { name: "staging", kind: "test" }], smtp: { port: 2525 } },
    );
    expect(merged).toEqual({
      users: 40,
      host: { cpus: 8, ramGiB: 8 },
      envs: [
        { name: "prod", domains: ["b.example.com"], tls: "files" },
        { name: "staging", kind: "test" },
      ],
      smtp: { host: "smtp.example.com", port: 2525 },
    });
    expect(mergePartial({ smtp: { host: "x.example.com" } }, { smtp: null }).smtp).toBeNull();
  });
});
