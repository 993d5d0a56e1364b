import type { RawFinding, Rule } from "../../types.js";
import { imageName, imageTag, svcPos } from "../../lib/common.js";

/** Tags that follow a moving branch rather than a release line. */
const FLOATING = /^(latest|master|main|edge|nightly|develop|dev|unstable|testing)$|^latest[-_]/i;

export const rule: Rule = {
  id: "image-unpinned",
  category: "reliability",
  severity: "warning",
  title: "Service image has no tag, or a moving one",
  why:
    "An image without a tag means `latest`; `latest`, `master`, `edge` or `nightly` change under you, so the next " +
    "`docker compose pull` or a host rebuild silently brings a new major version (a new PostgreSQL, a Traefik 3 " +
    "that ignores v2 labels) and the same project runs different software on two hosts.",
  fix: "Pin a release line or an exact version: `image: postgres:16.6` or at least `image: postgres:16`, `traefik:2.11`; use a digest (`@sha256:...`) to freeze it completely.",
  appliesTo: { envs: ["any-non-devel"] },
  example: "services:\n  backup:\n    image: ghcr.io/tecnativa/docker-duplicity-postgres-s3:latest",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const svc of Object.values(env.compose.services)) {
      const image = svc.image?.trim();
      // Built services name their own output with `image:`; nothing is pulled.
      if (!image || svc.build) continue;
      const tag = imageTag(image);
      if (tag !== undefined && tag.startsWith("@")) continue;
      if (tag === "") continue; // `name:` with an empty (unset) variable: another problem
      const name = imageName(image);
      if (tag === undefined) {
        out.push({
          message: `service ${svc.name}: image ${image} has no tag, so it runs whatever \`latest\` is when pulled`,
          pos: svcPos(env, svc.name, "image"),
          fix: `Pin a version: \`image: ${image}:<version>\` (the release you tested).`,
        });
      } else if (FLOATING.test(tag)) {
        out.push({
          message: `service ${svc.name}: image ${image} uses the moving tag \`${tag}\``,
          pos: svcPos(env, svc.name, "image"),
          fix: `Replace \`:${tag}\` with the release you tested, e.g. \`image: ${image.slice(0, image.length - tag.length - 1)}:<version>\` (see ${name}'s published tags).`,
        });
      }
    }
    return out;
  },
};
