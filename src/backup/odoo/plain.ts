/**
 * Plain SQL dumps as files (`pg_dump > db.sql`, `pg_dump | gzip > db.sql.gz`, `| zstd`): what
 * scripted backups leave behind. Opened as one stream of SQL text, decompressed on the fly
 * (gzip with node:zlib, zstd with the `zstd` tool), and refused when the text is not SQL.
 */
import { PassThrough, Transform, type Readable, type TransformCallback } from "node:stream";
import { UserError } from "../../errors.js";
import { execOf, filesOf, type BackupPlatform } from "./files.js";

export type PlainKind = "plain" | "plain-gzip" | "plain-zstd";

/** What plain SQL from pg_dump (or pg_restore -f -) starts with. */
export const PLAIN_SQL_START = /^(\uFEFF)?(--|SET |\\connect|\\restrict|CREATE |BEGIN|SELECT )/;

/** Passes the bytes through once the first ones look like SQL; errors otherwise. */
class SqlSniffer extends Transform {
  private head: Buffer[] = [];
  private headBytes = 0;
  private checked = false;
  constructor(private readonly what: string) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.checked) return cb(null, chunk);
    this.head.push(chunk);
    this.headBytes += chunk.length;
    if (this.headBytes < 64) return cb();
    this.check(cb);
  }
  override _flush(cb: TransformCallback): void {
    if (!this.checked) this.check(cb);
    else cb();
  }
  private check(cb: TransformCallback): void {
    this.checked = true;
    const all = Buffer.concat(this.head);
    this.head = [];
    const text = all.subarray(0, 64).toString("utf8").replace(/^\s+/, "");
    if (all.subarray(0, 5).toString("latin1") === "PGDMP") {
      return cb(new UserError(`${this.what} holds a compressed pg_dump custom-format archive, not SQL`, { hint: "Decompress it and import the .dump file." }));
    }
    if (!PLAIN_SQL_START.test(text)) {
      return cb(new UserError(`${this.what} does not look like a plain SQL dump (it should start with "--", SET or CREATE, as pg_dump writes)`));
    }
    cb(null, all);
  }
}

/**
 * The SQL text of a plain dump file. `done` rejects (and the stream errors) when the file cannot
 * be decompressed or is not SQL.
 */
export async function openPlainSql(platform: BackupPlatform, file: string, kind: PlainKind): Promise<{ stream: Readable; done: Promise<void> }> {
  const io = await filesOf(platform);
  const sniff = new SqlSniffer(file);
  const out = new PassThrough();
  let done: Promise<void>;
  if (kind === "plain-zstd") {
    const exec = execOf(platform);
    if (!(await exec.which("zstd"))) throw new UserError(`${file} is zstd-compressed and the zstd tool is not installed`, { hint: "Install zstd (apt-get install zstd), or decompress it first: zstd -d <file>." });
    const proc = await exec.spawn("zstd", ["-dc", "--", file]);
    proc.stdin.end();
    proc.stdout.pipe(sniff);
    done = proc.done.then((r) => {
      if (r.exitCode !== 0) throw new UserError(`zstd could not decompress ${file}: ${r.stderr.trim().split("\n").slice(-1)[0] ?? ""}`);
    });
  } else {
    const raw = io.createReadStream(file);
    if (kind === "plain-gzip") {
      const gunzip = (await import("node:zlib")).createGunzip();
      raw.on("error", (e) => gunzip.destroy(e));
      gunzip.on("error", (e) => sniff.destroy(e instanceof UserError ? e : new UserError(`${file} is not a readable gzip file: ${e.message}`)));
      raw.pipe(gunzip).pipe(sniff);
    } else {
      raw.on("error", (e) => sniff.destroy(e));
      raw.pipe(sniff);
    }
    done = Promise.resolve();
  }
  // the SQL stream ends only once the decompressor exited cleanly
  sniff.pipe(out, { end: false });
  sniff.on("error", (e) => out.destroy(e));
  sniff.on("end", () => {
    done.then(
      () => out.end(),
      (e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))),
    );
  });
  const finished = new Promise<void>((resolve, reject) => {
    out.on("end", () => resolve());
    out.on("error", reject);
    out.on("close", () => resolve());
  });
  finished.catch(() => undefined);
  return { stream: out, done: finished };
}
