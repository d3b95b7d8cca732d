// Block-style YAML read in one pass over its lines, for the manifests GitOps repositories
// hold (kubectl, Helm and js-yaml write them): mappings and sequences by indentation,
// single-line scalars, `[]` and `{}`, comments and `---` between documents. js-yaml's reader
// is general and several times slower on such text. The structure is read here; each distinct
// scalar is resolved once by js-yaml itself, so types and quoting follow its rules exactly.
// Anything else (block and multi-line scalars, flow collections, anchors, tags, explicit
// keys, duplicate keys, keys js-yaml would turn into another string, tabs, CR) makes
// readBlockYaml answer undefined and the caller reads the whole text with js-yaml, which
// also gives the error message for text that is not YAML.
import yaml from "js-yaml";

/** Thrown inside the reader when the text leaves the subset; never escapes readBlockYaml. */
const OUTSIDE_SUBSET = Symbol("outside the block subset");

const SPACE = 32;
const DASH = 45;
const COLON = 58;
const HASH = 35;
const SINGLE_QUOTE = 39;
const DOUBLE_QUOTE = 34;
const BACKSLASH = 92;

/** Characters that cannot start a plain scalar here (flow, anchors, tags, block scalars, directives, explicit keys). */
const INDICATOR_START = new Set("[]{}#&*!|>%@`,?:".split("").map((c) => c.charCodeAt(0)));
/** Plain scalars starting with a letter that are not strings in js-yaml's schema. */
const KEYWORDS = new Set(["null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"]);
/** Outside YAML's printable set (c-printable); js-yaml refuses such text. */
const NON_PRINTABLE = /[^\t\n\r\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** The documents of `text` as js-yaml's loadAll gives them, or undefined when the text is outside the subset. */
export function readBlockYaml(text: string): unknown[] | undefined {
  return readBlockYamlNotingDates(text)?.documents;
}

/** readBlockYaml's documents, and whether any scalar among them was read as a time (a Date). */
export function readBlockYamlNotingDates(text: string): { documents: unknown[]; hasDates: boolean } | undefined {
  if (text.includes("\r") || text.includes("\t") || text.charCodeAt(0) === 0xfeff || NON_PRINTABLE.test(text)) return undefined;
  try {
    const reader = new BlockReader(text);
    const documents = reader.documents();
    return { documents, hasDates: reader.hasDates };
  } catch (err) {
    if (err === OUTSIDE_SUBSET) return undefined;
    throw err;
  }
}

function outside(): never {
  throw OUTSIDE_SUBSET;
}

/** Scalars js-yaml resolved, shared by all texts read (numbers and quoted strings repeat across files); bounded. */
const resolvedScalars = new Map<string, unknown>();
const RESOLVED_SCALARS_LIMIT = 10_000;

/**
 * The line tables, shared by every reader and grown as needed: a reader runs to its end
 * before the next starts, and tables made anew for each file were a fifth of what reading
 * allocated.
 */
let sharedStarts = new Int32Array(4096);
let sharedEnds = new Int32Array(4096);
let sharedIndents = new Int32Array(4096);

class BlockReader {
  /** Per content line: offset of its first non-space character, its end (the newline or the text's end), its indentation. */
  private starts = sharedStarts;
  private ends = sharedEnds;
  private indents = sharedIndents;
  /** Content lines in the tables. */
  private lines = 0;
  /** Line numbers (into the arrays above) where each document begins; the first may be implicit. */
  private readonly documentStarts: number[] = [];
  private end = 0;
  /** Whether a scalar was read as a time. */
  hasDates = false;

  constructor(private readonly text: string) {
    let sawContent = false;
    let offset = 0;
    const length = text.length;
    this.documentStarts.push(0);
    while (offset < length) {
      let lineEnd = text.indexOf("\n", offset);
      if (lineEnd === -1) lineEnd = length;
      let first = offset;
      while (first < lineEnd && text.charCodeAt(first) === SPACE) first++;
      if (first < lineEnd && text.charCodeAt(first) !== HASH) {
        if (first === offset && text.startsWith("---", offset) && (lineEnd === offset + 3 || text.charCodeAt(offset + 3) === SPACE)) {
          // `--- ` followed by content, or a comment, is left to js-yaml.
          for (let i = offset + 3; i < lineEnd; i++) if (text.charCodeAt(i) !== SPACE) outside();
          // The first `---` before any content starts the first document, not a second one.
          if (sawContent) this.documentStarts.push(this.lines);
          sawContent = true;
        } else {
          if (first === offset && (text.startsWith("...", offset) || text.charCodeAt(offset) === 37 /* % */)) outside();
          this.addLine(first, trimEnd(text, first, lineEnd), first - offset);
          sawContent = true;
        }
      }
      offset = lineEnd + 1;
    }
  }

  private addLine(start: number, end: number, indent: number): void {
    if (this.lines === this.starts.length) {
      const grown = (table: Int32Array) => {
        const larger = new Int32Array(table.length * 2);
        larger.set(table);
        return larger;
      };
      sharedStarts = this.starts = grown(this.starts);
      sharedEnds = this.ends = grown(this.ends);
      sharedIndents = this.indents = grown(this.indents);
    }
    this.starts[this.lines] = start;
    this.ends[this.lines] = end;
    this.indents[this.lines] = indent;
    this.lines++;
  }

  documents(): unknown[] {
    const out: unknown[] = [];
    const starts = this.documentStarts;
    for (let d = 0; d < starts.length; d++) {
      const first = starts[d]!;
      this.end = d + 1 < starts.length ? starts[d + 1]! : this.lines;
      // Whether an empty stretch is a null document depends on comments and markers around
      // it in ways only js-yaml's reading defines.
      if (first === this.end) outside();
      const [value, next] = this.block(first, this.indents[first]!, this.starts[first]!);
      if (next !== this.end || value === null || typeof value !== "object") outside();
      out.push(value);
    }
    return out;
  }

  /** The mapping or sequence whose first entry starts at `offset` on line `line`, in column `column`. */
  private block(line: number, column: number, offset: number): [unknown, number] {
    return this.isSequenceItem(offset, this.ends[line]!) ? this.sequence(line, column, offset) : this.mapping(line, column, offset);
  }

  private isSequenceItem(offset: number, lineEnd: number): boolean {
    return this.text.charCodeAt(offset) === DASH && (offset + 1 === lineEnd || this.text.charCodeAt(offset + 1) === SPACE);
  }

  private sequence(line: number, column: number, offset: number): [unknown[], number] {
    const text = this.text;
    const items: unknown[] = [];
    for (;;) {
      const lineEnd = this.ends[line]!;
      if (!this.isSequenceItem(offset, lineEnd)) break;
      let content = offset + 1;
      while (content < lineEnd && text.charCodeAt(content) === SPACE) content++;
      const itemColumn = column + (content - offset);
      if (content === lineEnd || text.charCodeAt(content) === HASH) {
        // A bare `-` with its node on the next lines, indented deeper (js-yaml writes them with
        // indent 4). An empty item, or one after another `- ` on the line, js-yaml reads its own way.
        line++;
        if (offset !== this.starts[line - 1] || line >= this.end || this.indents[line]! <= column) outside();
        const [value, next] = this.block(line, this.indents[line]!, this.starts[line]!);
        items.push(value);
        line = next;
      } else if (this.isSequenceItem(content, lineEnd)) {
        const [value, next] = this.sequence(line, itemColumn, content);
        items.push(value);
        line = next;
      } else if (this.keyColon(content, lineEnd) >= 0) {
        const [value, next] = this.mapping(line, itemColumn, content);
        items.push(value);
        line = next;
      } else {
        items.push(this.scalar(content, lineEnd));
        line++;
      }
      if (line >= this.end) break;
      const indent = this.indents[line]!;
      if (indent < column) break;
      if (indent > column) outside();
      offset = this.starts[line]!;
    }
    return [items, line];
  }

  private mapping(line: number, column: number, offset: number): [Record<string, unknown>, number] {
    const text = this.text;
    const record: Record<string, unknown> = {};
    for (;;) {
      const lineEnd = this.ends[line]!;
      const colon = this.keyColon(offset, lineEnd);
      if (colon < 0) outside();
      const key = this.key(offset, colon);
      if (Object.hasOwn(record, key)) outside();
      let valueStart = colon + 1;
      while (valueStart < lineEnd && text.charCodeAt(valueStart) === SPACE) valueStart++;
      line++;
      if (valueStart === lineEnd || text.charCodeAt(valueStart) === HASH) {
        if (line < this.end && this.indents[line]! > column) {
          const [value, next] = this.block(line, this.indents[line]!, this.starts[line]!);
          record[key] = value;
          line = next;
        } else if (line < this.end && this.indents[line] === column && this.isSequenceItem(this.starts[line]!, this.ends[line]!)) {
          // kubectl's style: a mapping's sequence at the mapping's own indentation.
          const [value, next] = this.sequence(line, column, this.starts[line]!);
          record[key] = value;
          line = next;
        } else {
          record[key] = null;
        }
      } else {
        record[key] = this.scalar(valueStart, lineEnd);
      }
      if (line >= this.end) break;
      const indent = this.indents[line]!;
      if (indent < column) break;
      if (indent > column) outside();
      offset = this.starts[line]!;
      if (this.isSequenceItem(offset, this.ends[line]!)) outside();
    }
    return [record, line];
  }

  /** Offset of the colon that ends the key starting at `offset`, or -1 when the line holds no `key:`. */
  private keyColon(offset: number, lineEnd: number): number {
    const text = this.text;
    const first = text.charCodeAt(offset);
    if (first === SINGLE_QUOTE || first === DOUBLE_QUOTE) {
      let i = offset + 1;
      for (;;) {
        if (i >= lineEnd) return -1;
        const c = text.charCodeAt(i);
        if (c === BACKSLASH && first === DOUBLE_QUOTE) i += 2;
        else if (c === first) {
          if (first === SINGLE_QUOTE && text.charCodeAt(i + 1) === SINGLE_QUOTE) i += 2;
          else break;
        } else i++;
      }
      i++;
      while (i < lineEnd && text.charCodeAt(i) === SPACE) i++;
      return i < lineEnd && text.charCodeAt(i) === COLON && (i + 1 === lineEnd || text.charCodeAt(i + 1) === SPACE) ? i : -1;
    }
    for (let i = offset; i < lineEnd; i++) {
      const c = text.charCodeAt(i);
      if (c === COLON && (i + 1 === lineEnd || text.charCodeAt(i + 1) === SPACE)) return i;
      if (c === HASH && i > offset && text.charCodeAt(i - 1) === SPACE) return -1;
    }
    return -1;
  }

  private key(offset: number, colon: number): string {
    const text = this.text;
    const first = text.charCodeAt(offset);
    const end = trimEnd(text, offset, colon);
    let key: unknown;
    if (first === SINGLE_QUOTE || first === DOUBLE_QUOTE) key = this.resolve(text.slice(offset, end));
    else {
      key = plainString(text, offset, end);
      if (key === undefined) {
        // Kept only when js-yaml reads it as this very string (`9z`, not `1.0` or `null`); `<<` merges.
        const source = text.slice(offset, end);
        if (INDICATOR_START.has(first) || source === "<<" || this.resolve(source) !== source) outside();
        key = source;
      }
    }
    if (typeof key !== "string" || key === "__proto__") outside();
    return key;
  }

  /** The single-line scalar from `offset` to the line's end (a trailing comment dropped). */
  private scalar(offset: number, lineEnd: number): unknown {
    const text = this.text;
    const first = text.charCodeAt(offset);
    if (first === SINGLE_QUOTE || first === DOUBLE_QUOTE) return this.resolve(text.slice(offset, lineEnd));
    let end = lineEnd;
    for (let i = offset + 1; i < lineEnd; i++) {
      const c = text.charCodeAt(i);
      if (c === HASH && text.charCodeAt(i - 1) === SPACE) {
        end = trimEnd(text, offset, i);
        break;
      }
      // `a: b` in a value is a nested mapping js-yaml refuses; a trailing colon likewise.
      if (c === COLON && (i + 1 === lineEnd || text.charCodeAt(i + 1) === SPACE)) outside();
    }
    if (INDICATOR_START.has(first)) {
      if (end === offset + 2 && first === 91 /* [ */ && text.charCodeAt(offset + 1) === 93) return [];
      if (end === offset + 2 && first === 123 /* { */ && text.charCodeAt(offset + 1) === 125) return {};
      outside();
    }
    // `---` and `...` alone would be read as document markers below, and `- x` as a sequence.
    if (first === DASH && (end === offset + 1 || text.charCodeAt(offset + 1) === SPACE || text.startsWith("---", offset))) outside();
    if (first === 46 /* . */ && text.startsWith("...", offset)) outside();
    return plainString(text, offset, end) ?? this.resolve(text.slice(offset, end));
  }

  /** js-yaml's value of one scalar, remembered by its text: null, a boolean, a number, a string or a time (a fresh Date each time). */
  private resolve(source: string): unknown {
    let value = resolvedScalars.get(source);
    if (value === undefined && !resolvedScalars.has(source)) {
      try {
        value = yaml.load(source);
      } catch {
        outside();
      }
      if (value === undefined || typeof value === "function" || (value !== null && typeof value === "object" && !(value instanceof Date))) outside();
      if (resolvedScalars.size >= RESOLVED_SCALARS_LIMIT) resolvedScalars.clear();
      resolvedScalars.set(source, value);
    }
    if (!(value instanceof Date)) return value;
    this.hasDates = true;
    return new Date(value.getTime());
  }
}

/**
 * A plain scalar that is a string whatever else it holds: js-yaml's schema reads plain text as
 * null, a boolean, a number, a time or a merge key only when it starts with a digit, a sign,
 * `.`, `~` or `<`, or is one of the null and boolean words. Undefined: ask js-yaml.
 */
function plainString(text: string, start: number, end: number): string | undefined {
  const first = text.charCodeAt(start);
  // Letters, `_`, `/` and anything beyond ASCII (its patterns are all ASCII) except a byte order mark.
  const stringStart = (first >= 65 && first <= 90) || (first >= 97 && first <= 122) || first === 95 || first === 47 || (first >= 0xa0 && first !== 0xfeff);
  if (!stringStart) return undefined;
  const value = text.slice(start, end);
  return end - start <= 5 && KEYWORDS.has(value) ? undefined : value;
}

function trimEnd(text: string, start: number, end: number): number {
  while (end > start && text.charCodeAt(end - 1) === SPACE) end--;
  return end;
}
