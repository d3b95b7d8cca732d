// Tables the demo prints: plain columns, like kubectl get.
import type { AccessRequest, Verdict } from "../operator/evaluate/index.js";
import type { KubeObject } from "../operator/runtime/kube-client.js";

export function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd());
}

interface Condition {
  type: string;
  status: string;
  reason: string;
}

function ready(object: KubeObject): string {
  const c = ((object.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((x) => x.type === "Ready");
  return c ? `${c.status} (${c.reason})` : "-";
}

export function printIdentities(identities: KubeObject[]): void {
  table(
    ["NAMESPACE", "NAME", "TENANT (VERIFIED)", "CLAIMED", "SPIFFE ID", "READY", "CERT EXPIRES", "REVISION"],
    identities.map((i) => {
      const spec = i.spec as { tenant?: string };
      const status = (i.status ?? {}) as { spiffeID?: string; tenant?: string; certificate?: { notAfter?: string; revision?: number } };
      return [
        i.metadata.namespace ?? "",
        i.metadata.name,
        status.tenant ?? "-",
        spec.tenant ?? "-",
        status.spiffeID ?? "-",
        ready(i),
        status.certificate?.notAfter ?? "(mesh only)",
        String(status.certificate?.revision ?? "-"),
      ];
    }),
  );
}

export function printPolicies(policies: KubeObject[]): void {
  table(
    ["NAMESPACE", "NAME", "TARGET", "ACTION", "READY", "VERSION", "LEFT OUT"],
    policies.map((p) => {
      const spec = p.spec as { targetIdentity?: string; action?: string; dryRun?: boolean };
      const status = (p.status ?? {}) as { policyHash?: string; unresolved?: Array<{ rule: number; source: number; reason: string }> };
      const leftOut = (status.unresolved ?? []).map((u) => `rules[${u.rule}].from[${u.source}] ${u.reason}`).join(", ");
      return [p.metadata.namespace ?? "", p.metadata.name, spec.targetIdentity ?? "(namespace)", `${spec.action ?? "Allow"}${spec.dryRun ? " (dry-run)" : ""}`, ready(p), (status.policyHash ?? "").slice(0, 12), leftOut || "-"];
    }),
  );
}

export function printRendered(objects: KubeObject[]): void {
  const sorted = [...objects].sort((a, b) => `${a.metadata.namespace}/${a.kind}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.kind}/${b.metadata.name}`));
  for (const o of sorted) {
    console.log(`--- ${o.kind} ${o.metadata.namespace}/${o.metadata.name}${o.metadata.annotations?.["istio.io/dry-run"] === "true" ? " (dry-run)" : ""}`);
    console.log(`    ${JSON.stringify(o.spec ?? {})}`);
  }
}

export function printCalls(calls: Array<{ label: string; request: AccessRequest }>, judge: (request: AccessRequest) => Verdict): void {
  for (const { label, request } of calls) {
    const verdict = judge(request);
    console.log(`${verdict.allowed ? "ALLOW" : "DENY "}  ${label}`);
    console.log(`       ${verdict.reason}`);
    if (verdict.ifDryRunEnforced && verdict.ifDryRunEnforced.allowed !== verdict.allowed) {
      console.log(`       once the dry-run policy is enforced: ${verdict.ifDryRunEnforced.allowed ? "ALLOW" : "DENY"}, ${verdict.ifDryRunEnforced.reason}`);
    }
  }
}
