/**
 * Stores: where a backup repository's bytes live. `openStore(url)` understands
 *   /srv/backups, ./backups, file:///srv/backups           a local directory
 *   s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=eu-west-1&path-style=true
 * S3 credentials come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), never from the URL, so that URLs can be logged and stored in config.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../../errors.js";
import type { Exec } from "../../platform/index.js";
import type { Store } from "../types.js";
import { LocalStore, type LocalStoreOptions } from "./local.js";
import { S3Store, type S3StoreOptions } from "./s3.js";

export { LocalStore, checkKey } from "./local.js";
export type { LocalStoreOptions } from "./local.js";
export { S3Store, maskEndpoint } from "./s3.js";
export type { S3StoreOptions } from "./s3.js";

export interface OpenStoreOptions {
  /** Environment for S3 settings and credentials. @default process.env */
  environ?: Record<string, string | undefined>;
  /** Directory relative paths are resolved against. @default process.cwd() */
  cwd?: string;
  local?: LocalStoreOptions;
  /** Lets a local store flush its file system with one `sync -f` (syncfs) instead of one fsync per object. */
  exec?: Exec;
  s3?: Partial<Pick<S3StoreOptions, "partSize" | "queueSize">>;
}

/** `sync -f <dir>` (coreutils: syncfs(2) on the file system holding dir) through the platform. */
export function syncFsWith(exec: Exec): (dir: string) => Promise<void> {
  return async (dir) => {
    const r = await exec.run("sync", ["-f", dir]);
    if (r.exitCode !== 0) throw new Error(`sync -f ${dir} failed: ${r.stderr.trim()}`);
  };
}

function localOptions(opts: OpenStoreOptions): LocalStoreOptions {
  return { ...(opts.exec ? { syncFs: syncFsWith(opts.exec) } : {}), ...opts.local };
}

const HINT = "Use a directory (/srv/backups, file:///srv/backups) or s3://bucket/prefix?endpoint=https://...&region=...";

/** Parses a store URL into a Store. Throws a {@link UserError} naming what is wrong. */
export function openStore(url: string, opts: OpenStoreOptions = {}): Store {
  const env = opts.environ ?? process.env;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (!scheme || (scheme.length === 1 && /^[a-z]:[\\/]/i.test(url))) {
    if (!url) throw new UserError("empty backup repository location", { hint: HINT });
    return new LocalStore(resolve(opts.cwd ?? process.cwd(), url), localOptions(opts));
  }
  if (scheme === "file") {
    let path: string;
    try {
      path = fileURLToPath(url);
    } catch (e) {
      throw new UserError(`bad file URL ${url}: ${(e as Error).message}`, { hint: "file:///absolute/path (three slashes)" });
    }
    return new LocalStore(path, localOptions(opts));
  }
  if (scheme === "s3") {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new UserError(`bad S3 URL ${url}`, { hint: HINT });
    }
    if (u.username || u.password) {
      throw new UserError("S3 credentials do not belong in the repository URL", {
        hint: "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment (or an AWS profile / instance role) instead.",
      });
    }
    const bucket = u.hostname;
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new UserError(`invalid S3 bucket name ${JSON.stringify(bucket)} in ${url}`, { hint: "Bucket names are 3-63 characters: lowercase letters, digits, dots and hyphens." });
    }
    const q = u.searchParams;
    for (const k of q.keys()) {
      if (!["endpoint", "region", "path-style", "forcePathStyle"].includes(k)) {
        throw new UserError(`unknown S3 URL parameter ${k}`, { hint: "Known: endpoint, region, path-style." });
      }
    }
    const endpoint = q.get("endpoint") ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? undefined;
    if (endpoint && !/^https?:\/\/[^/]/.test(endpoint)) throw new UserError(`S3 endpoint must be an http(s) URL, got ${JSON.stringify(endpoint)}`);
    const region = q.get("region") ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
    const ps = q.get("path-style") ?? q.get("forcePathStyle");
    // Self-hosted servers (an explicit endpoint) nearly always want path-style URLs.
    const forcePathStyle = ps === null ? Boolean(endpoint) : !["false", "0", "no"].includes(ps.toLowerCase());
    const id = env.AWS_ACCESS_KEY_ID;
    const secret = env.AWS_SECRET_ACCESS_KEY;
    if (Boolean(id) !== Boolean(secret)) {
      throw new UserError(`${id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"} is not set but ${id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY"} is`, {
        hint: "Set both, or neither (then the AWS default chain: shared config, instance role).",
      });
    }
    const credentials = id && secret ? { accessKeyId: id, secretAccessKey: secret, sessionToken: env.AWS_SESSION_TOKEN || undefined } : undefined;
    return new S3Store({ bucket, prefix: decodeURIComponent(u.pathname), endpoint, region, credentials, forcePathStyle, ...opts.s3 });
  }
  throw new UserError(`unsupported backup repository URL scheme "${scheme}:" in ${url}`, { hint: HINT });
}
