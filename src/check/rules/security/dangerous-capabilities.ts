import type { RawFinding, Rule } from "../../types.js";
import { svcPos } from "../../lib/common.js";

const DANGEROUS: Record<string, string> = {
  ALL: "every capability",
  SYS_ADMIN: "mount, namespaces and most of root's powers",
  NET_ADMIN: "firewall, routes and interfaces of its network namespace",
  SYS_PTRACE: "reading and altering other processes' memory",
  SYS_MODULE: "loading kernel modules",
  DAC_READ_SEARCH: "reading any file, the open_by_handle_at container escape",
};

export const rule: Rule = {
  id: "dangerous-capabilities",
  category: "security",
  severity: "warning",
  title: "Service adds powerful Linux capabilities",
  why:
    "Docker drops these capabilities by default because each one widens what a compromised container can do to the host " +
    "(SYS_ADMIN and DAC_READ_SEARCH have known container escapes, SYS_MODULE loads kernel code, SYS_PTRACE reads other " +
    "processes' memory).",
  fix: "Remove the `cap_add:` entry, or keep only the capability the image documents as required for a feature you use (and prefer an image version that no longer needs it).",
  appliesTo: { envs: ["any-non-devel"] },
  example: "services:\n  smtp:\n    cap_add:\n      - SYS_PTRACE",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const svc of Object.values(env.compose.services)) {
      const caps = [...new Set(svc.capAdd.map((c) => c.trim().toUpperCase().replace(/^CAP_/, "")))].filter((c) => c in DANGEROUS);
      if (caps.length === 0) continue;
      out.push({
        message: `Service ${svc.name}${svc.image ? ` (${svc.image})` : ""} adds ${caps.map((c) => `${c} (${DANGEROUS[c] ?? ""})`).join(", ")}`,
        pos: env.compose.positions.at(["services", svc.name, "cap_add"]) ?? svcPos(env, svc.name),
      });
    }
    return out;
  },
};
