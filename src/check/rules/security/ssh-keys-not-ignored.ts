import type { RawFinding, Rule } from "../../types.js";

const KEY_NAME = /^id_[a-z0-9_-]+$/i;
const SSH_DIR = "odoo/custom/ssh/";
const SSH_HARMLESS = /^(known_hosts|config|\.gitkeep|\.keep|\.empty|README(\.\w+)?)$/i;
const PRIVATE_MARKER = /-----BEGIN ([A-Z0-9 ]+ )?PRIVATE KEY-----|PuTTY-User-Key-File/;

export const rule: Rule = {
  id: "ssh-keys-not-ignored",
  category: "security",
  severity: "error",
  title: "Private key not git-ignored",
  why:
    "Doodba projects put the deploy key that clones private addon repositories in odoo/custom/ssh/. A private key that git " +
    "does not ignore gets committed and pushed: whoever reads the repository can then read (or, with write access, push to) " +
    "every repository the key opens, and TLS keys let them impersonate the site.",
  fix: "Add `/odoo/custom/ssh/*` followed by `!/odoo/custom/ssh/known_hosts` and `!/odoo/custom/ssh/config` to .gitignore (and `*.key`/`*.pem` for TLS keys). If a key was ever committed, remove it (`git rm --cached`), revoke it and create a new one.",
  appliesTo: {},
  example: "odoo/custom/ssh/id_rsa (committed; .gitignore has no odoo/custom/ssh rule)",
  scope: "project",
  check(ctx) {
    const p = ctx.project;
    const out: RawFinding[] = [];
    for (const f of p.files) {
      const base = f.slice(f.lastIndexOf("/") + 1);
      if (base.endsWith(".pub")) continue;
      // Candidates by name or place; a key only if the content says so (certificates, placeholders and
      // public keys are not secrets).
      const candidate = KEY_NAME.test(base) || /\.(pem|key|ppk)$/i.test(base) || (f.startsWith(SSH_DIR) && !SSH_HARMLESS.test(base));
      if (!candidate || p.gitignore.ignores(f)) continue;
      const text = p.read(f);
      if (text === undefined || !PRIVATE_MARKER.test(text.slice(0, 4096))) continue;
      out.push({
        message: p.gitignore.exists
          ? `Private key ${f} is not ignored by .gitignore: it would be committed`
          : `Private key ${f} would be committed: the project has no .gitignore`,
        pos: { file: f, line: 1, col: 1 },
        fix: f.startsWith(SSH_DIR)
          ? "Add `/odoo/custom/ssh/*`, `!/odoo/custom/ssh/known_hosts` and `!/odoo/custom/ssh/config` to .gitignore."
          : `Add \`/${f}\` (or a pattern such as \`*.key\`) to .gitignore, or move the key out of the project.`,
      });
    }
    return out;
  },
};
