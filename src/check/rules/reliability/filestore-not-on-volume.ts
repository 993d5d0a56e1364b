import type { RawFinding, Rule } from "../../types.js";
import { odooServices, opt, svcPos } from "../../lib/common.js";
import { isPersistent, mountHolding, normalizeDir } from "../../lib/postgres.js";

/** `VOLUME` of the doodba image (`ONBUILD VOLUME ["/var/lib/odoo"]`) and of the official odoo image. */
const ODOO_IMAGE_VOLUMES = ["/var/lib/odoo"];

export const rule: Rule = {
  id: "filestore-not-on-volume",
  category: "reliability",
  severity: "error",
  title: "Odoo filestore not on a named volume or bind mount",
  why:
    "Odoo keeps every attachment (invoices, images, documents) under data_dir/filestore, outside the database. " +
    "Without a named volume or bind mount there, it lives in the image's anonymous volume (or the container layer): " +
    "`docker compose down -v` or `rm -v` deletes it, re-creating the container can orphan it, and volume-based " +
    "backups never see it, so a restore brings back a database whose attachments are gone.",
  fix: "Mount a named volume at the data_dir: `volumes: [\"filestore:/var/lib/odoo\"]` on the Odoo service, and declare `filestore:` under the top-level `volumes:`.",
  appliesTo: { envs: ["any-non-devel"] },
  example: "services:\n  odoo:\n    build: ./odoo\n    # no volumes: filestore on an anonymous volume",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const { svc, cfg } of odooServices(env)) {
      const dataDirOpt = opt(cfg, "data_dir");
      const raw = dataDirOpt?.value?.trim();
      // An unexpanded variable: cannot tell where it points.
      if (raw !== undefined && (raw === "" || raw.includes("$") || !raw.startsWith("/"))) continue;
      const dataDir = normalizeDir(raw ?? "/var/lib/odoo");
      const cover = mountHolding(svc, `${dataDir}/filestore`, ODOO_IMAGE_VOLUMES);
      if (isPersistent(cover.kind) || cover.kind === "other") continue;
      const where =
        dataDirOpt && dataDirOpt.source !== "odoo-default" && dataDirOpt.source !== "doodba-default"
          ? `data_dir ${dataDir} (set by ${dataDirOpt.source})`
          : `data_dir ${dataDir}`;
      let what: string;
      switch (cover.kind) {
        case "tmpfs":
          what = `is on a tmpfs mount at ${cover.target ?? dataDir}: the filestore is lost on every restart`;
          break;
        case "anonymous":
          what = `is on an anonymous volume at ${cover.target ?? dataDir}: lost on \`docker compose down -v\` and not picked up by volume backups`;
          break;
        case "image-volume":
          what = `is on the image's anonymous VOLUME ${cover.target ?? dataDir}: lost on \`docker compose down -v\`/\`rm -v\` and not picked up by volume backups`;
          break;
        default:
          what = "is on no volume at all: the filestore lives in the container layer and is lost when the container is re-created";
      }
      const pos = cover.mount?.pos ?? (svc.volumes.length > 0 ? svcPos(env, svc.name, "volumes") : svcPos(env, svc.name));
      out.push({
        message: `Odoo service ${svc.name}: ${where} ${what}`,
        pos,
        fix: `Add \`- filestore:${dataDir}\` under \`services.${svc.name}.volumes\` and \`filestore:\` under the top-level \`volumes:\`.`,
      });
    }
    return out;
  },
};
