import type { SourcePos } from "../../../errors.js";
import type { ProjectModel } from "../../../project/model.js";
import type { RawFinding, Rule } from "../../types.js";

const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|PASSPHRASE|ACCESS_?KEY)/i;
/** Names that hold a reference to a secret or a setting about it, not the secret itself. */
const NOT_SECRET = /(_FILE|_PATH|_DIR|_LEN|_LENGTH|_TTL|_EXPIRY|_EXPIRATION|_TIMEOUT|_ID|_URL|_ENABLED?|_HASH_ALGORITHM)$/i;
/** Values that are switches or placeholders, not credentials (doodba writes SMTP_PASSWORD=false for "none"). */
const NOT_A_VALUE = /^(true|false|none|null|nil|yes|no|0|1|-|\*+|x+)$/i;

/**
 * Whether the value written at `pos` in a YAML file is a `$VAR`/`${VAR}` interpolation (then the secret is not in
 * the file). Reads the raw line: the model holds the interpolated value.
 */
function interpolatedAt(project: ProjectModel, pos: SourcePos): boolean {
  const text = project.read(pos.file);
  if (text === undefined) return true;
  const line = text.split(/\r?\n/)[pos.line - 1] ?? "";
  const rest = line.slice(Math.max(0, pos.col - 1)).replace(/\$\$/g, "");
  return /\$\{?[A-Za-z_]/.test(rest);
}

export const rule: Rule = {
  id: "inline-secret-in-compose",
  category: "security",
  severity: "warning",
  title: "Secret written in a compose file",
  why:
    "Compose files are committed: a password or token written in them ends up in the git history, every clone, CI logs " +
    "and `docker compose config` output, and cannot differ per deployment. Doodba keeps secrets in git-ignored .docker/*.env files.",
  fix: "Move the variable to a git-ignored env file (e.g. `POSTGRES_PASSWORD=...` in .docker/db-creation.env listed under `env_file:`), or interpolate it (`POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?}` from an untracked .env), then rotate the exposed value.",
  appliesTo: { envs: ["any-non-devel"] },
  example: "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: s3cr3t",
  scope: "env",
  check(env, ctx) {
    const out: RawFinding[] = [];
    const seen = new Set<string>();
    const consider = (service: string, kind: string, name: string, value: string | null | undefined, pos: SourcePos | undefined): void => {
      if (!SECRET_NAME.test(name) || NOT_SECRET.test(name)) return;
      if (value === null || value === undefined || value.trim() === "" || NOT_A_VALUE.test(value.trim())) return;
      if (!pos || !/\.ya?ml$/i.test(pos.file)) return; // from an env_file, or no position
      if (interpolatedAt(ctx.project, pos)) return;
      const key = `${pos.file}:${pos.line}:${pos.col}`;
      if (seen.has(key)) return;
      seen.add(key);
      out.push({
        message: `Service ${service}: ${kind} ${name} has a literal value written in ${pos.file} (value not shown)`,
        pos,
      });
    };
    for (const svc of Object.values(env.compose.services)) {
      for (const [name, value] of Object.entries(svc.environment)) {
        consider(svc.name, "environment variable", name, value, env.compose.positions.exact(["services", svc.name, "environment", name]));
      }
      for (const [name, value] of Object.entries(svc.build?.args ?? {})) {
        consider(svc.name, "build arg", name, value, env.compose.positions.exact(["services", svc.name, "build", "args", name]));
      }
    }
    return out;
  },
};
