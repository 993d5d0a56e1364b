/**
 * The error timeline: ERROR/CRITICAL log records and HTTP 5xx responses per time bucket, from a
 * scan. Rendered as an inline SVG bar chart in the HTML report (no script, no external asset;
 * each bar has a <title> tooltip) and as a one-line sparkline in the terminal.
 */
import type { ScanResult } from "../types.js";
import { escapeHtml } from "./escape.js";
import { formatMinute } from "./rank.js";

export interface TimelineBucket {
  /** Bucket start, epoch ms (UTC). */
  start: number;
  /** ERROR/CRITICAL log records. */
  errors: number;
  /** HTTP responses with status >= 500 (werkzeug access lines). */
  http5xx: number;
}

export interface Timeline {
  /** Width of one bucket in minutes (1 for short logs; wider so a long log keeps a readable number of bars). */
  bucketMinutes: number;
  buckets: TimelineBucket[];
  /** Largest value of either series in a bucket (>= 1). */
  max: number;
  totalErrors: number;
  total5xx: number;
}

const MINUTE = 60_000;
const BUCKET_SIZES = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080];

function series(rec: Record<string, number> | undefined): [number, number][] {
  const out: [number, number][] = [];
  for (const [k, v] of Object.entries(rec ?? {})) {
    const t = Number(k);
    if (Number.isFinite(t) && Number.isFinite(v) && v > 0) out.push([t, v]);
  }
  return out;
}

/**
 * Buckets the scan's per-minute counts so that there are at most `maxBuckets` bars, empty
 * buckets included (a gap is information). undefined when the scan has no error at all.
 */
export function buildTimeline(scan: ScanResult | undefined, maxBuckets = 120): Timeline | undefined {
  if (!scan) return undefined;
  const errors = series(scan.errorTimeline);
  const http = series(scan.requests?.errorsPerMinute);
  const all = [...errors, ...http];
  if (all.length === 0) return undefined;
  let min = Infinity;
  let max = -Infinity;
  for (const [t] of all) {
    min = Math.min(min, t);
    max = Math.max(max, t);
  }
  const spanMinutes = Math.floor((max - min) / MINUTE) + 1;
  const size = BUCKET_SIZES.find((s) => Math.ceil(spanMinutes / s) + 1 <= maxBuckets) ?? BUCKET_SIZES[BUCKET_SIZES.length - 1] ?? 1;
  const width = size * MINUTE;
  const first = Math.floor(min / width) * width;
  const count = Math.floor((max - first) / width) + 1;
  const buckets: TimelineBucket[] = Array.from({ length: count }, (_, i) => ({ start: first + i * width, errors: 0, http5xx: 0 }));
  const at = (t: number): TimelineBucket | undefined => buckets[Math.floor((t - first) / width)];
  for (const [t, v] of errors) {
    const b = at(t);
    if (b) b.errors += v;
  }
  for (const [t, v] of http) {
    const b = at(t);
    if (b) b.http5xx += v;
  }
  const top = Math.max(1, ...buckets.map((b) => Math.max(b.errors, b.http5xx)));
  return {
    bucketMinutes: size,
    buckets,
    max: top,
    totalErrors: errors.reduce((s, [, v]) => s + v, 0),
    total5xx: http.reduce((s, [, v]) => s + v, 0),
  };
}

export function bucketLabel(minutes: number): string {
  if (minutes % 1440 === 0) return minutes === 1440 ? "day" : `${minutes / 1440} days`;
  if (minutes % 60 === 0) return minutes === 60 ? "hour" : `${minutes / 60} hours`;
  return minutes === 1 ? "minute" : `${minutes} minutes`;
}

const SPARKS = "▁▂▃▄▅▆▇█";

/** One character per bucket (log errors), blank for an empty bucket. */
export function sparkline(t: Timeline): string {
  return t.buckets
    .map((b) => {
      const v = b.errors + b.http5xx;
      if (v === 0) return " ";
      const i = Math.min(SPARKS.length - 1, Math.floor(((v - 1) / Math.max(1, maxSum(t) - 1)) * (SPARKS.length - 1)));
      return SPARKS[i] ?? "█";
    })
    .join("");
}

function maxSum(t: Timeline): number {
  return Math.max(1, ...t.buckets.map((b) => b.errors + b.http5xx));
}

/**
 * Inline SVG bar chart: log errors as bars, HTTP 5xx as a line with dots, y axis from 0 to the
 * maximum, x labels at the start, middle and end. Self-contained (no fonts or styles from outside
 * beyond generic families), deterministic.
 */
export function timelineSvg(t: Timeline): string {
  const W = 760;
  const H = 220;
  const left = 44;
  const right = 12;
  const top = 14;
  const bottom = 44;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const n = t.buckets.length;
  const step = plotW / n;
  // a few buckets must not become slabs: bars at most 48 px wide, centred in their slot
  const barW = Math.min(48, Math.max(1, step * 0.8));
  const y = (v: number): number => top + plotH - (v / t.max) * plotH;
  const per = bucketLabel(t.bucketMinutes);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="tl-title" class="timeline" font-family="sans-serif" font-size="11">`,
    `<title id="tl-title">${escapeHtml(`Errors per ${per}: ${t.totalErrors} log errors, ${t.total5xx} HTTP 5xx`)}</title>`,
  );
  // axes and grid
  // whole-number ticks: 0, the middle (when it is a distinct whole number), the maximum
  const ticks = [...new Set([0, t.max >= 4 ? Math.round(t.max / 2) : 0, t.max])];
  for (const v of ticks) {
    const yy = y(v).toFixed(1);
    parts.push(`<line x1="${left}" y1="${yy}" x2="${W - right}" y2="${yy}" stroke="#ddd" stroke-width="1"/>`);
    parts.push(`<text x="${left - 6}" y="${(Number(yy) + 4).toFixed(1)}" text-anchor="end" fill="#555">${v}</text>`);
  }
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#888" stroke-width="1"/>`);
  // bars
  t.buckets.forEach((b, i) => {
    const x = left + i * step + (step - barW) / 2;
    const label = `${formatMinute(b.start)} UTC: ${b.errors} log error${b.errors === 1 ? "" : "s"}, ${b.http5xx} HTTP 5xx`;
    if (b.errors > 0) {
      const yy = y(b.errors);
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${yy.toFixed(1)}" width="${barW.toFixed(1)}" height="${(top + plotH - yy).toFixed(1)}" fill="#d9534f"><title>${escapeHtml(label)}</title></rect>`,
      );
    } else if (b.http5xx > 0) {
      parts.push(`<rect x="${x.toFixed(1)}" y="${top}" width="${barW.toFixed(1)}" height="${plotH}" fill="transparent"><title>${escapeHtml(label)}</title></rect>`);
    }
  });
  // 5xx line
  if (t.total5xx > 0) {
    const pts = t.buckets.map((b, i) => `${(left + i * step + step / 2).toFixed(1)},${y(b.http5xx).toFixed(1)}`);
    parts.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="#333" stroke-width="1.5" stroke-dasharray="4 2"/>`);
    t.buckets.forEach((b, i) => {
      if (b.http5xx > 0) parts.push(`<circle cx="${(left + i * step + step / 2).toFixed(1)}" cy="${y(b.http5xx).toFixed(1)}" r="2.5" fill="#333"/>`);
    });
  }
  // x labels: first, middle, last bucket
  const marks = [...new Set([0, Math.floor((n - 1) / 2), n - 1])];
  for (const i of marks) {
    const b = t.buckets[i];
    if (!b) continue;
    const x = left + i * step + step / 2;
    const anchor = n === 1 ? "middle" : i === 0 ? "start" : i === n - 1 ? "end" : "middle";
    const xx = anchor === "start" ? left : anchor === "end" ? W - right : x;
    parts.push(`<text x="${xx.toFixed(1)}" y="${top + plotH + 16}" text-anchor="${anchor}" fill="#555">${escapeHtml(formatMinute(b.start))}</text>`);
  }
  // legend
  const ly = H - 8;
  parts.push(`<rect x="${left}" y="${ly - 9}" width="10" height="10" fill="#d9534f"/>`);
  parts.push(`<text x="${left + 14}" y="${ly}" fill="#333">ERROR/CRITICAL log records per ${escapeHtml(per)}</text>`);
  if (t.total5xx > 0) {
    parts.push(`<line x1="${left + 300}" y1="${ly - 4}" x2="${left + 320}" y2="${ly - 4}" stroke="#333" stroke-width="1.5" stroke-dasharray="4 2"/>`);
    parts.push(`<text x="${left + 324}" y="${ly}" fill="#333">HTTP 5xx responses per ${escapeHtml(per)}</text>`);
  }
  parts.push(`</svg>`);
  return parts.join("\n");
}
