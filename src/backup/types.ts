/**
 * The backup repository contract (issue 5). Three parts meet here:
 *  - stores (src/backup/stores/): where bytes live (local directory, S3-compatible);
 *  - the repository (src/backup/repo/): content-addressed objects, encryption, snapshots,
 *    locks, verify, prune;
 *  - the Odoo/PostgreSQL side (src/backup/odoo/): pg_dump/pg_restore, Odoo's restore steps,
 *    neutralisation, Odoo zip import/export.
 *
 * Repository layout in a store (all keys relative to the repository root):
 *   config.json                   repository config (format version, id, encryption, chunking)
 *   objects/<h[0:2]>/<h>          one object per content hash (sha256 of the plaintext), stored
 *                                 compressed (zstd, when it pays) then encrypted (age), never rewritten
 *   snapshots/<id>.json           a snapshot manifest, written LAST and atomically: a snapshot
 *                                 exists only when its manifest does, so an interrupted backup
 *                                 leaves objects but no snapshot that looks complete
 *   index/snapshots/<id>.json     a small summary of each snapshot (written just before it), so
 *                                 that listing does not download every full manifest; ignored
 *                                 without its snapshot
 *   locks/exclusive.json          the writer lock (create-if-absent), with holder and expiry
 * Manifests and summaries are themselves encrypted when the repository is. Content longer than
 * chunkSize is stored as several chunk objects (ObjectRef.chunks). A stored object is one complete
 * age file (when encrypted) of either the plaintext or a zstd frame of it, told apart by the zstd
 * magic: `age -d -i key.txt objects/ab/ab12... | zstd -dcf` gives back the content.
 * Implementation and API: src/backup/stores/ (LocalStore, S3Store, openStore) and
 * src/backup/repo/ (initRepo, openRepo, Repo, backupFilestore, restoreFilestore).
 */
import type { Readable } from "node:stream";

/** A flat object store. Implementations never buffer a whole object in memory. */
export interface Store {
  /** Human description without secrets, e.g. "file:///srv/backups" or "s3://bucket/prefix (endpoint http://127.0.0.1:9000)". */
  readonly description: string;
  /** Stores `body` under `key`, atomically: readers see the old object or the whole new one. */
  put(key: string, body: Readable | Buffer): Promise<void>;
  /** Creates `key` only if absent (locks). Returns false when it already existed. */
  putIfAbsent(key: string, body: Buffer): Promise<boolean>;
  /** Streams an object; rejects with a {@link NotFoundError} when absent. */
  get(key: string): Promise<Readable>;
  /**
   * Reads a whole object into `buf` (from offset 0) and returns the part filled. Rejects with a
   * {@link NotFoundError} when absent, and with an {@link ObjectTooLargeError} when the object
   * does not fit. Optional: the repository's restore path uses it to reuse buffers instead of
   * allocating (and garbage-collecting) one per object; stores without it are read through get().
   */
  readInto?(key: string, buf: Buffer): Promise<Buffer>;
  /** Size of an object, undefined when absent. */
  stat(key: string): Promise<{ size: number } | undefined>;
  /** Keys under a prefix, in lexicographic order. */
  list(prefix: string): AsyncIterable<{ key: string; size: number; mtimeMs?: number }>;
  delete(key: string): Promise<void>;
  /**
   * Makes every object put so far durable (a crash cannot lose them). The repository calls it
   * before writing a snapshot that references them. Optional: stores whose put is durable (S3) omit it.
   */
  flush?(): Promise<void>;
  /**
   * Removes what killed writers left behind and readers never see (a local store's temp files),
   * when it was last modified more than `olderThanMs` before `now`. Returns how many went.
   * Optional. prune calls it under the repository lock with `now` = the lock's time.
   */
  removeStaleTemp?(olderThanMs: number, now?: number): Promise<number>;
}

export class NotFoundError extends Error {
  constructor(readonly key: string) {
    super(`object ${key} not found`);
    this.name = "NotFoundError";
  }
}

/** An object larger than the buffer given to {@link Store.readInto}. */
export class ObjectTooLargeError extends Error {
  constructor(
    readonly key: string,
    readonly limit: number,
  ) {
    super(`object ${key} is larger than the ${limit} bytes expected`);
    this.name = "ObjectTooLargeError";
  }
}

export const REPO_FORMAT_VERSION = 1;
export const MANIFEST_FORMAT_VERSION = 1;

export interface RepoConfig {
  formatVersion: typeof REPO_FORMAT_VERSION;
  /** Random id, so two repositories are never mixed up. */
  id: string;
  encryption: { kind: "none" } | { kind: "age"; recipients: string[] };
  /** Objects larger than this are split into chunks (multipart-friendly, bounded memory). */
  chunkSize: number;
  /**
   * How objects are compressed before encryption. Each object is compressed only when a sample
   * shows it pays (attachments are mostly JPEG/PNG/PDF/ZIP already).
   * @default { kind: "zstd", level: 3 }
   */
  compression?: { kind: "zstd"; level: number } | { kind: "none" };
}

/** A reference to stored content. */
export interface ObjectRef {
  /** sha256 (hex) of the plaintext content: the object's identity and its checksum. */
  hash: string;
  /** Plaintext size in bytes. */
  size: number;
  /** For content stored as several chunks: the chunk objects in order. */
  chunks?: { hash: string; size: number }[];
}

export interface FilestoreEntry {
  /** Path relative to the filestore root of the database, e.g. "ab/ab12...". */
  path: string;
  size: number;
  /** Modification time (ms since epoch): with path and size, lets the next backup skip re-reading unchanged files. */
  mtimeMs: number;
  object: ObjectRef;
}

export interface DatabaseDump {
  /** Database the dump was taken from. */
  name: string;
  /** pg_dump format: "custom" is one object; "directory" is one object per file (parallel -j). */
  format: "custom" | "directory" | "plain";
  /** custom/plain: one entry with path "dump"; directory: one entry per file of the dump dir. */
  files: { path: string; object: ObjectRef }[];
  /** PostgreSQL server version, e.g. "15.18". */
  serverVersion: string;
  /** Row count per table (schema.table) at backup time, for `verify --restore-test`. */
  rowCounts: Record<string, number>;
}

export interface SnapshotManifest {
  formatVersion: typeof MANIFEST_FORMAT_VERSION;
  id: string;
  /** ISO 8601 UTC. */
  createdAt: string;
  /** Free-form labels: project, env, host, tool version. */
  tags: Record<string, string>;
  database?: DatabaseDump;
  filestore?: {
    /** Database whose filestore this is (data_dir/filestore/<db>). */
    db: string;
    files: FilestoreEntry[];
    totalBytes: number;
  };
  /** Odoo metadata when known (same fields as the manifest.json of Odoo's zip backups). */
  odoo?: {
    version?: string;
    versionInfo?: unknown[];
    majorVersion?: string;
    pgVersion?: string;
    /** {module: installed version} */
    modules?: Record<string, string>;
  };
  /** Totals for list/show: bytes read, bytes new in this snapshot, durations. */
  stats: {
    files: number;
    bytes: number;
    newObjects: number;
    newBytes: number;
    seconds: number;
    /** Plaintext bytes actually read from the sources (unchanged files are not read). */
    bytesRead?: number;
    /** Bytes written to the store (after compression and encryption). */
    bytesUploaded?: number;
    /** Objects already in the repository (deduplicated), not uploaded again. */
    reusedObjects?: number;
    /** Files whose path, size and mtime matched the previous snapshot: not even read. */
    unchangedFiles?: number;
  };
}

/** Progress events for stderr rendering. */
export interface Progress {
  phase: string;
  doneBytes?: number;
  totalBytes?: number;
  doneItems?: number;
  totalItems?: number;
}
export type ProgressSink = (p: Progress) => void;
