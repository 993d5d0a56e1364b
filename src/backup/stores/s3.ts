/**
 * A backup store in an S3-compatible bucket (AWS S3, MinIO, Wasabi, Cloudflare R2, Ceph RGW...).
 *
 * - Uploads stream through @aws-sdk/lib-storage: one PutObject for small bodies, a multipart upload
 *   (parts of `partSize`, `queueSize` in flight) for large ones, so memory stays at most
 *   partSize * queueSize whatever the object size. A failed multipart upload is aborted.
 * - PUT is atomic on S3: readers see the old object or the new one.
 * - putIfAbsent sends `If-None-Match: *` (AWS since 2024-08, MinIO, R2). Servers that ignore the
 *   header (older MinIO, s3rver, some gateways) get a documented best effort: HEAD before the PUT,
 *   and a read-back after it that returns false when another writer's body won the race. The
 *   window left is the read-back delay; the lock body carries a random nonce so a lost race is seen.
 * - Checksums: the SDK's default "when supported" CRC trailers (aws-chunked encoding) are turned
 *   off, because several S3-compatible servers mis-store such bodies; integrity is end to end
 *   anyway (objects are addressed by the sha256 of their plaintext and verified on read).
 * - The SDK is imported on first use, so commands that never touch S3 start fast.
 */
import type { Readable } from "node:stream";
import type * as S3Sdk from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import { NotFoundError, type Store } from "../types.js";
import { checkKey } from "./local.js";

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix of the repository inside the bucket ("" for the bucket root). */
  prefix: string;
  /** e.g. "http://127.0.0.1:9000" for MinIO; unset for AWS. */
  endpoint?: string;
  region: string;
  /** Static credentials; when unset, the SDK's default chain (env, shared files, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Path-style URLs (bucket in the path): needed by MinIO and most self-hosted servers. */
  forcePathStyle: boolean;
  /** Multipart part size in bytes (S3 minimum 5 MiB). @default 8 MiB */
  partSize?: number;
  /** Parts uploaded in parallel per object. @default 4 */
  queueSize?: number;
  /** Called as parts of an upload complete (progress of large objects; part is 1-based). */
  onUploadProgress?: (p: { key: string; part?: number; loaded?: number; total?: number }) => void;
}

type Sdk = typeof S3Sdk;

interface S3ErrorShape {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

function status(e: unknown): number | undefined {
  return (e as S3ErrorShape | undefined)?.$metadata?.httpStatusCode;
}

function isNotFound(e: unknown): boolean {
  const err = e as S3ErrorShape;
  return err?.name === "NoSuchKey" || err?.name === "NotFound" || err?.Code === "NoSuchKey" || status(e) === 404;
}

/** Removes user:password from an endpoint URL for messages. */
export function maskEndpoint(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    if (u.username || u.password) {
      u.username = "***";
      u.password = "";
    }
    return u.toString().replace(/\/$/, "");
  } catch {
    return endpoint.replace(/\/\/[^@/]*@/, "//***@");
  }
}

export class S3Store implements Store {
  readonly description: string;
  private readonly opts: S3StoreOptions;
  private readonly prefix: string;
  private sdk?: Promise<{ sdk: Sdk; client: S3Client }>;

  constructor(opts: S3StoreOptions) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(opts.bucket)) throw new Error(`invalid bucket name ${JSON.stringify(opts.bucket)}`);
    this.opts = opts;
    this.prefix = opts.prefix.replace(/^\/+|\/+$/g, "");
    this.description = `s3://${opts.bucket}/${this.prefix}${opts.endpoint ? ` (endpoint ${maskEndpoint(opts.endpoint)})` : ""}`;
  }

  private async client(): Promise<{ sdk: Sdk; client: S3Client }> {
    this.sdk ??= (async () => {
      // The SDK warns on Node 20 about its future Node 22 requirement; doodba-ops supports Node 20,
      // and a warning on every backup's stderr is noise to the operator.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
      const sdk = await import("@aws-sdk/client-s3");
      const client = new sdk.S3Client({
        region: this.opts.region,
        endpoint: this.opts.endpoint,
        forcePathStyle: this.opts.forcePathStyle,
        credentials: this.opts.credentials,
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
        maxAttempts: 5,
      });
      return { sdk, client };
    })();
    return await this.sdk;
  }

  private key(key: string): string {
    checkKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  async put(key: string, body: Readable | Buffer): Promise<void> {
    const { client } = await this.client();
    const { Upload } = await import("@aws-sdk/lib-storage");
    const upload = new Upload({
      client,
      params: { Bucket: this.opts.bucket, Key: this.key(key), Body: body },
      partSize: Math.max(5 << 20, this.opts.partSize ?? 8 << 20),
      queueSize: this.opts.queueSize ?? 4,
      leavePartsOnError: false,
    });
    const cb = this.opts.onUploadProgress;
    if (cb) upload.on("httpUploadProgress", (p) => cb({ key, part: p.part, loaded: p.loaded, total: p.total }));
    await upload.done();
  }

  async putIfAbsent(key: string, body: Buffer): Promise<boolean> {
    const { sdk, client } = await this.client();
    if (await this.stat(key)) return false;
    const params = { Bucket: this.opts.bucket, Key: this.key(key), Body: body };
    try {
      await client.send(new sdk.PutObjectCommand({ ...params, IfNoneMatch: "*" }));
    } catch (e) {
      const code = status(e);
      if (code === 412 || code === 409) return false; // PreconditionFailed / ConditionalRequestConflict
      if (code === 501 || code === 400) {
        // the server does not implement conditional writes: best effort below
        await client.send(new sdk.PutObjectCommand(params));
      } else throw e;
    }
    // Read-back: on servers that silently ignore If-None-Match, a concurrent writer may have
    // overwritten us (or we them). Whoever's body is stored owns the key.
    await new Promise((r) => setTimeout(r, 50));
    try {
      const stored = await this.readAll(key, body.length + 1);
      return stored.equals(body);
    } catch (e) {
      if (e instanceof NotFoundError) return false;
      throw e;
    }
  }

  private async readAll(key: string, limit: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let n = 0;
    for await (const c of await this.get(key)) {
      const b = Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array);
      n += b.length;
      if (n > limit) break;
      parts.push(b);
    }
    return Buffer.concat(parts);
  }

  async get(key: string): Promise<Readable> {
    const { sdk, client } = await this.client();
    try {
      const r = await client.send(new sdk.GetObjectCommand({ Bucket: this.opts.bucket, Key: this.key(key) }));
      if (!r.Body) throw new NotFoundError(key);
      return r.Body as Readable;
    } catch (e) {
      if (isNotFound(e)) throw new NotFoundError(key);
      throw e;
    }
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    const { sdk, client } = await this.client();
    try {
      const r = await client.send(new sdk.HeadObjectCommand({ Bucket: this.opts.bucket, Key: this.key(key) }));
      return { size: r.ContentLength ?? 0 };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async *list(prefix: string): AsyncIterable<{ key: string; size: number; mtimeMs?: number }> {
    const { sdk, client } = await this.client();
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    let token: string | undefined;
    // S3 returns keys in UTF-8 binary order, page by page: already sorted.
    do {
      const r = await client.send(
        new sdk.ListObjectsV2Command({ Bucket: this.opts.bucket, Prefix: this.prefix ? `${this.prefix}/${prefix}` : prefix, ContinuationToken: token, MaxKeys: 1000 }),
      );
      for (const o of r.Contents ?? []) {
        if (!o.Key) continue;
        yield { key: o.Key.slice(strip), size: o.Size ?? 0, mtimeMs: o.LastModified?.getTime() };
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string): Promise<void> {
    const { sdk, client } = await this.client();
    await client.send(new sdk.DeleteObjectCommand({ Bucket: this.opts.bucket, Key: this.key(key) }));
  }

  /** Closes the HTTP connections (tests, short-lived commands). */
  async close(): Promise<void> {
    if (this.sdk) (await this.sdk).client.destroy();
  }
}
