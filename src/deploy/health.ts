/**
 * Health gates and smoke tests of deploy. HTTP requests run inside the containers (`docker exec
 * <container> curl`): Doodba's image and the nginx image ship curl, nothing needs a published
 * port, and it works the same against a remote engine (DOCKER_HOST=ssh://...).
 */
import type { SmokeTest } from "./config.js";
import type { ComposeRuntime } from "./runtimes/compose.js";

export interface HttpResult {
  /** 0 when no HTTP answer came (connection refused, time-out, no curl). */
  status: number;
  body: string;
  error?: string;
}

/** GET through curl inside a container. */
export async function httpInContainer(runtime: ComposeRuntime, container: string, url: string, host?: string, timeoutSeconds = 5): Promise<HttpResult> {
  const args = ["curl", "-sS", "--max-time", String(timeoutSeconds), "-o", "-", "-w", "\n%{http_code}"];
  if (host) args.push("-H", `Host: ${host}`);
  const r = await runtime.exec(container, [...args, url]);
  const i = r.stdout.lastIndexOf("\n");
  const status = Number(r.stdout.slice(i + 1).trim());
  return { status: Number.isFinite(status) ? status : 0, body: i >= 0 ? r.stdout.slice(0, i) : "", error: r.exitCode !== 0 ? r.stderr.trim() || `curl exited ${r.exitCode}` : undefined };
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

/** Polls until ok() says yes; returns the last observation on time-out. */
export async function waitUntil<T>(probe: () => Promise<T>, ok: (v: T) => boolean, o: WaitOptions): Promise<{ ok: boolean; last: T; seconds: number }> {
  const t0 = o.now();
  for (;;) {
    const last = await probe();
    if (ok(last)) return { ok: true, last, seconds: (o.now() - t0) / 1000 };
    if (o.now() - t0 >= o.timeoutMs) return { ok: false, last, seconds: (o.now() - t0) / 1000 };
    await o.sleep(o.intervalMs ?? 1000);
  }
}

export interface ContainerHealth {
  container: string;
  docker?: string;
  http: HttpResult;
}

/**
 * Waits until a container is healthy: Docker's health status (when it has a health check) is
 * not "unhealthy"/"starting", and `path` on port 8069 answers 200 inside the container.
 */
export async function waitContainerHealthy(runtime: ComposeRuntime, container: string, path: string, o: WaitOptions): Promise<{ ok: boolean; seconds: number; detail: string }> {
  const r = await waitUntil<ContainerHealth>(
    async () => {
      const st = (await runtime.listContainers()).find((c) => c.name === container);
      if (st && st.state !== "running") return { container, docker: st.state, http: { status: 0, body: "", error: `container is ${st.state}` } };
      const http = await httpInContainer(runtime, container, `http://127.0.0.1:8069${path}`);
      return { container, docker: st?.health, http };
    },
    (h) => h.http.status === 200 && h.docker !== "unhealthy" && h.docker !== "starting",
    o,
  );
  const detail = r.ok
    ? `${container} healthy in ${r.seconds.toFixed(1)} s`
    : `${container} not healthy after ${r.seconds.toFixed(0)} s: ${r.last.http.status ? `${path} answered ${r.last.http.status}` : (r.last.http.error ?? "no answer")}${r.last.docker ? ` (docker: ${r.last.docker})` : ""}`;
  return { ok: r.ok, seconds: r.seconds, detail };
}

/** Waits until `path` answers 200 through the proxy container (port 80 inside it). */
export async function waitProxyHealthy(runtime: ComposeRuntime, proxy: string, path: string, host: string | undefined, o: WaitOptions): Promise<{ ok: boolean; seconds: number; detail: string }> {
  const r = await waitUntil(() => httpInContainer(runtime, proxy, `http://127.0.0.1:80${path}`, host), (h) => h.status === 200, o);
  return {
    ok: r.ok,
    seconds: r.seconds,
    detail: r.ok ? `through ${proxy}: ${path} 200 in ${r.seconds.toFixed(1)} s` : `through ${proxy}: ${path} ${r.last.status ? `answered ${r.last.status}` : (r.last.error ?? "no answer")} after ${r.seconds.toFixed(0)} s`,
  };
}

export interface SmokeResult {
  test: SmokeTest;
  ok: boolean;
  status: number;
  detail: string;
}

/** Runs the smoke tests once each, through the proxy when there is one, else in the Odoo container. */
export async function runSmokeTests(runtime: ComposeRuntime, via: { container: string; port: number }, tests: SmokeTest[], defaultHost?: string): Promise<SmokeResult[]> {
  const out: SmokeResult[] = [];
  for (const t of tests) {
    const r = await httpInContainer(runtime, via.container, `http://127.0.0.1:${via.port}${t.path}`, t.host ?? defaultHost, 15);
    const problems: string[] = [];
    if (r.status !== t.status) problems.push(`status ${r.status || `none (${r.error ?? "no answer"})`}, expected ${t.status}`);
    if (t.contains !== undefined && !r.body.includes(t.contains)) problems.push(`body does not contain ${JSON.stringify(t.contains)}`);
    out.push({ test: t, ok: problems.length === 0, status: r.status, detail: problems.length === 0 ? `${t.path}: ${r.status}${t.contains ? `, contains ${JSON.stringify(t.contains)}` : ""}` : `${t.path}: ${problems.join("; ")}` });
  }
  return out;
}
