/**
 * Escaping for the doctor renderers. Log lines, container names, SQL text and error messages
 * are untrusted input: everything that reaches HTML or Markdown goes through here.
 */

const HTML: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text or attribute value for HTML/SVG. Also drops control characters that are not valid in XML (ANSI escapes from `docker logs`). */
export function escapeHtml(s: string): string {
  return stripControl(s).replace(/[&<>"']/g, (c) => HTML[c] ?? c);
}

/** Removes C0 controls except tab/newline, DEL, and ANSI colour sequences. */
export function stripControl(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, "").replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, "");
}

/**
 * Inline Markdown text: HTML-significant characters become entities (so `<script>` is shown,
 * never run, by renderers that allow inline HTML), and Markdown punctuation is backslash-escaped
 * so a log line cannot open a link, an image, emphasis, a code span or a table cell. Newlines
 * become spaces. Underscores inside words (`limit_time_real`) stay as they are: they cannot start
 * emphasis in CommonMark, and the raw text stays readable.
 */
export function escapeMarkdown(s: string): string {
  const text = stripControl(s).replace(/\r?\n/g, " ");
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? "";
    if (c === "_") {
      const before = text[i - 1] ?? "";
      const after = text[i + 1] ?? "";
      out += /[A-Za-z0-9]/.test(before) && /[A-Za-z0-9]/.test(after) ? "_" : "\\_";
    } else if (c === "&") out += "&amp;";
    else if (c === "<") out += "&lt;";
    else if (c === ">") out += "&gt;";
    else if ("\\`*[]|~".includes(c)) out += `\\${c}`;
    else if (i === 0 && "#+-=".includes(c)) out += `\\${c}`;
    else out += c;
  }
  // "1. text" / "1) text" at the start would open an ordered list
  return out.replace(/^(\d+)([.)])(?=\s|$)/, "$1\\$2");
}

/**
 * A fenced code block that the content cannot close: the fence is one backtick longer than the
 * longest run of backticks in the content (CommonMark: a closing fence must be at least as long).
 * Code block content is shown literally by every CommonMark renderer, never interpreted.
 */
export function fencedBlock(content: string, info = "text"): string {
  const clean = stripControl(content).replace(/\r\n?/g, "\n").replace(/\n+$/, "");
  let longest = 0;
  for (const m of clean.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${clean}\n${fence}`;
}

const CODE_SPAN = /`([^`\n]+)`/g;

/**
 * Inline Markdown that keeps `code spans` of the text as code spans (their content is shown
 * literally by CommonMark, so nothing in them is interpreted) and escapes everything else with
 * {@link escapeMarkdown}. A lone backtick is escaped like any other character.
 */
export function inlineMarkdown(s: string): string {
  const text = stripControl(s).replace(/\r?\n/g, " ");
  let out = "";
  let last = 0;
  for (const m of text.matchAll(CODE_SPAN)) {
    const at = m.index ?? 0;
    out += escapeMarkdown(text.slice(last, at));
    const inner = m[1] ?? "";
    // a space on both sides keeps a span that starts or ends with a space intact (CommonMark strips one)
    out += inner.startsWith(" ") || inner.endsWith(" ") ? `\` ${inner} \`` : `\`${inner}\``;
    last = at + m[0].length;
  }
  return out + escapeMarkdown(text.slice(last));
}

/** HTML with the text's `code spans` as <code> elements; everything escaped. */
export function inlineHtml(s: string): string {
  const text = stripControl(s);
  let out = "";
  let last = 0;
  for (const m of text.matchAll(CODE_SPAN)) {
    const at = m.index ?? 0;
    out += escapeHtml(text.slice(last, at));
    out += `<code>${escapeHtml(m[1] ?? "")}</code>`;
    last = at + m[0].length;
  }
  return out + escapeHtml(text.slice(last));
}
