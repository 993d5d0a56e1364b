/**
 * The e2e test project: test/fixtures/deploy/project materialised in a temp dir with the images
 * of this run, a free loopback port, and the nginx site rendered by doodba-ops' own
 * renderNginxSite (the configuration style `doodba-ops init` generates).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderNginxSite } from "../../src/generate/proxy/nginx.js";
import { REPO_ROOT } from "../helpers/project.js";
import type { E2eImages } from "../harness/docker.js";

export const PROJECT_FIXTURE = join(REPO_ROOT, "test", "fixtures", "deploy", "project");

export interface E2eProject {
  dir: string;
  name: string;
  port: number;
  /** Writes odoo/custom/release.env (the next build makes a new Odoo image). */
  release(version: string, broken?: "health" | "update" | ""): void;
  remove(): void;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function makeProject(images: E2eImages, name: string, files: Record<string, string> = {}): Promise<E2eProject> {
  const dir = mkdtempSync(join(tmpdir(), `doodba-ops-e2e-${name}-`));
  cpSync(PROJECT_FIXTURE, dir, { recursive: true });
  const df = readFileSync(join(dir, "odoo", "Dockerfile.in"), "utf8").replace("@STANDIN_IMAGE@", images.odooStandin);
  writeFileSync(join(dir, "odoo", "Dockerfile"), df);
  rmSync(join(dir, "odoo", "Dockerfile.in"));
  // git does not keep empty folders: the fixture's nginx/ exists only once we write into it
  mkdirSync(join(dir, "nginx"), { recursive: true });
  writeFileSync(
    join(dir, "nginx", "default.conf"),
    renderNginxSite({
      id: "e2e",
      title: ["doodba-ops deploy e2e: nginx in front of the Odoo stand-in"],
      serverNames: [],
      httpListen: ["80"],
      ownsListeners: true,
      upstreamHttp: "odoo:8069",
      upstreamBus: "odoo:8072",
      busPath: "/websocket",
      proxyTimeout: 720,
      connectTimeout: 10,
      clientMaxBodySize: "128m",
      dbManagerAllow: [],
      healthPath: "/nginx-health",
    }),
  );
  for (const [rel, content] of Object.entries(files)) writeFileSync(join(dir, rel), content);
  const port = await freePort();
  writeFileSync(join(dir, ".env"), [`COMPOSE_PROJECT_NAME=${name}`, `E2E_POSTGRES_IMAGE=${images.postgres}`, `E2E_PROXY_IMAGE=${images.proxy}`, `E2E_HTTP_PORT=${port}`, ""].join("\n"));
  // A release changes a file of the build context, as new addons code does in a real project.
  const release = (version: string, broken = ""): void => writeFileSync(join(dir, "odoo", "custom", "release.env"), `STANDIN_VERSION=${version}\nSTANDIN_BROKEN=${broken}\n`);
  release("1");
  return { dir, name, port, release, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
