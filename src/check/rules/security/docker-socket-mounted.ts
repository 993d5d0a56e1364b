import type { RawFinding, Rule } from "../../types.js";
import { svcPos } from "../../lib/common.js";
import { isSocketProxy } from "./_helpers.js";

/** The Docker (or Podman) API socket, rootful or rootless (/run/user/1000/docker.sock). */
const SOCKET = /(^|\/)(docker|podman)\.sock$/;

export const rule: Rule = {
  id: "docker-socket-mounted",
  category: "security",
  severity: "error",
  title: "Docker socket mounted into a service",
  why:
    "The Docker API socket is root on the host: any process that can talk to it can start a privileged container " +
    "mounting /. Mounting it read-only changes nothing (`:ro` applies to the socket file, not to the API). A proxy like " +
    "Traefik exposed to the internet should not hold it.",
  fix: "Run tecnativa/docker-socket-proxy with only the API sections needed (e.g. CONTAINERS=1, NETWORKS=1) on an internal network, and point the service at it (Traefik: `--providers.docker.endpoint=tcp://dockersocket:2375`) instead of mounting /var/run/docker.sock.",
  appliesTo: { envs: ["any-non-devel"] },
  example: "services:\n  proxy:\n    image: traefik:2.11\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock:ro",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const svc of Object.values(env.compose.services)) {
      if (isSocketProxy(svc)) continue;
      for (const v of svc.volumes) {
        if (v.type !== "bind" || !v.source || !(SOCKET.test(v.source.replace(/\/+$/, "")) || SOCKET.test(v.target))) continue;
        out.push({
          message: `Service ${svc.name}${svc.image ? ` (${svc.image})` : ""} mounts the Docker socket ${v.source}${v.readOnly ? " (read-only does not limit the API)" : ""}: it controls the Docker host`,
          pos: v.pos ?? svcPos(env, svc.name, "volumes"),
        });
      }
    }
    return out;
  },
};
