// One NEXUS rule -> its Istio rules: one for the peer sources (mesh identities and
// namespaces), then one per jwt source, each with the rule's operations.
import type { AccessRule, JwtCaller, Operation } from "../api/types.js";
import type { IstioCondition, IstioOperation, IstioRule } from "./istio-types.js";
import type { PolicyAction } from "./policy-action.js";
import type { ResolvedSource } from "./resolve-source.js";
import { compareStrings, isSortedUnique, mergeSortedUnique, sortedUnique } from "./sorted.js";

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
 * Every principal of the rule's sources, sorted and unique. Each source's list is already so
 * (its resolution sorts it), so the lists are merged rather than sorted again; a single list
 * is used as it is. A tenant of thousands is one list shared by every policy that names it,
 * so it is checked once, not once per rule.
 */
function principalsOf(resolved: ResolvedSource[]): string[] {
  const lists = resolved.flatMap((s) => (s.kind === "principals" ? [s.principals] : []));
  if (lists.length === 0) return [];
  if (!lists.every(knownSortedUnique)) return sortedUnique(lists.flat());
  return lists.length === 1 ? lists[0]! : lists.reduce((merged, list) => mergeSortedUnique(merged, list));
}

const checkedSortedLists = new WeakSet<readonly string[]>();
const CHECK_ONCE_FROM = 64;

function knownSortedUnique(values: readonly string[]): boolean {
  if (values.length < CHECK_ONCE_FROM) return isSortedUnique(values);
  if (checkedSortedLists.has(values)) return true;
  if (!isSortedUnique(values)) return false;
  checkedSortedLists.add(values);
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
  // Set in key order, without a spread per field: this runs for every operation of every policy.
  const operationFields: IstioOperation = {};
  if (methods.length) operationFields.methods = methods;
  if (paths.length) operationFields.paths = paths;
  if (ports.length) operationFields.ports = ports;
  return operationFields;
}
