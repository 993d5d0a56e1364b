/**
 * "Copy" semantics of a restore, as Odoo does it: `restore_db(copy=True)` and
 * `exp_duplicate_database` call `ir.config_parameter.init(force=True)`, which rewrites every key of
 * `_default_parameters` (odoo/addons/base/models/ir_config_parameter.py):
 *
 *   database.secret               a new uuid4 (signs sessions, reset links, portal tokens)
 *   database.uuid                 a new uuid1 (the database's identity at odoo.com: IAP,
 *                                 publisher warranty, enterprise subscription)
 *   database.create_date          now (UTC, "YYYY-MM-DD HH:MM:SS")
 *   web.base.url                  "http://localhost:<http_port>" (Odoo fixes it at the next admin login
 *                                 unless web.base.url.freeze is set)
 *   base.login_cooldown_after     10
 *   base.login_cooldown_duration  60
 *
 * A copy therefore never shares sessions, tokens or its subscription identity with the original.
 * click-odoo-restoredb (acsone) additionally deletes `database.enterprise_code` and sets
 * `database.expiration_reason = 'copy'`; Odoo itself does not, and neither does this function by
 * default (`enterpriseCopy: true` does what click-odoo-restoredb does).
 */
import type { Platform } from "../../platform/index.js";
import { quoteLiteral } from "./conn.js";
import { psql, type PgSession } from "./pg.js";

export interface CopyOptions {
  /** Odoo's http_port, for web.base.url. @default 8069 */
  httpPort?: number;
  /** Set web.base.url to this instead of Odoo's "http://localhost:<port>" (e.g. the staging URL). */
  baseUrl?: string;
  /** Also drop database.enterprise_code and set database.expiration_reason = 'copy' (click-odoo-restoredb). @default false */
  enterpriseCopy?: boolean;
}

export interface CopyResult {
  /** The parameters written (database.secret is reported by name only). */
  changed: string[];
  uuid: string;
}

/** RFC 4122 version 4 from 16 random bytes. */
export function uuid4(bytes: Buffer): string {
  const b = Buffer.from(bytes.subarray(0, 16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  return formatUuid(b);
}

/**
 * RFC 4122 version 1 (what Python's uuid.uuid1() gives Odoo): 60-bit timestamp in 100 ns since
 * 1582-10-15, a random clock sequence, and a random node with the multicast bit set (RFC 4122
 * 4.5: the stand-in for a MAC address we do not want to leak).
 */
export function uuid1(now: Date, random: Buffer): string {
  const GREGORIAN_OFFSET = 122192928000000000n; // 100 ns intervals from 1582-10-15 to 1970-01-01
  const ts = BigInt(now.getTime()) * 10000n + GREGORIAN_OFFSET + BigInt((random[0] ?? 0) % 100) * 100n;
  const timeLow = Number(ts & 0xffffffffn);
  const timeMid = Number((ts >> 32n) & 0xffffn);
  const timeHi = Number((ts >> 48n) & 0x0fffn) | 0x1000;
  const clockSeq = (((random[1] ?? 0) << 8) | (random[2] ?? 0)) & 0x3fff | 0x8000;
  const b = Buffer.alloc(16);
  b.writeUInt32BE(timeLow, 0);
  b.writeUInt16BE(timeMid, 4);
  b.writeUInt16BE(timeHi, 6);
  b.writeUInt16BE(clockSeq, 8);
  for (let i = 0; i < 6; i++) b[10 + i] = random[3 + i] ?? 0;
  b[10] = (b[10] ?? 0) | 0x01;
  return formatUuid(b);
}

function formatUuid(b: Buffer): string {
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Odoo's fields.Datetime.now() as stored: UTC, seconds, no zone. */
export function odooDatetime(d: Date): string {
  return d.toISOString().slice(0, 19).replace("T", " ");
}

/** The parameter values a copy gets (pure; randomness and time come from the platform). */
export function copyParameters(platform: Pick<Platform, "randomBytes" | "now">, opts: CopyOptions = {}): Record<string, string> {
  const rnd = platform.randomBytes ?? ((): Buffer => {
    throw new Error("copy needs Platform.randomBytes");
  });
  const now = platform.now?.() ?? new Date();
  return {
    "database.secret": uuid4(rnd(16)),
    "database.uuid": uuid1(now, rnd(9)),
    "database.create_date": odooDatetime(now),
    "web.base.url": opts.baseUrl ?? `http://localhost:${opts.httpPort ?? 8069}`,
    "base.login_cooldown_after": "10",
    "base.login_cooldown_duration": "60",
  };
}

/** SQL that sets parameters the way set_param does (update, or insert when missing), with ORM audit columns. */
export function setParamsSql(params: Record<string, string>): string {
  const rows = Object.entries(params)
    .map(([k, v]) => `(${quoteLiteral(k)}, ${quoteLiteral(v)})`)
    .join(",\n  ");
  return `WITH v(key, value) AS (VALUES\n  ${rows}\n), u AS (
  UPDATE ir_config_parameter p SET value = v.value, write_uid = 1, write_date = (now() AT TIME ZONE 'UTC')
    FROM v WHERE p.key = v.key RETURNING p.key
)
INSERT INTO ir_config_parameter (key, value, create_uid, create_date, write_uid, write_date)
SELECT v.key, v.value, 1, (now() AT TIME ZONE 'UTC'), 1, (now() AT TIME ZONE 'UTC') FROM v WHERE v.key NOT IN (SELECT key FROM u);\n`;
}

export async function applyCopy(s: PgSession, db: string, opts: CopyOptions = {}): Promise<CopyResult> {
  const params = copyParameters(s.platform, opts);
  let sql = setParamsSql(params);
  const changed = Object.keys(params);
  if (opts.enterpriseCopy) {
    sql += `DELETE FROM ir_config_parameter WHERE key = 'database.enterprise_code';\n${setParamsSql({ "database.expiration_reason": "copy" })}`;
    changed.push("database.enterprise_code (deleted)", "database.expiration_reason");
  }
  await psql(s, db, sql, { singleTransaction: true });
  return { changed, uuid: params["database.uuid"] as string };
}
