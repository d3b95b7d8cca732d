// Splits the rules of one rendered AuthorizationPolicy over as many objects as it takes to
// keep each under a size budget. etcd refuses an object of about 1.5 MiB, and a tenant of a
// few thousand engines named in a few rules renders more than that. Istio ORs the rules of
// every policy of one action on a workload, so rules spread over several policies mean what
// they meant in one.
import type { IstioRule, IstioSource } from "./istio-types.js";

/** The budget of one rendered AuthorizationPolicy, in bytes of JSON: far below etcd's limit. */
export const SHARD_BUDGET_BYTES = 512 * 1024;

/**
 * Room kept for everything but the rules: metadata (name, labels, annotations, owner) and the
 * spec's selector and action. Names and label values are bounded by Kubernetes; a selector
 * that alone needs more than this is passed in as `envelopeBytes`.
 */
const METADATA_ALLOWANCE_BYTES = 8 * 1024;

/**
 * Source fields whose values are alternatives: a caller matches the field when it matches
 * one value, so the list can be cut into pieces that each match a part of the callers. The
 * negative fields (notPrincipals, ...) are conjunctions: a piece of one would match more
 * callers than the whole, so a source with one of them is never cut.
 */
const SPLITTABLE_FIELDS = ["principals", "namespaces", "requestPrincipals"] as const;
type SplittableField = (typeof SPLITTABLE_FIELDS)[number];

export interface ShardOptions {
  budgetBytes: number;
  /** JSON bytes of the policy without its rules. */
  envelopeBytes: number;
}

/**
 * The rules in order, grouped so that each group plus the envelope fits the budget. Always
 * at least one group (possibly empty), so a policy keeps its first object. A rule that does
 * not fit a budget alone is cut by its sources first; a source that cannot be cut and still
 * does not fit stays whole and its group is over budget (the write then reports it).
 */
export function shardRules(rules: IstioRule[], options: ShardOptions): IstioRule[][] {
  const room = Math.max(1, options.budgetBytes - options.envelopeBytes - METADATA_ALLOWANCE_BYTES);
  // Nearly every policy fits whole: one measure of all its rules then, not one per rule.
  if (jsonBytes(rules) <= room) return [rules];
  const groups = packBySize(rules.flatMap((r) => cutToFit(r, room)), room);
  return groups.length > 0 ? groups : [[]];
}

/** The rule itself when it fits; otherwise one rule per piece of its sources, each with the rule's `to` and `when`. */
function cutToFit(rule: IstioRule, room: number): IstioRule[] {
  if (jsonBytes(rule) + 1 <= room || !rule.from?.length) return [rule];
  const { from, ...rest } = rule;
  const withSource = (source: IstioSource): IstioRule => ({ from: [{ source }], ...rest });
  return from.flatMap(({ source }) => {
    const field = splittableFieldOf(source);
    if (!field) return [withSource(source)];
    const values = source[field] ?? [];
    const emptyBytes = jsonBytes(withSource({ ...source, [field]: [] }));
    return packBySize(values, room - emptyBytes).map((chunk) => withSource({ ...source, [field]: chunk }));
  });
}

/** The one field of a source that may be cut: only when it is the source's only field, since fields of one source are ANDed. */
function splittableFieldOf(source: IstioSource): SplittableField | undefined {
  const fields = Object.keys(source) as Array<keyof IstioSource>;
  if (fields.length !== 1) return undefined;
  return SPLITTABLE_FIELDS.find((field) => field === fields[0]);
}

/** Items in order, in groups whose JSON (with a separator each) fits the room; an item larger than the room alone gets a group of its own. */
function packBySize<T>(items: T[], room: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let used = 0;
  for (const item of items) {
    const size = jsonBytes(item) + 1;
    if (current.length > 0 && used + size > room) {
      groups.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/**
 * Bytes of JSON.stringify(value) in UTF-8, counted without building the text: cutting a
 * large source measures thousands of principals, and whole rules of hundreds of KiB.
 */
export function jsonBytes(value: unknown): number {
  if (typeof value === "string") return PLAIN_JSON_STRING.test(value) ? value.length + 2 : Buffer.byteLength(JSON.stringify(value), "utf8");
  if (value === null || typeof value !== "object") return (JSON.stringify(value) as string | undefined)?.length ?? 0;
  if (Array.isArray(value)) {
    const known = measuredLists.get(value);
    if (known !== undefined && known.length === value.length) return known.bytes;
    let bytes = 2 + Math.max(0, value.length - 1);
    for (const item of value) bytes += item === undefined || typeof item === "function" || typeof item === "symbol" ? 4 : jsonBytes(item);
    // A tenant's principals are one list shared by every rule and policy that names it.
    if (value.length >= MEASURED_LIST_MIN) measuredLists.set(value, { length: value.length, bytes });
    return bytes;
  }
  let bytes = 2;
  let members = 0;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const member = record[key];
    if (member === undefined || typeof member === "function" || typeof member === "symbol") continue;
    bytes += jsonBytes(key) + 1 + jsonBytes(member);
    members++;
  }
  return bytes + Math.max(0, members - 1);
}

/** Printable ASCII other than `"` and `\\`: its JSON is the text between two quotes. */
const PLAIN_JSON_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const MEASURED_LIST_MIN = 64;
const measuredLists = new WeakMap<readonly unknown[], { length: number; bytes: number }>();

/** Name of shard `index`: the first keeps the policy's own name, so a small policy is named as before. */
export function shardName(baseName: string, index: number): string {
  return index === 0 ? baseName : `${baseName}-${index}`;
}
