// A stable hash of rendered specs: keys are sorted at every depth so that the same
// content always hashes the same, whatever order it was built in.
import { createHash, type Hash } from "node:crypto";
import { keysInBuiltOrder } from "./key-order.js";
import { textChunks } from "./text-chunks.js";

/** The canonical JSON text: what JSON.stringify gives for a copy with sorted keys. */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  if (!write(value, (text) => void parts.push(text))) return undefined as unknown as string;
  return parts.join("");
}

// Small pieces are gathered before they reach the hash: each update is a call into native
// code that costs more than hashing a few bytes.
const DIGEST_CHUNK = 16 * 1024;

/**
 * sha256 (hex) of the canonical JSON, fed to the hash in chunks: a sharded policy's
 * objects are hundreds of KiB, and joining pieces that large into one string costs several
 * times what hashing them does.
 *
 * A value holding one list marked with keepDigestsWith (a piece of a tenant's principals,
 * named by every policy naming the tenant) is looked up first among the digests kept with
 * that list, by the text of everything around it: when one member joins a tenant of
 * thousands, every policy naming it is rendered again, and all but one or two of each
 * policy's shards hold the same list as before (shard.ts keeps a piece's list when its
 * members stay) inside the same text.
 */
export function canonicalDigest(value: unknown): string {
  const segments: Array<string | LongListUse> = [];
  let lists = 0;
  let kept: Map<string, string> | undefined;
  write(value, (text) => void segments.push(text), (text, list) => {
    segments.push({ text, list });
    lists++;
    kept = list.digests;
  });
  if (lists !== 1 || kept === undefined) return digestOf(segments);
  // The list stands for itself in the key: it is the one the digests are kept with.
  const around = segments.map((segment) => (typeof segment === "string" ? segment : LIST_IN_KEY)).join("");
  const known = kept.get(around);
  if (known !== undefined) return known;
  const digest = digestOf(segments);
  if (kept.size >= MAX_DIGESTS_PER_LIST) kept.clear();
  kept.set(around, digest);
  return digest;
}

/** A long list where it stands in a value's canonical text, with its record. */
interface LongListUse {
  text: string;
  list: ListText;
}

// How many digests a list keeps (a tenant's piece is named by one shard per policy naming
// the tenant; beyond this the oldest go together), and what stands for the list in their
// keys (no canonical text holds a NUL character outside a string, and inside one JSON
// writes it escaped).
const MAX_DIGESTS_PER_LIST = 4096;
const LIST_IN_KEY = "\u0000";

function digestOf(segments: ReadonlyArray<string | LongListUse>): string {
  const hash: Hash = createHash("sha256");
  const chunks = textChunks((chunk) => void hash.update(chunk), DIGEST_CHUNK);
  // A long list used again and again goes to the hash as the UTF-8 bytes kept with it:
  // encoding the text for every policy costs more than hashing it.
  for (const segment of segments) {
    if (typeof segment === "string") {
      chunks.add(segment);
      continue;
    }
    chunks.flush();
    const { text, list } = segment;
    if (list.text === undefined || list.uses < 3) hash.update(text);
    else hash.update((list.utf8 ??= Buffer.from(text, "utf8")));
  }
  chunks.flush();
  return hash.digest("hex");
}

/**
 * Whether JSON.stringify of the value itself gives the canonical text: plain objects whose
 * keys are already in order (none an array index, none undefined) and lists without holes,
 * down to strings, numbers, booleans and nulls. The renderer builds most objects so, and the
 * engine's serialisation is several times faster than write below. A long list is left to
 * write, which keeps the text of a list of strings.
 */
function isInCanonicalForm(value: unknown): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return true;
    case "object":
      break;
    default:
      return false;
  }
  if (Array.isArray(value)) {
    if (value.length >= LONG_LIST) return false;
    for (let i = 0; i < value.length; i++) if (!(i in value) || !isInCanonicalForm(value[i])) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const record = value as Record<string, unknown>;
  let previous: string | undefined;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) return false;
    const first = key.charCodeAt(0);
    if (first >= 48 && first <= 57) return false;
    if (previous !== undefined && !(previous < key)) return false;
    if (!isInCanonicalForm(record[key])) return false;
    previous = key;
  }
  return true;
}

// Emits the JSON text directly rather than building a sorted copy first: this runs for
// every rendered object and status on every reconcile. Same output as JSON.stringify of
// a copy with sorted keys (undefined members left out, undefined array items as null).
// Returns false for a value JSON leaves out (undefined, a function).
function write(value: unknown, emit: (text: string) => void, emitList: (text: string, list: ListText) => void = (text) => emit(text)): boolean {
  if (value === null || typeof value !== "object") {
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) return false;
    emit(text);
    return true;
  }
  // The parts beside a long list (a rule's operations, the selector) are mostly in canonical form already.
  if (isInCanonicalForm(value)) {
    emit(JSON.stringify(value));
    return true;
  }
  if (Array.isArray(value)) {
    // Lists of strings (principals, paths) are most of a large policy's bytes; for them the
    // engine's own serialisation gives the same text at a fraction of the cost.
    if (value.every((item) => typeof item === "string")) {
      if (value.length < LONG_LIST) emit(JSON.stringify(value));
      else {
        const list = longList(value as string[]);
        emitList(list.text ?? JSON.stringify(value), list);
      }
      return true;
    }
    emit("[");
    // An index loop, not forEach: a hole is written as null, as JSON.stringify writes it.
    for (let index = 0; index < value.length; index++) {
      if (index > 0) emit(",");
      if (!write(value[index], emit, emitList)) emit("null");
    }
    emit("]");
    return true;
  }
  const record = value as Record<string, unknown>;
  emit("{");
  let first = true;
  for (const key of keysInBuiltOrder(record)) {
    const member = record[key];
    if (member === undefined || typeof member === "function" || typeof member === "symbol") continue;
    emit(first ? keyJson(key) : `,${keyJson(key)}`);
    first = false;
    write(member, emit, emitList);
  }
  emit("}");
  return true;
}

// Rendered objects use a few dozen keys, millions of times: their JSON is made once.
const keyTexts = new Map<string, string>();
const MAX_KEY_TEXTS = 4096;

function keyJson(key: string): string {
  let text = keyTexts.get(key);
  if (text === undefined) {
    text = `${JSON.stringify(key)}:`;
    if (keyTexts.size >= MAX_KEY_TEXTS) keyTexts.clear();
    keyTexts.set(key, text);
  }
  return text;
}

// A tenant's principals are one list shared by every rule and policy naming the tenant, and
// hashed for each: from its second use on, its text is kept with it (a list is never
// changed in place once rendered; its length is checked all the same). A list used once
// keeps nothing: the operator renders most lists once while identities change, and texts
// kept for those raised its peak memory.
const LONG_LIST = 64;

interface ListText {
  length: number;
  uses: number;
  /** The list's JSON, kept from its second use. */
  text?: string;
  /** The text in UTF-8, made at its third use. */
  utf8?: Buffer;
  /** Digests of values holding this list, by the canonical text around it (canonicalDigest). */
  digests?: Map<string, string>;
}

const listTexts = new WeakMap<readonly string[], ListText>();

/** The record of a long list (a new one when the list's length changed). */
function recordOf(list: readonly string[]): ListText {
  let entry = listTexts.get(list);
  if (!entry || entry.length !== list.length) {
    entry = { length: list.length, uses: 0 };
    listTexts.set(list, entry);
  }
  return entry;
}

/**
 * Keeps the digests of values holding this list (see canonicalDigest), for a list that is
 * shared by many values and outlives many renderings: a piece of a tenant's principals.
 * Lists of fewer than 64 values are written in place and keep nothing.
 */
export function keepDigestsWith(list: readonly string[]): void {
  if (list.length < LONG_LIST) return;
  recordOf(list).digests ??= new Map();
}

/** The record of a long list, counting this use; its text is set from the second use on. */
function longList(list: readonly string[]): ListText {
  const entry = recordOf(list);
  entry.uses++;
  if (entry.uses === 2) entry.text = JSON.stringify(list);
  return entry;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
