// Lines of findings in their YAML or JSON files: the document's node for the field path,
// found through js-yaml's parse events (which give each mapping and sequence its line),
// then the line of the field's key below it. Only files with findings are parsed again.
import yaml from "js-yaml";

type Node = Record<string, unknown> | unknown[];

interface ParsedFile {
  documents: unknown[];
  lineOf: WeakMap<object, number>;
  lines: string[];
}

function parseWithLines(text: string): ParsedFile {
  const lineOf = new WeakMap<object, number>();
  const open: number[] = [];
  const documents = yaml.loadAll(text, undefined, {
    listener(event, state) {
      if (event === "open") open.push(state.line);
      else {
        const line = open.pop() ?? 0;
        if (state.result && typeof state.result === "object") lineOf.set(state.result, line);
      }
    },
  });
  return { documents, lineOf, lines: text.split("\n") };
}

/** `spec.rules[0].from[1].tenant` → ["spec", "rules", 0, "from", 1, "tenant"]; `[key]` is a map key. */
export function pathSegments(field: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)) {
    if (m[1] !== undefined) segments.push(m[1]);
    else segments.push(/^\d+$/.test(m[2]!) ? Number(m[2]) : m[2]!);
  }
  return segments;
}

export class LineFinder {
  private readonly parsed = new Map<string, ParsedFile | undefined>();

  constructor(private readonly textOf: (file: string) => string | undefined) {}

  /** The 1-based line of `field` in document `index` of `file`, or undefined when it cannot be told. */
  lineOf(file: string, index: number, field: string): number | undefined {
    let parsed = this.parsed.get(file);
    if (!this.parsed.has(file)) {
      const text = this.textOf(file);
      try {
        parsed = text === undefined ? undefined : parseWithLines(text);
      } catch {
        parsed = undefined;
      }
      this.parsed.set(file, parsed);
    }
    if (!parsed) return undefined;
    let node = parsed.documents[index];
    if (!node || typeof node !== "object") return undefined;
    let line = parsed.lineOf.get(node) ?? 0;
    let lastKey: string | undefined;
    for (const segment of pathSegments(field)) {
      const child: unknown = Array.isArray(node) ? node[segment as number] : (node as Record<string, unknown>)[String(segment)];
      if (child === undefined) break;
      lastKey = typeof segment === "string" && !Array.isArray(node) ? segment : undefined;
      if (child && typeof child === "object") {
        node = child as Node;
        line = parsed.lineOf.get(node as object) ?? line;
        lastKey = undefined;
      } else {
        break;
      }
    }
    if (lastKey !== undefined) {
      const key = new RegExp(`^\\s*(- )?["']?${lastKey.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}["']?\\s*:`);
      for (let i = line; i < parsed.lines.length; i++) if (key.test(parsed.lines[i]!)) return i + 1;
    }
    return line + 1;
  }
}
