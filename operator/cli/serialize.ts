// Objects as text: multi-document YAML or a JSON List, keys sorted at every depth so the
// same objects always print the same bytes, however they were built or read.
import yaml from "js-yaml";
import { keysInBuiltOrder } from "../render/key-order.js";
import { textChunks } from "../render/text-chunks.js";

export type ObjectFormat = "yaml" | "json";

const DUMP_OPTIONS: yaml.DumpOptions = { lineWidth: -1, noRefs: true };

export function sortedDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record).sort()) {
    if (record[key] === undefined) continue;
    // An own "__proto__" key (JSON.parse and js-yaml make them) stays a key: assigning it
    // would set the copy's prototype instead and drop it from the output.
    if (key === "__proto__") Object.defineProperty(out, key, { value: sortedDeep(record[key]), enumerable: true, writable: true, configurable: true });
    else out[key] = sortedDeep(record[key]);
  }
  return out;
}

/** The reference form: js-yaml's dump of the sorted copy. BlockYaml below writes the same bytes. */
export function objectToYamlWithJsYaml(object: unknown): string {
  // sortedDeep already inserted the keys in order, which js-yaml keeps.
  return yaml.dump(sortedDeep(object), DUMP_OPTIONS);
}

export function objectToYaml(object: unknown, writer = new BlockYaml()): string {
  return writer.document(object) ?? objectToYamlWithJsYaml(object);
}

export function formatObjects(objects: readonly unknown[], format: ObjectFormat): string {
  const chunks: string[] = [];
  writeObjects(objects, format, (chunk) => void chunks.push(chunk));
  return chunks.join("");
}

// Output is handed on in pieces of about this size: joining tens of MB of YAML into one
// string costs more than writing it out.
const OUTPUT_CHUNK = 1024 * 1024;

/** formatObjects' text, given to `out` in consecutive chunks. */
export function writeObjects(objects: readonly unknown[], format: ObjectFormat, out: (chunk: string) => void): void {
  if (format === "json") {
    out(`${JSON.stringify(sortedDeep({ apiVersion: "v1", kind: "List", items: objects }), null, 2)}\n`);
    return;
  }
  const writer = new BlockYaml();
  const chunks = textChunks(out, OUTPUT_CHUNK);
  for (const object of objects) {
    chunks.add("---\n");
    const parts = writer.documentParts(object);
    if (!parts) {
      chunks.add(objectToYamlWithJsYaml(object));
      continue;
    }
    // A large piece (a tenant's list, kept by the writer) is handed on as it is, not copied into a chunk.
    let from = 0;
    for (const i of writer.largeParts) {
      if (i > from) chunks.add(parts.slice(from, i).join(""));
      chunks.flush();
      out(parts[i]!);
      from = i + 1;
    }
    chunks.add(from === 0 ? parts.join("") : parts.slice(from).join(""));
  }
  chunks.flush();
}

/** Text this long (a tenant's list) is handed on as a piece of its own. */
const LARGE_PIECE = 4096;

/** A value this writer leaves to js-yaml (multi-line text, long keys, non-JSON values). */
const NOT_SIMPLE = Symbol("not simple");

/** Lists this long are written once per writer and depth (see BlockYaml.stringList). */
const SHARED_LIST_MIN = 64;

/**
 * Strings js-yaml writes as they are: a letter, then letters, digits and `._/-`, and not one
 * of the words read as null or a boolean (in YAML 1.2 or 1.1). No number, time or special float
 * starts with a letter, and none of these characters needs quoting in block context.
 */
const PLAIN_SCALAR = /^[A-Za-z][A-Za-z0-9._/-]*$/;
const PLAIN_LOOKING_WORDS = new Set([
  ...["null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"],
  // YAML 1.1 booleans, which js-yaml quotes for older readers.
  ...["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF"],
]);

export function isPlainAsWritten(text: string): boolean {
  return PLAIN_SCALAR.test(text) && !(text.length <= 5 && PLAIN_LOOKING_WORDS.has(text));
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Block-style YAML of JSON-shaped values, byte for byte what js-yaml's dump writes for the
 * sorted copy with DUMP_OPTIONS, without building that copy. Structure (indentation, `- `,
 * `key: `, `{}` and `[]`) is written here; each distinct scalar is formatted once by js-yaml
 * itself, so quoting follows js-yaml's rules exactly. A single-line scalar's form does not
 * depend on where it stands; anything whose form would (multi-line strings, keys js-yaml
 * writes as explicit `? ` pairs) or that is not JSON-shaped makes `document` return
 * undefined, and the caller falls back to js-yaml for that object.
 */
export class BlockYaml {
  private readonly scalars = new Map<unknown, string>();
  private readonly indents: string[] = [];
  private readonly lists = new WeakMap<readonly unknown[], Map<number, { length: number; text: string }>>();
  /** The text written so far, in pieces joined once: joining many small strings beats concatenating them. */
  private parts: string[] = [];
  /** Positions in the last document's parts of pieces of at least LARGE_PIECE characters, in order. */
  largeParts: number[] = [];

  document(object: unknown): string | undefined {
    return this.documentParts(object)?.join("");
  }

  /** The document's text in consecutive pieces, or undefined when js-yaml must write it. */
  documentParts(object: unknown): readonly string[] | undefined {
    this.parts = [];
    this.largeParts = [];
    try {
      this.node(object, 0, true);
    } catch (err) {
      if (err === NOT_SIMPLE) return undefined;
      throw err;
    }
    this.parts.push("\n");
    return this.parts;
  }

  private nextLine(level: number): string {
    let indent = this.indents[level];
    if (indent === undefined) indent = this.indents[level] = "\n" + "  ".repeat(level);
    return indent;
  }

  private scalar(value: unknown): string {
    if (typeof value === "string" && isPlainAsWritten(value)) return value;
    // A Map holds 0 and -0 as one key; js-yaml writes them differently.
    if (value === 0 && Object.is(value, -0)) return yaml.dump(value, DUMP_OPTIONS).slice(0, -1);
    let text = this.scalars.get(value);
    if (text === undefined) {
      if (typeof value === "string" && value.includes("\n")) throw NOT_SIMPLE;
      if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean" && value !== null) throw NOT_SIMPLE;
      text = yaml.dump(value, DUMP_OPTIONS).slice(0, -1);
      this.scalars.set(value, text);
    }
    return text;
  }

  /**
   * A long list written once per depth: a tenant's principals are one list that many
   * policies share, and most of the output's bytes. Lists holding anything but strings are
   * written item by item (and not remembered).
   */
  private stringList(list: readonly unknown[], level: number, compact: boolean): string {
    const key = compact ? -1 - level : level;
    let byDepth = this.lists.get(list);
    const known = byDepth?.get(key);
    if (known && known.length === list.length) return known.text;
    const saved = this.parts;
    const savedLarge = this.largeParts;
    const parts: string[] = (this.parts = []);
    // Large lists inside this one become part of its text.
    this.largeParts = [];
    let strings = true;
    try {
      let first = true;
      for (const item of list) {
        if (typeof item !== "string") strings = false;
        if (!compact || !first) parts.push(this.nextLine(level));
        first = false;
        parts.push("- ");
        this.node(item === undefined ? null : item, level + 1, true);
      }
    } finally {
      this.parts = saved;
      this.largeParts = savedLarge;
    }
    const text = parts.join("");
    if (strings) {
      if (!byDepth) this.lists.set(list, (byDepth = new Map()));
      byDepth.set(key, { length: list.length, text });
    }
    return text;
  }

  /** writeNode of js-yaml in block context at `level`; `compact`: the first line follows `- ` or starts the document. */
  private node(value: unknown, level: number, compact: boolean): void {
    const parts = this.parts;
    if (value === null || typeof value !== "object") {
      parts.push(this.scalar(value));
      return;
    }
    if (Array.isArray(value)) {
      if (value.length === 0) {
        parts.push("[]");
        return;
      }
      if (value.length >= SHARED_LIST_MIN) {
        const text = this.stringList(value, level, compact);
        if (text.length >= LARGE_PIECE) this.largeParts.push(parts.length);
        parts.push(text);
        return;
      }
      let first = true;
      for (const item of value) {
        if (!compact || !first) parts.push(this.nextLine(level));
        first = false;
        // An item is written compact, so it never starts on a new line.
        parts.push("- ");
        this.node(item === undefined ? null : item, level + 1, true);
      }
      return;
    }
    if (!isPlainObject(value)) throw NOT_SIMPLE;
    let first = true;
    for (const key of keysInBuiltOrder(value)) {
      const child = value[key];
      if (child === undefined) continue;
      const keyText = this.scalar(key);
      if (keyText.length > 1024) throw NOT_SIMPLE;
      if (!compact || !first) parts.push(this.nextLine(level));
      first = false;
      parts.push(keyText, ": ");
      const separator = parts.length - 1;
      this.node(child, level + 1, false);
      // A nested block starts on its own line: no space after the colon.
      if (parts[separator + 1]!.charCodeAt(0) === 10) parts[separator] = ":";
    }
    if (first) parts.push("{}");
  }
}
