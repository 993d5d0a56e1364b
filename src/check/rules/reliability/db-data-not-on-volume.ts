import type { RawFinding, Rule } from "../../types.js";
import { svcPos } from "../../lib/common.js";
import { isPersistent, isUnder, mountHolding, pgDataLayout, pgServerServices } from "../../lib/postgres.js";

export const rule: Rule = {
  id: "db-data-not-on-volume",
  category: "reliability",
  severity: "error",
  title: "PostgreSQL data not on a named volume or bind mount",
  why:
    "The PostgreSQL cluster lives in its data directory (PGDATA). Without a named volume or bind mount holding it, " +
    "it sits on the image's anonymous volume or in the container layer: `docker compose down -v`, `rm -v` or " +
    "re-creating the container loses every database. From PostgreSQL 18 the images keep PGDATA in " +
    "/var/lib/postgresql/18/docker, so an old-style mount at /var/lib/postgresql/data no longer holds the data.",
  fix:
    "Mount a named volume at the data directory: `volumes: [\"db:/var/lib/postgresql/data\"]` (PostgreSQL 17 and " +
    "older) or `volumes: [\"db:/var/lib/postgresql\"]` (18 and newer), and declare `db:` under the top-level `volumes:`.",
  appliesTo: { envs: ["any-non-devel"] },
  example: "services:\n  db:\n    image: postgres:18\n    volumes:\n      - db:/var/lib/postgresql/data  # 18 keeps PGDATA in /var/lib/postgresql/18/docker",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const svc of pgServerServices(env)) {
      const layout = pgDataLayout(svc);
      if (!layout) continue;
      if (layout.dataDir.includes("$")) continue;
      const cover = mountHolding(svc, layout.dataDir, [layout.imageVolume]);
      if (isPersistent(cover.kind) || cover.kind === "other") continue;
      if (layout.uncertain) {
        // latest / untagged: 17- and 18+ layouts differ; accept a persistent mount at either.
        const alt = ["/var/lib/postgresql", "/var/lib/postgresql/data"].some((d) =>
          isPersistent(mountHolding(svc, d, []).kind),
        );
        if (alt) continue;
      }
      const pgdataSet = svc.environment["PGDATA"] ? " (PGDATA)" : "";
      // A persistent mount near the data that misses it (typically the pre-18 path on an 18 image).
      const misplaced = svc.volumes.find(
        (v) => ((v.type === "volume" && v.source) || v.type === "bind") && isUnder(v.target, "/var/lib/postgresql"),
      );
      let what: string;
      switch (cover.kind) {
        case "tmpfs":
          what = "is on tmpfs: every database is lost on restart";
          break;
        case "anonymous":
          what = `is on an anonymous volume at ${cover.target ?? layout.dataDir}: lost on \`docker compose down -v\``;
          break;
        case "image-volume":
          what = `is on the image's anonymous VOLUME ${cover.target ?? layout.dataDir}: lost on \`docker compose down -v\`/\`rm -v\``;
          break;
        default:
          what = "is on no volume: the databases live in the container layer and are lost when it is re-created";
      }
      const note = misplaced
        ? ` (the volume at ${misplaced.target} does not hold it)`
        : "";
      const target = layout.imageVolume === "/var/lib/postgresql" && !pgdataSet ? "/var/lib/postgresql" : layout.dataDir;
      out.push({
        message: `PostgreSQL service ${svc.name}: data directory ${layout.dataDir}${pgdataSet} ${what}${note}`,
        pos: misplaced?.pos ?? (svc.volumes.length > 0 ? svcPos(env, svc.name, "volumes") : svcPos(env, svc.name)),
        fix: `Mount a named volume there: \`- db:${target}\` under \`services.${svc.name}.volumes\`, and \`db:\` under the top-level \`volumes:\`${misplaced ? `; for PostgreSQL 18+ either mount at /var/lib/postgresql or set \`PGDATA: ${misplaced.target}\`` : ""}.`,
      });
    }
    return out;
  },
};
