// Splits the rules of one rendered AuthorizationPolicy over as many objects as it takes to
// keep each under a size budget, and cuts long principal lists into pieces chosen by their
// content, so that one member joining or leaving a tenant of thousands rewrites one or two
// shards of each policy naming it, not all of them. etcd refuses an object of about 1.5 MiB,
// and a tenant of a few thousand engines named in a few rules renders more than that. Istio
// ORs the rules of every policy of one action on a workload, so rules spread over several
// policies mean what they meant in one.
import { keepDigestsWith } from "../render/hash.js";
import type { IstioRule, IstioSource } from "./istio-types.js";

/** The budget of one rendered AuthorizationPolicy, in bytes of JSON: far below etcd's limit. */
export const SHARD_BUDGET_BYTES = 512 * 1024;

/**
 * Room kept for everything but the rules: metadata (name, labels, annotations, owner) and the
 * spec's selector and action. Names and label values are bounded by Kubernetes; a selector
 * that alone needs more than this is passed in as `envelopeBytes`.
 */
const METADATA_ALLOWANCE_BYTES = 8 * 1024;

/** About the largest object etcd accepts (its request limit, 1.5 MiB). */
const ETCD_OBJECT_LIMIT_BYTES = 1536 * 1024;

/**
 * The largest piece of a cut list, in JSON bytes. A list longer than this is cut; a member
 * change then rewrites about one piece (half of this on average) per rule naming the list.
 * Every policy naming a tenant cuts its list at the same ends, so a member landing in the
 * largest piece rewrites that piece in all of them: with the shard's metadata, operations
 * and selector beside it (a few KiB), the object written stays under 16 KiB.
 */
export const PIECE_MAX_BYTES = 12 * 1024;

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

export interface Shard {
  /** 0 for the policy's first object; others a number fixed by the shard's content (see names.ts shardName). */
  n: number;
  rules: IstioRule[];
}

/**
 * The rules grouped into shards that each fit the budget with the envelope. Shard 0 always
 * exists (possibly without rules), so a policy keeps its first object.
 *
 * Rules without a long list are kept whole and packed in order (a rule too large alone is cut
 * by its sources first). A rule with a long list is cut into one rule per source, and each
 * long list into pieces whose ends are chosen by content: a piece ends after a value whose
 * hash meets a condition (with a least and a largest piece size). Pieces not touched by a
 * change keep their values, and each piece goes, with the pieces of other rules that end at
 * the same value, into a shard whose number comes from that value. So adding or removing one
 * member changes the one shard holding its piece (two when it makes or removes an end).
 * A source that cannot be cut and still does not fit stays whole and its shard is over budget
 * (the write then reports it).
 */
export function shardRules(rules: IstioRule[], options: ShardOptions): Shard[] {
  // A budget beyond what etcd stores at all turns sharding off (a setting for tests that
  // need a rendering too large to write): nothing is cut or packed.
  if (options.budgetBytes > ETCD_OBJECT_LIMIT_BYTES) return [{ n: 0, rules }];
  const room = Math.max(1, options.budgetBytes - options.envelopeBytes - METADATA_ALLOWANCE_BYTES);
  const pieceMax = Math.max(1, Math.min(PIECE_MAX_BYTES, Math.floor(room / 2)));
  const whole: IstioRule[] = [];
  const pieceGroups = new Map<string, IstioRule[]>();
  for (const rule of rules) {
    if (!hasLongList(rule, pieceMax)) {
      whole.push(rule);
      continue;
    }
    const { from = [], ...rest } = rule;
    for (const { source } of from) {
      const field = splittableFieldOf(source);
      const values = field ? source[field] : undefined;
      if (!field || !values || jsonBytes(values) <= pieceMax) {
        whole.push({ from: [{ source }], ...rest });
        continue;
      }
      for (const piece of contentPieces(values, pieceMax)) {
        const key = `${field}\n${piece.key}`;
        let group = pieceGroups.get(key);
        if (!group) pieceGroups.set(key, (group = []));
        group.push({ from: [{ source: { [field]: piece.values } }], ...rest });
      }
    }
  }
  // Nearly every policy fits whole: one measure of all its rules then, not one per rule.
  const packed = jsonBytes(whole) <= room ? [whole] : packBySize(whole.flatMap((r) => cutToFit(r, room)), room);
  const keyed: Array<{ key: string; rules: IstioRule[] }> = packed.slice(1).map((group, i) => ({ key: `packed\n${i + 1}`, rules: group }));
  for (const [key, group] of pieceGroups) {
    if (jsonBytes(group) <= room) keyed.push({ key, rules: group });
    else packBySize(group, room).forEach((part, j) => keyed.push({ key: j === 0 ? key : `${key}\n${j}`, rules: part }));
  }
  let first = packed[0] ?? [];
  // A DENY without rules is refused by Istio: when every rule was cut, the first piece leads.
  if (first.length === 0 && keyed.length > 0) first = keyed.shift()!.rules;
  const shards: Shard[] = [{ n: 0, rules: first }];
  const taken = new Set<number>([0]);
  // Numbers are given in key order, so a (rare) clash of two hashes resolves the same way every time.
  for (const { key, rules: group } of keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    let n = shardNumberOf(key);
    while (taken.has(n)) n = (n % SHARD_NUMBERS) + 1;
    taken.add(n);
    shards.push({ n, rules: group });
  }
  return shards.sort((a, b) => a.n - b.n);
}

/** Shard numbers run from 1 to this; with a few hundred shards per policy a clash is about one in ten thousand policies. */
const SHARD_NUMBERS = 999_999_999;

function shardNumberOf(key: string): number {
  return (fnv1a32(key) % SHARD_NUMBERS) + 1;
}

function hasLongList(rule: IstioRule, pieceMax: number): boolean {
  return (rule.from ?? []).some(({ source }) => {
    const field = splittableFieldOf(source);
    const values = field ? source[field] : undefined;
    return values !== undefined && values.length > 1 && jsonBytes(values) > pieceMax;
  });
}

interface Piece {
  /** The value the piece ends at, or END for the piece that runs to the end of the list. */
  key: string;
  values: string[];
}

const END = "\u0000end";

// A tenant's principals are one list shared by every rule and policy naming the tenant: it is
// cut once, and its pieces (shared too) are what the hash keeps texts of.
const cutLists = new WeakMap<readonly string[], { length: number; max: number; pieces: Piece[] }>();

/**
 * The list cut at ends chosen by content alone: a value ends a piece when its hash falls
 * below its share of the target size (pieces then average about max/2 bytes). A piece still
 * larger than max is cut again inside, at the ends a two times smaller target gives (which
 * include every end of the larger one), and so on. Whether a value ends a piece depends on
 * the value only, never on where a piece started, so a change moves no end but its own: the
 * piece holding a new member changes, and one more when that member is an end itself or
 * makes its piece too large.
 */
export function contentPieces(values: readonly string[], max: number): Piece[] {
  const known = cutLists.get(values);
  if (known && known.length === values.length && known.max === max) return known.pieces;
  const pieces: Piece[] = [];
  const sizes = values.map((value) => jsonBytes(value) + 1);
  const draws = values.map((value) => mix32(fnv1a32(value)) / 2 ** 32);
  const bytesOf = (start: number, end: number) => {
    let bytes = 2;
    for (let i = start; i < end; i++) bytes += sizes[i]!;
    return bytes;
  };
  // A segment over the largest size is cut at the ends of the next, finer level, and those
  // pieces are joined again in order while they fit: a removed end merges two pieces into
  // one too large, and the join keeps that to about as many pieces as before, not dozens.
  const cut = (start: number, end: number, target: number, endKey: string): Piece[] => {
    if (bytesOf(start, end) <= max || end - start === 1) return [{ key: endKey, values: values.slice(start, end) }];
    const finer: Array<{ start: number; end: number; key: string }> = [];
    let from = start;
    const take = (pieces: Piece[]) => {
      for (const piece of pieces) {
        finer.push({ start: from, end: from + piece.values.length, key: piece.key });
        from += piece.values.length;
      }
    };
    for (let i = start; i < end - 1; i++) {
      if (draws[i]! < sizes[i]! / target) take(cut(from, i + 1, target / 2, values[i]!));
    }
    if (from === start) return cut(start, end, target / 2, endKey);
    take(cut(from, end, target / 2, endKey));
    const joined: Piece[] = [];
    let open = finer[0]!;
    for (const next of finer.slice(1)) {
      if (bytesOf(open.start, next.end) <= max) open = { start: open.start, end: next.end, key: next.key };
      else {
        joined.push({ key: open.key, values: values.slice(open.start, open.end) });
        open = next;
      }
    }
    joined.push({ key: open.key, values: values.slice(open.start, open.end) });
    return joined;
  };
  // The top level cuts at every end, whatever the size of what lies between.
  let from = 0;
  const target = Math.max(1, max / 2);
  for (let i = 0; i < values.length; i++) {
    if (draws[i]! < sizes[i]! / target) {
      pieces.push(...cut(from, i + 1, target / 2, values[i]!));
      from = i + 1;
    }
  }
  if (from < values.length) pieces.push(...cut(from, values.length, target / 2, END));
  const kept = pieces.map(keptPiece);
  cutLists.set(values, { length: values.length, max, pieces: kept });
  return kept;
}

// The pieces of the lists cut last, by their ends and first values. When a member joins or
// leaves a tenant, its list is a new one, but all its pieces but one or two hold what they
// held before: those are given their earlier lists, so that what was derived from a list
// (its JSON, the digests of the shards holding it: render/hash.ts) is not made again for
// each of the hundreds of policies naming the tenant. Bounded: when full it starts over,
// which only costs some of that reuse.
const recentPieces = new Map<string, Piece>();
const MAX_RECENT_PIECES = 50_000;

function keptPiece(piece: Piece): Piece {
  const key = `${piece.key}\n${piece.values[0] ?? ""}`;
  const earlier = recentPieces.get(key);
  if (earlier && sameValues(earlier.values, piece.values)) return earlier;
  if (recentPieces.size >= MAX_RECENT_PIECES) recentPieces.clear();
  recentPieces.set(key, piece);
  keepDigestsWith(piece.values);
  return piece;
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Spreads FNV's bits (murmur3's finaliser), so that the high bits the draw reads depend on every character. */
function mix32(hash: number): number {
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** FNV-1a over UTF-16 code units: fast, stable, and only ever deciding where pieces end (never a security boundary). */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
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
