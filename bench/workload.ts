// The benchmark's workload: N EngineIdentities in N/50 namespaces, grouped into tenants of a
// few namespaces each, and N AccessPolicies, each protecting one identity and naming five
// sources (identities in and outside its namespace, a namespace, often its whole tenant).
// Deterministic: the same size always gives the same objects. With ambientEvery, every n-th
// namespace runs ambient with a waypoint (ambient-workload.ts); without, all run sidecars.
import { ambientWorkload, type AmbientWorkload } from "./ambient-workload.js";
import type { AccessPolicy, AccessSource, EngineIdentity } from "../operator/api/types.js";

export interface WorkloadOptions {
  size: number;
  /** Identities per namespace (default 50). */
  perNamespace?: number;
  /** Namespaces per tenant (default 4, so a tenant holds 200 identities). */
  namespacesPerTenant?: number;
  /** Every n-th policy names its whole tenant as one source (default 3). */
  tenantSourceEvery?: number;
  namespacePrefix?: string;
  /** Every n-th namespace ambient, with a waypoint and a Service per identity (2: half of them); absent: none. */
  ambientEvery?: number;
}

export interface Workload {
  size: number;
  namespaces: string[];
  /** Each namespace's tenant: the administrators' label that makes its identities members. */
  namespaceTenants: Map<string, string>;
  tenants: number;
  identities: EngineIdentity[];
  policies: AccessPolicy[];
  /** The ambient namespaces and their waypoints and Services; absent: every namespace on sidecars. */
  ambient?: AmbientWorkload;
}

export const SECURITY_API_VERSION = "security.nexus.io/v1alpha1";

export function buildWorkload(options: WorkloadOptions): Workload {
  const perNamespace = options.perNamespace ?? 50;
  const namespacesPerTenant = options.namespacesPerTenant ?? 4;
  const tenantEvery = options.tenantSourceEvery ?? 3;
  const prefix = options.namespacePrefix ?? "bench";
  const size = options.size;
  const namespaceCount = Math.max(1, Math.ceil(size / perNamespace));
  const namespaces = Array.from({ length: namespaceCount }, (_, n) => `${prefix}-${String(n).padStart(4, "0")}`);
  const tenantOf = (n: number) => `tenant-${String(Math.floor(n / namespacesPerTenant)).padStart(3, "0")}`;
  const nameOf = (i: number) => `engine-${String(i).padStart(5, "0")}`;
  const nsIndexOf = (i: number) => Math.floor(i / perNamespace);
  const random = mulberry32(size);
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;

  const identities: EngineIdentity[] = [];
  for (let i = 0; i < size; i++) {
    const n = nsIndexOf(i);
    identities.push({
      apiVersion: SECURITY_API_VERSION,
      kind: "EngineIdentity",
      metadata: { name: nameOf(i), namespace: namespaces[n]!, labels: { "bench.nexus.io/workload": "scale" } },
      spec: { tenant: tenantOf(n), workloadSelector: { matchLabels: { app: nameOf(i) } } },
    });
  }

  // Identities of a tenant, by index, so that sources stay inside the target's tenant and
  // tenant isolation leaves none out.
  const tenantMembers = new Map<string, number[]>();
  for (let i = 0; i < size; i++) {
    const tenant = tenantOf(nsIndexOf(i));
    let members = tenantMembers.get(tenant);
    if (!members) tenantMembers.set(tenant, (members = []));
    members.push(i);
  }
  const tenantNamespaces = (tenant: string) => namespaces.filter((_, n) => tenantOf(n) === tenant);

  const policies: AccessPolicy[] = [];
  for (let i = 0; i < size; i++) {
    const n = nsIndexOf(i);
    const namespace = namespaces[n]!;
    const tenant = tenantOf(n);
    const members = tenantMembers.get(tenant)!;
    const nsStart = n * perNamespace;
    const nsEnd = Math.min(size, nsStart + perNamespace);
    const sameNamespace = (offset: number) => nsStart + ((i - nsStart + offset) % (nsEnd - nsStart));
    const ref = (j: number): AccessSource => {
      const jn = nsIndexOf(j);
      return { identity: jn === n ? { name: nameOf(j) } : { name: nameOf(j), namespace: namespaces[jn]! } };
    };
    const otherNamespaceMember = members.find((j) => nsIndexOf(j) !== n && j % perNamespace === i % perNamespace) ?? pick(members);
    const sources: AccessSource[] = [
      ref(sameNamespace(1)),
      ref(otherNamespaceMember),
      ref(sameNamespace(7)),
      { namespace: pick(tenantNamespaces(tenant)) },
      i % tenantEvery === 0 ? { tenant } : ref(pick(members)),
    ];
    policies.push({
      apiVersion: SECURITY_API_VERSION,
      kind: "AccessPolicy",
      metadata: { name: `allow-${nameOf(i)}`, namespace, labels: { "bench.nexus.io/workload": "scale" } },
      spec: {
        targetIdentity: nameOf(i),
        rules: [{ from: sources, to: [{ methods: ["GET", "POST"], paths: ["/api/*", "/healthz"] }] }],
      },
    });
  }
  const namespaceTenants = new Map(namespaces.map((namespace, n) => [namespace, tenantOf(n)]));
  const ambient = options.ambientEvery !== undefined ? ambientWorkload(namespaces, identities, options.ambientEvery) : undefined;
  return { size, namespaces, namespaceTenants, tenants: tenantMembers.size, identities, policies, ...(ambient ? { ambient } : {}) };
}

/** A small seeded PRNG, so the workload does not change between runs. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
