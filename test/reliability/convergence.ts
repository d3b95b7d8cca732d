// What "converged" means for the reliability suite, read from the apiserver (never from the
// operator): every EngineIdentity and AccessPolicy Ready at its generation, every rendered
// object listed in its policy's status, present once, holding the content its content hash
// names, together making up the policy's current version (policy hash), and owned by it, no rendered object that no status lists (stale), and the
// namespace baseline in place.
import type { AccessPolicyStatus } from "../../operator/api/types.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { contentHashOf, policyHashOf, recordedContentHash } from "../../operator/render/content-hash.js";
import { BASELINE_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, POLICY_LABEL } from "../../operator/render/metadata.js";
import { resources } from "../../operator/runtime/resources.js";
import { hasCondition } from "../support/kube.js";

const managed = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
const renderedTypes = [resources.authorizationPolicy, resources.peerAuthentication, resources.requestAuthentication];

export interface ConvergenceReport {
  identities: number;
  policies: number;
  readyIdentities: number;
  readyPolicies: number;
  /** Objects carrying a policy label: what the policies rendered. */
  renderedObjects: number;
  /** Empty once converged; otherwise the first few problems, for the timeout message. */
  problems: string[];
}

export async function convergence(client: KubeClient, namespaces: readonly string[]): Promise<ConvergenceReport> {
  const report: ConvergenceReport = { identities: 0, policies: 0, readyIdentities: 0, readyPolicies: 0, renderedObjects: 0, problems: [] };
  const problem = (text: string) => {
    if (report.problems.length < 5) report.problems.push(text);
    else if (report.problems.length === 5) report.problems.push("...");
  };
  for (const ns of namespaces) {
    const [identities, policies, serviceAccounts, ...rendered] = await Promise.all([
      client.list<KubeObject>(resources.engineIdentity, ns),
      client.list<KubeObject & { status?: AccessPolicyStatus }>(resources.accessPolicy, ns),
      client.list<KubeObject>(resources.serviceAccount, ns, managed),
      ...renderedTypes.map((type) => client.list<KubeObject>(type, ns, managed)),
    ]);
    const live = new Map(rendered.flatMap((list) => list.items).map((o) => [`${o.kind}/${o.metadata.name}`, o]));
    const serviceAccountNames = new Set(serviceAccounts.items.map((sa) => sa.metadata.name));
    report.identities += identities.items.length;
    report.policies += policies.items.length;
    for (const identity of identities.items) {
      if (hasCondition(identity, "Ready", "True")) report.readyIdentities++;
      else problem(`EngineIdentity ${ns}/${identity.metadata.name} not Ready at its generation`);
      const sa = (identity.spec as { serviceAccountName?: string }).serviceAccountName ?? identity.metadata.name;
      if (!serviceAccountNames.has(sa)) problem(`ServiceAccount ${ns}/${sa} missing`);
    }
    const listed = new Set<string>();
    for (const policy of policies.items) {
      if (hasCondition(policy, "Ready", "True")) report.readyPolicies++;
      else problem(`AccessPolicy ${ns}/${policy.metadata.name} not Ready at its generation`);
      const versioned: KubeObject[] = [];
      for (const ref of policy.status?.rendered ?? []) {
        const key = `${ref.kind}/${ref.name}`;
        if (listed.has(key)) problem(`${key} listed twice`);
        listed.add(key);
        const object = live.get(key);
        if (!object) problem(`${ns}/${key} of ${policy.metadata.name} missing`);
        else if (recordedContentHash(object) !== contentHashOf(object)) problem(`${ns}/${key} does not hold the content its content hash names`);
        else if (!(object.metadata.ownerReferences ?? []).some((r) => r.uid === policy.metadata.uid && r.controller)) problem(`${ns}/${key} is not owned by its policy`);
        else versioned.push(object);
      }
      if (versioned.length === (policy.status?.rendered ?? []).length && policyHashOf(versioned) !== policy.status?.policyHash) {
        problem(`${ns}/${policy.metadata.name}: the live objects are not the policy's version ${policy.status?.policyHash}`);
      }
    }
    for (const [key, object] of live) {
      if (object.metadata.labels?.[POLICY_LABEL] === undefined) continue;
      report.renderedObjects++;
      if (!listed.has(key)) problem(`${ns}/${key} is rendered but no policy lists it (stale or duplicate)`);
    }
    const baseline = [...live.values()].filter((o) => o.metadata.labels?.[BASELINE_LABEL] === "true");
    if (!baseline.some((o) => o.kind === "AuthorizationPolicy")) problem(`${ns} has no default-deny baseline`);
  }
  return report;
}

export function describeProgress(report: ConvergenceReport): string {
  return `identities Ready ${report.readyIdentities}/${report.identities}, policies Ready ${report.readyPolicies}/${report.policies}; ${report.problems.join("; ")}`;
}

/** The principals an AuthorizationPolicy's rules name, sorted. */
export function principalsOf(ap: KubeObject): string[] {
  const rules = (ap.spec as { rules?: Array<{ from?: Array<{ source: { principals?: string[] } }> }> }).rules ?? [];
  return rules.flatMap((r) => (r.from ?? []).flatMap((f) => f.source.principals ?? [])).sort();
}
