// Rules that admit the same callers under the same conditions become one rule listing all
// their operations. A policy naming a large tenant in several rules (one per area of an
// API) would otherwise carry the tenant's principals once per rule: three times the bytes
// to write, shard and send to every proxy on each change of the tenant.
//
// Istio matches a rule when one of its `from` entries, one of its `to` entries and all of
// its `when` conditions match; so (F, T1, W) or (F, T2, W) is (F, T1 + T2, W), and a rule
// without `to` (every operation) absorbs the others. Rules with different callers or
// conditions are never combined.
import { canonicalDigest } from "../render/hash.js";
import type { IstioRule } from "./istio-types.js";

export function mergeRulesWithSameCallers(rules: IstioRule[]): IstioRule[] {
  if (rules.length < 2) return rules;
  const merged: IstioRule[] = [];
  const byCallers = new Map<string, { index: number; anyOperation: boolean; operations: Map<string, NonNullable<IstioRule["to"]>[number]> }>();
  for (const rule of rules) {
    const key = canonicalDigest(withListDigests({ from: rule.from ?? null, when: rule.when ?? null }));
    const known = byCallers.get(key);
    const anyOperation = !rule.to?.length;
    if (!known) {
      const operations = new Map((rule.to ?? []).map((operation) => [canonicalDigest(operation), operation] as const));
      byCallers.set(key, { index: merged.length, anyOperation, operations });
      merged.push(rule);
      continue;
    }
    known.anyOperation ||= anyOperation;
    for (const operation of rule.to ?? []) {
      const operationKey = canonicalDigest(operation);
      if (!known.operations.has(operationKey)) known.operations.set(operationKey, operation);
    }
    const { to: _to, ...callers } = merged[known.index]!;
    merged[known.index] = known.anyOperation ? callers : { ...callers, to: [...known.operations.values()] };
  }
  return merged;
}

// A tenant's principals are one long list, named by every rule of every policy naming the
// tenant: its digest is made once per list, and the key holds that digest in its place.
// Lists with equal contents give equal digests, so which rules merge does not depend on
// whether they share one list. No value of a rendered rule starts with a NUL character.
const LONG_LIST = 64;
const listDigests = new WeakMap<readonly string[], { length: number; digest: string }>();

function withListDigests(value: unknown): unknown {
  if (Array.isArray(value)) {
    if (value.length >= LONG_LIST && value.every((item) => typeof item === "string")) {
      const known = listDigests.get(value);
      if (known && known.length === value.length) return known.digest;
      const digest = `\u0000list:${canonicalDigest(value)}`;
      listDigests.set(value, { length: value.length, digest });
      return digest;
    }
    return value.map(withListDigests);
  }
  if (value === null || typeof value !== "object") return value;
  const copy: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) copy[key] = withListDigests(member);
  return copy;
}
