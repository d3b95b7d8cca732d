// In-process throughput of the pure renderer, renderAccessPolicy, over the workload's
// policies: with identityLookupOf (the plain-list lookup the CLI and tests use) and with
// IdentityIndex (the indexed lookup the operator renders with).
import { verifiedFacts } from "../operator/policy/tenancy.js";
import { factsOf } from "../operator/access/identity-index.js";
import type { AccessPolicy, EngineIdentity } from "../operator/api/types.js";
import { defaultRenderConfig } from "../operator/config.js";
import { identityLookupOf, renderAccessPolicy, type IdentityLookup } from "../operator/policy/index.js";
import { asReadBack, indexedLookup } from "./desired-objects.js";
import type { Workload } from "./workload.js";

export interface RenderThroughput {
  lookup: string;
  policies: number;
  ms: number;
  policiesPerSecond: number;
}

/** Renders policies round-robin until `budgetMs` has passed (at least once through `minPolicies`). */
function measure(label: string, policies: AccessPolicy[], lookup: IdentityLookup, budgetMs: number): RenderThroughput {
  for (const policy of policies.slice(0, 100)) renderAccessPolicy(policy, lookup, defaultRenderConfig); // warm-up
  let rendered = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    renderAccessPolicy(policies[rendered % policies.length]!, lookup, defaultRenderConfig);
    rendered++;
    if (rendered % 16 === 0) elapsed = performance.now() - started;
  }
  elapsed = performance.now() - started;
  return { lookup: label, policies: rendered, ms: elapsed, policiesPerSecond: (rendered / elapsed) * 1000 };
}

export function renderThroughput(workload: Workload, budgetMs = 3000): RenderThroughput[] {
  // As read from the API: a uid (so owner references are rendered) and a generation.
  const identities = asReadBack(workload.identities, "00000000-0000-4000-8000");
  const policies = asReadBack(workload.policies, "00000000-0000-4000-9000");
  return [
    measure("IdentityIndex (operator)", policies, indexedLookup(identities, workload.namespaceTenants), budgetMs),
    measure("identityLookupOf (list)", policies, identityLookupOf(identities.map((i) => verifiedFacts(factsOf(i), workload.namespaceTenants.get(i.metadata.namespace))), workload.namespaceTenants), budgetMs),
  ];
}
