// One NEXUS rule -> its Istio rules: one for the peer sources (mesh identities and
// namespaces), then one per jwt source, each with the rule's operations.
import type { AccessRule, JwtCaller, Operation } from "../api/types.js";
import type { IstioCondition, IstioOperation, IstioRule } from "./istio-types.js";
import type { PolicyAction } from "./policy-action.js";
import type { ResolvedSource } from "./resolve-source.js";
import { compareStrings, sortedUnique } from "./sorted.js";

/**
 * Istio rules for one NEXUS rule whose sources were resolved to `resolved` (left-out
 * sources already removed). A rule never loses its `from` by resolution: a rule whose
 * sources all failed yields nothing, because an Istio rule without `from` matches anyone.
 */
export function istioRulesFor(rule: AccessRule, resolved: ResolvedSource[], action: PolicyAction): IstioRule[] {
  const to = operationsOf(rule.to);
  const withTo = to ? { to } : {};
  if (!rule.from?.length) {
    // Admission refuses a sourceless Allow rule; if one gets here anyway, it admits nobody.
    return action === "Allow" ? [] : [{ ...withTo }];
  }
  const principals = principalsOf(resolved);
  const namespaces = sortedUnique(resolved.flatMap((s) => (s.kind === "namespace" ? [s.namespace] : [])));
  const peerFrom = [
    ...(principals.length ? [{ source: { principals } }] : []),
    ...(namespaces.length ? [{ source: { namespaces } }] : []),
  ];
  const peerRules: IstioRule[] = peerFrom.length ? [{ from: peerFrom, ...withTo }] : [];
  const jwtRules = resolved.flatMap((s) => (s.kind === "jwt" ? [jwtRule(s.caller, withTo)] : []));
  return [...peerRules, ...jwtRules];
}

/**
 * Every principal of the rule's sources, sorted and unique. A single source's list is
 * already so (its resolution sorts it) and is used as it is: for a tenant of thousands,
 * shared by every policy that names it, sorting it again per rule would dominate rendering.
 */
function principalsOf(resolved: ResolvedSource[]): string[] {
  const lists = resolved.flatMap((s) => (s.kind === "principals" ? [s.principals] : []));
  if (lists.length === 1 && isSortedUnique(lists[0]!)) return lists[0]!;
  return sortedUnique(lists.flat());
}

function isSortedUnique(values: readonly string[]): boolean {
  for (let i = 1; i < values.length; i++) if (!(values[i - 1]! < values[i]!)) return false;
  return true;
}

function jwtRule(caller: JwtCaller, withTo: Pick<IstioRule, "to">): IstioRule {
  const requestPrincipals = caller.subjects?.length
    ? sortedUnique(caller.subjects.map((subject) => `${caller.issuer}/${subject}`))
    : [`${caller.issuer}/*`];
  const when = jwtConditions(caller);
  return { from: [{ source: { requestPrincipals } }], ...withTo, ...(when.length ? { when } : {}) };
}

function jwtConditions(caller: JwtCaller): IstioCondition[] {
  const audiences: IstioCondition[] = caller.audiences?.length
    ? [{ key: "request.auth.audiences", values: sortedUnique(caller.audiences) }]
    : [];
  const claims = Object.entries(caller.claims ?? {})
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([name, values]): IstioCondition => ({ key: `request.auth.claims[${name}]`, values: sortedUnique(values ?? []) }));
  return [...audiences, ...claims];
}

/**
 * Istio's `to`, or undefined for "any operation". Istio rejects an empty operation, and
 * one operation that matches anything makes the whole list match anything, so both cases
 * render as no `to` at all.
 */
export function operationsOf(operations: Operation[] | undefined): Array<{ operation: IstioOperation }> | undefined {
  if (!operations?.length) return undefined;
  const rendered = operations.map(operationOf);
  if (rendered.some((operation) => Object.keys(operation).length === 0)) return undefined;
  return rendered.map((operation) => ({ operation }));
}

function operationOf(operation: Operation): IstioOperation {
  const methods = sortedUnique(operation.methods ?? []);
  const paths = sortedUnique(operation.paths ?? []);
  const ports = [...new Set(operation.ports ?? [])].sort((a, b) => a - b).map(String);
  return {
    ...(methods.length ? { methods } : {}),
    ...(paths.length ? { paths } : {}),
    ...(ports.length ? { ports } : {}),
  };
}
