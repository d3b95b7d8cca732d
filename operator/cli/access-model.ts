// The AuthorizationPolicies in force and the workloads they protect, indexed so that the
// policies applying to one target are found once and reused for every caller (the matrix
// asks 40,000 questions of 200 targets).
import { DEFAULT_ROOT_NAMESPACE, type AuthorizationPolicyObject, type Workload } from "../evaluate/index.js";
import { appliesTo } from "../evaluate/applicability.js";
import type { IdentityFacts, IdentityLookup } from "../policy/index.js";
import { UsageError } from "./exit-codes.js";

export interface Target {
  namespace: string;
  name: string;
  workload: Workload;
  /** False when the EngineIdentity has no workload selector: no targeted policy selects it. */
  selectable: boolean;
}

export function targetOf(facts: IdentityFacts): Target {
  const labels = Object.fromEntries(Object.entries(facts.workloadSelector ?? {}).filter((e): e is [string, string] => e[1] !== undefined));
  return { namespace: facts.namespace, name: facts.name, workload: { namespace: facts.namespace, labels }, selectable: Object.keys(labels).length > 0 };
}

export function parseTarget(text: string, lookup: IdentityLookup, defaultNamespace: string): Target {
  const parts = text.split("/");
  if (parts.length > 2 || parts.some((p) => p === "")) throw new UsageError(`--to ${text}: expected an EngineIdentity as ns/name or name`);
  const [namespace, name] = parts.length === 2 ? (parts as [string, string]) : [defaultNamespace, parts[0]!];
  const facts = lookup.get(namespace, name);
  if (!facts) throw new UsageError(`--to ${text}: no EngineIdentity ${namespace}/${name} among the identities read`);
  return targetOf(facts);
}

export class AccessModel {
  private readonly byNamespace = new Map<string, AuthorizationPolicyObject[]>();
  private readonly applicable = new Map<string, AuthorizationPolicyObject[]>();

  constructor(
    policies: readonly AuthorizationPolicyObject[],
    readonly rootNamespace: string = DEFAULT_ROOT_NAMESPACE,
  ) {
    for (const policy of policies) {
      const list = this.byNamespace.get(policy.metadata.namespace) ?? [];
      list.push(policy);
      this.byNamespace.set(policy.metadata.namespace, list);
    }
  }

  /** The policies that apply to the target's workloads, computed once per target. */
  policiesFor(target: Target): AuthorizationPolicyObject[] {
    const key = `${target.namespace}/${target.name}`;
    let found = this.applicable.get(key);
    if (!found) {
      const candidates = [...(this.byNamespace.get(target.namespace) ?? []), ...(target.namespace === this.rootNamespace ? [] : (this.byNamespace.get(this.rootNamespace) ?? []))];
      found = candidates.filter((p) => appliesTo(p, target.workload, this.rootNamespace));
      this.applicable.set(key, found);
    }
    return found;
  }
}
