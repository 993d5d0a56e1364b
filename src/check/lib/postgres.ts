/**
 * PostgreSQL facts for rules: which compose services run a PostgreSQL server, which major
 * version they run, where their data directory is, and the support tables (community end of
 * life, Odoo minimum and newest-known versions). Pure.
 */
import type { SourcePos } from "../../errors.js";
import type { EnvModel, ProjectModel, ServiceModel, VolumeMount } from "../../project/model.js";
import { imageName, imageTag } from "./common.js";

// ---------------------------------------------------------------------------------------------
// Versions

/**
 * A PostgreSQL major version. Before 10 the major had two parts (9.6), so it is kept as a
 * number that compares naturally: 9.5 < 9.6 < 10 < 16.
 */
export type PgMajor = number;

/** "9.6", "16". */
export function formatPgMajor(major: PgMajor): string {
  return major < 10 ? major.toFixed(1) : String(major);
}

/**
 * Reads the major version out of a version-ish string: an image tag (`16.6`, `16-alpine`,
 * `13-3.1` (postgis), `9.6-2.5`, `latest-pg16`, `2.14.2-pg16` (timescaledb), `pg17`
 * (pgvector), `16.2.0-debian-12-r8` (bitnami)), a build arg (`16`) or a copier answer.
 * undefined for `latest`, `alpine`, empty and anything else it cannot read.
 */
export function parsePgMajor(value: string | number | undefined | null): PgMajor | undefined {
  if (value === undefined || value === null) return undefined;
  const s = String(value).trim().toLowerCase();
  if (s === "") return undefined;
  // Images that carry their own version first and PostgreSQL's as a `pgNN` suffix.
  const pg = /(?:^|[-_.])pg(\d{1,2})(?:[-_.]|$)/.exec(s);
  const m = pg ? [pg[0], pg[1], undefined] : /^v?(\d{1,2})(?:\.(\d+))?(?=$|[-_.])/.exec(s);
  if (!m || m[1] === undefined) return undefined;
  const major = Number.parseInt(m[1], 10);
  if (major >= 10) return major <= 40 ? major : undefined;
  if (major < 7) return undefined;
  const minor = m[2] === undefined ? 0 : Number.parseInt(m[2], 10);
  if (minor > 9) return undefined;
  return major + minor / 10;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL server services

/** Flavour of a PostgreSQL server image: where it keeps its data. */
export type PgImageFlavour = "official" | "bitnami";

/**
 * Image names (without registry and tag) of PostgreSQL servers, by last path segment. Exporters,
 * backup tools and poolers whose names merely contain "postgres" are not servers.
 */
const OFFICIAL_BASED = new Set([
  "postgres",
  "postgresql",
  "postgis",
  "postgres-autoconf",
  "postgis-autoconf",
  "timescaledb",
  "timescaledb-ha",
  "pgvector",
]);

/** The PostgreSQL server flavour of an image, undefined when the image is not a known server. */
export function pgImageFlavour(image: string | undefined): PgImageFlavour | undefined {
  if (!image) return undefined;
  const name = imageName(image);
  const parts = name.split("/");
  const last = parts[parts.length - 1] ?? "";
  if (parts[0] === "bitnami" && (last === "postgresql" || last === "postgresql-repmgr")) return "bitnami";
  if (OFFICIAL_BASED.has(last)) return "official";
  return undefined;
}

/** Whether the service runs a PostgreSQL server image. */
export function isPgServer(svc: ServiceModel): boolean {
  return pgImageFlavour(svc.image) !== undefined;
}

/** Services of the environment whose image is a PostgreSQL server. */
export function pgServerServices(env: EnvModel): ServiceModel[] {
  return Object.values(env.compose.services).filter(isPgServer);
}

/** Where a PostgreSQL major version was read. */
export type PgVersionSource = "image" | "build-arg" | "copier-answers";

export interface PgVersionInfo {
  major: PgMajor;
  /** How the version was written (tag, build arg value, answer). */
  raw: string;
  source: PgVersionSource;
  /** The PostgreSQL service, when the version comes from its image. */
  service?: string;
  pos?: SourcePos;
}

/** Version of a PostgreSQL server service from its image tag; undefined for latest/untagged. */
export function pgVersionOfService(env: EnvModel, svc: ServiceModel): PgVersionInfo | undefined {
  if (!svc.image || pgImageFlavour(svc.image) === undefined) return undefined;
  const tag = imageTag(svc.image);
  if (tag === undefined || tag.startsWith("@")) return undefined;
  const major = parsePgMajor(tag);
  if (major === undefined) return undefined;
  return {
    major,
    raw: svc.image,
    source: "image",
    service: svc.name,
    pos: env.compose.positions.at(["services", svc.name, "image"]),
  };
}

/**
 * The PostgreSQL versions an environment runs. From each PostgreSQL service's image tag; when
 * the environment has no PostgreSQL service with a readable tag (external database), from the
 * Odoo services' `DB_VERSION` build arg (the client doodba installs, matched to the server by
 * the template), then from the copier answer `postgres_version`. Empty when unknown.
 */
export function pgVersions(env: EnvModel, project: ProjectModel): PgVersionInfo[] {
  const out: PgVersionInfo[] = [];
  let hasServer = false;
  for (const svc of pgServerServices(env)) {
    hasServer = true;
    const v = pgVersionOfService(env, svc);
    if (v) out.push(v);
  }
  // Without Odoo there is no client to infer an external server's version from.
  if (out.length > 0 || hasServer || env.odoo.length === 0) return out;
  for (const cfg of env.odoo) {
    const svc = env.compose.services[cfg.service];
    const raw = svc?.build?.args["DB_VERSION"];
    const major = parsePgMajor(raw);
    if (svc && raw !== undefined && major !== undefined) {
      return [
        {
          major,
          raw,
          source: "build-arg",
          pos: env.compose.positions.at(["services", svc.name, "build", "args", "DB_VERSION"]),
        },
      ];
    }
  }
  const answers = project.answers;
  const answer = answers?.data["postgres_version"];
  if (answers && (typeof answer === "string" || typeof answer === "number")) {
    const major = parsePgMajor(answer);
    if (major !== undefined) {
      return [
        { major, raw: String(answer), source: "copier-answers", pos: answers.positions.at(["postgres_version"]) },
      ];
    }
  }
  return [];
}

/** Human description of where a version came from, for messages. */
export function describePgSource(v: PgVersionInfo): string {
  switch (v.source) {
    case "image":
      return `service ${v.service ?? "?"} runs ${v.raw}`;
    case "build-arg":
      return `build arg DB_VERSION=${v.raw}`;
    case "copier-answers":
      return `.copier-answers.yml postgres_version: ${v.raw}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Data directory

export interface PgDataLayout {
  /** The directory the server keeps its cluster in (PGDATA). */
  dataDir: string;
  /** The image's `VOLUME`: Docker mounts an anonymous volume there unless a mount targets exactly it. */
  imageVolume: string;
  /** true when the layout depends on a version the image tag does not tell (latest / no tag). */
  uncertain: boolean;
}

/**
 * Where a PostgreSQL service keeps its data. Official images (and those built on them: postgis,
 * tecnativa/postgres-autoconf, timescaledb, pgvector) use `PGDATA` (default
 * `/var/lib/postgresql/data`, `VOLUME /var/lib/postgresql/data`); from 18 the default is
 * `/var/lib/postgresql/18/docker` under `VOLUME /var/lib/postgresql` (docker-library/postgres
 * 18 Dockerfiles). Bitnami images keep it under `/bitnami/postgresql`.
 * undefined for images it does not know.
 */
export function pgDataLayout(svc: ServiceModel): PgDataLayout | undefined {
  const flavour = pgImageFlavour(svc.image);
  if (!flavour || !svc.image) return undefined;
  if (flavour === "bitnami") {
    return { dataDir: "/bitnami/postgresql/data", imageVolume: "/bitnami/postgresql", uncertain: false };
  }
  const tag = imageTag(svc.image);
  const major = tag === undefined || tag.startsWith("@") ? undefined : parsePgMajor(tag);
  const modern = major !== undefined && major >= 18;
  const pgdata = svc.environment["PGDATA"];
  const imageVolume = modern ? "/var/lib/postgresql" : "/var/lib/postgresql/data";
  const defaultDir = modern ? `/var/lib/postgresql/${major}/docker` : "/var/lib/postgresql/data";
  return {
    dataDir: normalizeDir(pgdata && pgdata.trim() !== "" ? pgdata : defaultDir),
    imageVolume,
    uncertain: major === undefined,
  };
}

/** "/a/b/" -> "/a/b"; collapses repeated slashes. */
export function normalizeDir(p: string): string {
  const s = p.trim().replace(/\/+/g, "/");
  return s.length > 1 ? s.replace(/\/$/, "") : s;
}

/** true when `dir` is `mount` or below it. */
export function isUnder(dir: string, mount: string): boolean {
  const d = normalizeDir(dir);
  const m = normalizeDir(mount);
  return d === m || d.startsWith(m === "/" ? "/" : `${m}/`);
}

// ---------------------------------------------------------------------------------------------
// Support tables

/**
 * Community end of life of each PostgreSQL major (final minor release), from
 * https://www.postgresql.org/support/versioning/ (5 years after the x.0 release).
 */
export const PG_END_OF_LIFE: ReadonlyMap<PgMajor, string> = new Map([
  [8.4, "2014-07-24"],
  [9.0, "2015-10-08"],
  [9.1, "2016-10-27"],
  [9.2, "2017-11-09"],
  [9.3, "2018-11-08"],
  [9.4, "2020-02-13"],
  [9.5, "2021-02-11"],
  [9.6, "2021-11-11"],
  [10, "2022-11-10"],
  [11, "2023-11-09"],
  [12, "2024-11-21"],
  [13, "2025-11-13"],
  [14, "2026-11-12"],
  [15, "2027-11-11"],
  [16, "2028-11-09"],
  [17, "2029-11-08"],
  [18, "2030-11-14"],
]);

/** End-of-life date of a major (ISO day), undefined when not in the table. */
export function pgEndOfLife(major: PgMajor): string | undefined {
  return PG_END_OF_LIFE.get(major);
}

/** true when the major's end of life is on or before `now` (UTC day). */
export function isPgEndOfLife(major: PgMajor, now: Date): boolean {
  const eol = pgEndOfLife(major);
  if (!eol) {
    // Older than anything in the table: long dead.
    return major < 8.4;
  }
  return now.toISOString().slice(0, 10) >= eol;
}

/**
 * Minimum PostgreSQL per Odoo major. Sources: odoo/odoo `odoo/service/server.py` /
 * `odoo/sql_db.py` / `odoo/release.py` `MIN_PG_VERSION` (16.0 and 17.0: 12; 18.0: 13; 19.0: 13)
 * and the setup documentation of each series (14.0/15.0: "supported version: 10.0 and later";
 * 11.0-13.0: 9.5 (13.0 recommends 10); 8.0-10.0: 9.x).
 */
export const ODOO_MIN_PG: readonly { odoo: [number, number]; min: PgMajor }[] = [
  { odoo: [8, 10], min: 9.0 },
  { odoo: [11, 13], min: 9.5 },
  { odoo: [14, 15], min: 10 },
  { odoo: [16, 17], min: 12 },
  { odoo: [18, 99], min: 13 },
];

export function odooMinPg(odooMajor: number): PgMajor | undefined {
  return ODOO_MIN_PG.find((r) => odooMajor >= r.odoo[0] && odooMajor <= r.odoo[1])?.min;
}

/**
 * Newest PostgreSQL major released while each Odoo series was still supported by Odoo S.A.
 * (support ends when the third later series ships): nothing newer was ever tested with it.
 * PostgreSQL x.0 dates from postgresql.org; Odoo series dates from odoo.com release notes.
 * Odoo 16 and later are absent: still within reach of current PostgreSQL releases.
 */
export const ODOO_NEWEST_TESTED_PG: ReadonlyMap<number, PgMajor> = new Map([
  [7, 9.6], // 7.0 supported until 10.0 (2016-10); PG 9.6: 2016-09-29
  [8, 10], // until 11.0 (2017-10); PG 10: 2017-10-05
  [9, 10], // until 12.0 (2018-10); PG 11 came 2018-10-18, after it
  [10, 12], // until 13.0 (2019-10); PG 12: 2019-10-03
  [11, 13], // until 14.0 (2020-10); PG 13: 2020-09-24
  [12, 14], // until 15.0 (2021-10); PG 14: 2021-09-30
  [13, 15], // until 16.0 (2022-10); PG 15: 2022-10-13
  [14, 16], // until 17.0 (2023-11); PG 16: 2023-09-14
  [15, 17], // until 18.0 (2024-10); PG 17: 2024-09-26
]);

/**
 * How many majors past the newest tested one a PostgreSQL server may be before it is called
 * a clear miss. Old Odoo often runs on one or two newer majors; three or more newer means
 * catalog, authentication (scram-sha-256 by default since 14) and client-library changes that
 * Odoo's code and its pinned psycopg2/libpq never met.
 */
export const UNTESTED_MARGIN = 2;

/** Newest PostgreSQL major released while the Odoo series was supported; undefined when no limit applies. */
export function odooNewestTestedPg(odooMajor: number): PgMajor | undefined {
  return ODOO_NEWEST_TESTED_PG.get(odooMajor);
}

/** Position of a major in release order: 9.5 -> 5, 9.6 -> 6, 10 -> 7, 16 -> 13. */
function pgOrdinal(m: PgMajor): number {
  if (m >= 10) return 7 + (m - 10);
  if (m < 9) return Math.round(m * 10) - 85; // 8.4 -> -1
  return Math.round(m * 10) - 90;
}

/** The major `steps` releases after `m` (9.6 + 1 = 10, 14 + 2 = 16). */
export function pgMajorAfter(m: PgMajor, steps: number): PgMajor {
  const o = pgOrdinal(m) + steps;
  if (o >= 7) return 10 + (o - 7);
  if (o >= 0) return 9 + o / 10;
  return m;
}

/** Releases between two majors (9.5 -> 9.6 is 1, 9.6 -> 10 is 1, 14 -> 18 is 4). */
export function pgMajorDistance(from: PgMajor, to: PgMajor): number {
  return pgOrdinal(to) - pgOrdinal(from);
}

// ---------------------------------------------------------------------------------------------
// Mounts (shared by the filestore and database data rules)

export type MountKind = "named" | "bind" | "anonymous" | "tmpfs" | "image-volume" | "other" | "none";

export interface MountCover {
  /**
   * What holds `dir`: a named volume or bind mount (persistent, survives `down -v`), an anonymous
   * volume (explicit, or the image's `VOLUME` nobody mounted over), tmpfs, or nothing (the
   * container's writable layer, lost when the container is recreated).
   */
  kind: MountKind;
  /** Mount point that holds `dir` (absent for "none"). */
  target?: string;
  mount?: VolumeMount;
}

/**
 * The mount that holds directory `dir` in a service's container: the deepest mount whose target
 * is `dir` or a parent of it. `imageVolumes` are the image's `VOLUME` paths: Docker mounts an
 * anonymous volume on each unless a mount targets exactly that path, so a named volume on a
 * parent folder does not reach below them.
 */
export function mountHolding(svc: ServiceModel, dir: string, imageVolumes: readonly string[] = []): MountCover {
  let best: MountCover = { kind: "none" };
  let bestLen = -1;
  const consider = (target: string, cover: MountCover): void => {
    const t = normalizeDir(target);
    if (!isUnder(dir, t)) return;
    if (t.length > bestLen) {
      bestLen = t.length;
      best = cover;
    }
  };
  for (const iv of imageVolumes) {
    const t = normalizeDir(iv);
    if (svc.volumes.some((v) => normalizeDir(v.target) === t)) continue;
    consider(t, { kind: "image-volume", target: t });
  }
  for (const v of svc.volumes) {
    consider(v.target, { kind: mountKind(v), target: normalizeDir(v.target), mount: v });
  }
  return best;
}

function mountKind(v: VolumeMount): MountKind {
  switch (v.type) {
    case "volume":
      return v.source ? "named" : "anonymous";
    case "bind":
      return "bind";
    case "tmpfs":
      return "tmpfs";
    case "cluster":
      return "named";
    default:
      return "other";
  }
}

/** true when the data survives `docker compose down -v` and container re-creation. */
export function isPersistent(kind: MountKind): boolean {
  return kind === "named" || kind === "bind";
}
