// Checks across objects that admission cannot make (each object is admitted alone): what a
// policy refers to must exist somewhere in the files (or the cluster), and a policy must be
// able to do what it says. Warnings with stable codes, so CI can allow or forbid each one.

import { innerMap } from "../../policy/nested-map.js";

type Json = Record<string, any>;

export interface CheckedObject {
  kind: "EngineIdentity" | "AccessPolicy";
  namespace: string;
  name: string;
  /** The object after admission (defaults applied). */
  object: Json;
}

export interface Warning {
  code: WarningCode;
  /** The field the warning is about, as the apiserver names fields. */
  field: string;
  message: string;
}

export const WARNING_RULES = {
  NX001: "reference to an EngineIdentity that is not in the files (nor in the cluster with --live)",
  NX002: "tenant source with no member: no EngineIdentity has that spec.tenant",
  NX003: "jwt source whose issuer is not declared in the policy's authentication.jwt",
  NX004: "Deny policy that would deny nobody",
  NX005: "policy whose target EngineIdentity has no workloadSelector, so nothing is rendered for it",
  NX006: "API key past its notAfter: the gate refuses it",
} as const;

export type WarningCode = keyof typeof WARNING_RULES;

export interface KnownIdentity {
  namespace: string;
  name: string;
  tenant: string | undefined;
  hasWorkloadSelector: boolean;
}

export function knownIdentityOf(object: Json): KnownIdentity {
  return {
    namespace: object.metadata?.namespace ?? "default",
    name: object.metadata?.name,
    tenant: typeof object.spec?.tenant === "string" ? object.spec.tenant : undefined,
    hasWorkloadSelector: object.spec?.workloadSelector !== undefined,
  };
}

export interface CrossCheckContext {
  /** Identities from the files and, with --live, from the cluster. */
  identities: readonly KnownIdentity[];
  now: Date;
}

/** Warnings for one AccessPolicy; EngineIdentities have none of their own. */
export function crossCheckPolicy(policy: CheckedObject, context: CrossCheckContext, index = indexIdentities(context.identities)): Warning[] {
  const warnings: Warning[] = [];
  const { byNamespaceAndName, tenants } = index;
  const spec: Json = policy.object.spec ?? {};
  const rules: Json[] = Array.isArray(spec.rules) ? spec.rules : [];
  const declaredIssuers = new Set<string>((spec.authentication?.jwt ?? []).map((j: Json) => j?.issuer));

  if (typeof spec.targetIdentity === "string") {
    const target = byNamespaceAndName.get(policy.namespace, spec.targetIdentity);
    if (!target) {
      warnings.push({ code: "NX001", field: "spec.targetIdentity", message: `EngineIdentity ${policy.namespace}/${spec.targetIdentity} is not defined: the policy protects nothing until it exists` });
    } else if (!target.hasWorkloadSelector) {
      warnings.push({
        code: "NX005",
        field: "spec.targetIdentity",
        message: `EngineIdentity ${policy.namespace}/${spec.targetIdentity} has no spec.workloadSelector: no pods are selected, so nothing is enforced for this policy`,
      });
    }
  }

  let deniesSomeone = false;
  rules.forEach((rule, r) => {
    const sources: Json[] | undefined = Array.isArray(rule?.from) ? rule.from : undefined;
    if (sources === undefined || sources.length === 0) deniesSomeone = true;
    (sources ?? []).forEach((source, s) => {
      const at = `spec.rules[${r}].from[${s}]`;
      if (source?.identity?.name !== undefined) {
        const namespace = source.identity.namespace ?? policy.namespace;
        if (!byNamespaceAndName.get(namespace, source.identity.name)) {
          warnings.push({ code: "NX001", field: `${at}.identity`, message: `EngineIdentity ${namespace}/${source.identity.name} is not defined${spec.action === "Allow" ? ": this source admits no one" : ""}` });
        }
        deniesSomeone = true;
      } else if (typeof source?.tenant === "string") {
        if (!tenants.has(source.tenant)) {
          warnings.push({ code: "NX002", field: `${at}.tenant`, message: `no EngineIdentity has tenant ${source.tenant}: this source matches no one` });
        } else deniesSomeone = true;
      } else if (source?.jwt?.issuer !== undefined) {
        if (!declaredIssuers.has(source.jwt.issuer)) {
          warnings.push({ code: "NX003", field: `${at}.jwt.issuer`, message: `issuer ${source.jwt.issuer} is not declared in spec.authentication.jwt: its tokens are never validated` });
        }
        deniesSomeone = true;
      } else if (source && typeof source === "object") {
        deniesSomeone = true;
      }
    });
  });
  if (spec.action === "Deny" && !deniesSomeone) {
    warnings.push({
      code: "NX004",
      field: rules.length === 0 ? "spec" : "spec.rules",
      message: rules.length === 0 ? "a Deny policy without rules denies nobody" : "every source of this Deny policy matches no one: it denies nobody",
    });
  }

  const keys: Json[] = spec.authentication?.apiKeys?.keys ?? [];
  keys.forEach((key, k) => {
    if (typeof key?.notAfter !== "string") return;
    const notAfter = Date.parse(key.notAfter);
    if (!Number.isNaN(notAfter) && notAfter <= context.now.getTime()) {
      warnings.push({ code: "NX006", field: `spec.authentication.apiKeys.keys[${k}].notAfter`, message: `API key ${key.id} expired at ${key.notAfter}: remove it, or rotate to a new key` });
    }
  });
  return warnings;
}

export interface IdentityIndex {
  byNamespaceAndName: { get(namespace: string, name: string): KnownIdentity | undefined };
  /** Tenants with at least one member. */
  tenants: Set<string>;
}

/** Built once per run: every policy is checked against the same identities. */
export function indexIdentities(identities: readonly KnownIdentity[]): IdentityIndex {
  const byNamespace = new Map<string, Map<string, KnownIdentity>>();
  for (const identity of identities) innerMap(byNamespace, identity.namespace).set(identity.name, identity);
  return {
    byNamespaceAndName: { get: (namespace, name) => byNamespace.get(namespace)?.get(name) },
    tenants: new Set(identities.map((i) => i.tenant).filter((t): t is string => t !== undefined)),
  };
}
