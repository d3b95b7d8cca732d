// Remembered verdicts for CEL rules that walk self's lists: the spec-level rules of an
// AccessPolicy (every rule has a source, every jwt source names a declared issuer, every
// apiKey source a declared key, the gate) run on every policy, through the CEL interpreter,
// after the whole spec is converted to CEL values. Their syntax tree tells exactly which
// parts of self they can read: fields below self, through the elements of lists they
// iterate, tested for presence, measured with size(), or read as values. Two values that
// agree on all those parts get the same verdict, errors included (a missing field is part
// of what is read), so the verdict is remembered under a key made of those parts. Most
// policies share a handful of shapes, so the key takes few values and the interpreter runs
// once per shape.
import type { Expr } from "@bufbuild/cel-spec/cel/expr/syntax_pb.js";
import { runeCount } from "./openapi.js";
import { isRecord, type RuleMemo } from "./rule-memo.js";
import { ELEMENT, schemaAt, type SchemaNode, type SchemaPathSegment as Segment } from "./schema-node.js";

interface Read {
  path: readonly Segment[];
  /** presence: has() of the path's last field; size: size() of the value; value: anything else. */
  how: "presence" | "size" | "value";
}

/** What an expression evaluates to: a part of self at a path, or something computed. */
type Binding = { path: readonly Segment[] } | undefined;

class Unsupported extends Error {}

/** The parts of self a rule can read, or undefined when they cannot be told (or are self as a whole, which makes a useless key). */
export function projectedReads(expr: Expr, node: SchemaNode): Read[] | undefined {
  const reads: Read[] = [];
  try {
    consume(analyse(expr, new Map([["self", { path: [] }]]), reads, node), reads);
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
  if (reads.length === 0 || reads.some((read) => read.how === "value" && read.path.length === 0)) return undefined;
  return reads;
}

/** A value read where a part of self is used other than by select, has(), size() or iteration. */
function consume(binding: Binding, reads: Read[]): void {
  if (binding) reads.push({ path: binding.path, how: "value" });
}

function analyse(expr: Expr | undefined, env: ReadonlyMap<string, Binding>, reads: Read[], node: SchemaNode): Binding {
  if (!expr) return undefined;
  const kind = expr.exprKind;
  switch (kind.case) {
    case "identExpr":
      return env.get(kind.value.name);
    case "constExpr":
      return undefined;
    case "selectExpr": {
      const operand = analyse(kind.value.operand, env, reads, node);
      if (!operand) return undefined;
      const path = [...operand.path, kind.value.field];
      if (kind.value.testOnly) {
        reads.push({ path, how: "presence" });
        return undefined;
      }
      return { path };
    }
    case "callExpr": {
      const { function: name, target, args } = kind.value;
      if (name === "size" && (target ? args.length === 0 : args.length === 1)) {
        const operand = analyse(target ?? args[0], env, reads, node);
        if (operand) reads.push({ path: operand.path, how: "size" });
        return undefined;
      }
      consume(analyse(target, env, reads, node), reads);
      for (const arg of args) consume(analyse(arg, env, reads, node), reads);
      return undefined;
    }
    case "listExpr":
      for (const element of kind.value.elements) consume(analyse(element, env, reads, node), reads);
      return undefined;
    case "comprehensionExpr": {
      const c = kind.value;
      if (c.iterVar2) throw new Unsupported("two-variable comprehension");
      const range = analyse(c.iterRange, env, reads, node);
      const inner = new Map(env);
      if (range) {
        // Only lists: iterating a map yields its keys, which this key does not hold apart.
        if (schemaAt(node, range.path)?.type !== "array") throw new Unsupported("iteration over a map");
        reads.push({ path: range.path, how: "size" });
        inner.set(c.iterVar, { path: [...range.path, ELEMENT] });
      } else {
        inner.set(c.iterVar, undefined);
      }
      consume(analyse(c.accuInit, env, reads, node), reads);
      inner.set(c.accuVar, undefined);
      for (const part of [c.loopCondition, c.loopStep, c.result]) consume(analyse(part, inner, reads, node), reads);
      return undefined;
    }
    default:
      throw new Unsupported(kind.case ?? "empty expression");
  }
}

/** Keys longer than this (a policy with thousands of sources) are not remembered: the rule is evaluated. */
const MAX_KEY_LENGTH = 4096;
/** Shapes outside the common ones may still come: the memory is capped. */
const MAX_REMEMBERED = 1024;

/**
 * The keys of the projected rules of one schema node, made in one walk per value: the rules
 * of a node run one after another on the same value, and each walking the policy's rules
 * and sources for a key of its own cost more than the rest of the checks. A key holds the
 * parts every one of those rules reads, so two values with one key agree on what each rule
 * reads.
 */
export class ProjectionKeys {
  private readonly reads: Read[] = [];
  private readonly known = new Set<string>();
  private lastValue: unknown = ProjectionKeys;
  private lastKey = "";

  add(reads: readonly Read[]): void {
    for (const read of reads) {
      const id = `${read.how} ${read.path.map(String).join("\0")}`;
      if (this.known.has(id)) continue;
      this.known.add(id);
      this.reads.push(read);
    }
  }

  keyOf(value: unknown): string {
    if (value === this.lastValue) return this.lastKey;
    const parts: string[] = [];
    for (const read of this.reads) readKey(value, read, 0, parts);
    this.lastValue = value;
    this.lastKey = parts.join("");
    return this.lastKey;
  }
}

/** A memo for a rule at `node` keyed by the parts of self it (and the other rules sharing `keys`) reads, or undefined when those cannot be told. */
export function projectionMemo(expr: Expr, node: SchemaNode, keys = new ProjectionKeys()): RuleMemo | undefined {
  const reads = projectedReads(expr, node);
  if (!reads) return undefined;
  keys.add(reads);
  const verdicts = new Map<string, unknown>();
  return {
    verdict(value, evaluate) {
      const key = keys.keyOf(value);
      if (key.length > MAX_KEY_LENGTH) return evaluate();
      if (verdicts.has(key)) return verdicts.get(key);
      const result = evaluate();
      if (verdicts.size >= MAX_REMEMBERED) verdicts.clear();
      verdicts.set(key, result);
      return result;
    },
  };
}

/** What the read sees, from segment `at` of its path on: how far the path is there (through every element of the lists on it) and what is at its end. */
function readKey(current: unknown, read: Read, at: number, parts: string[]): void {
  const { path, how } = read;
  if (at === path.length) {
    parts.push(endKey(current, how), ";");
    return;
  }
  const segment = path[at]!;
  if (segment === ELEMENT) {
    if (!Array.isArray(current)) {
      parts.push(typeKey(current), ";");
      return;
    }
    parts.push("[");
    for (const item of current) readKey(item, read, at + 1, parts);
    parts.push("]");
    return;
  }
  if (!isRecord(current)) {
    parts.push(typeKey(current), ";");
    return;
  }
  if (how === "presence" && at === path.length - 1) {
    // has(): whether the field is there, and not null (which CEL's has() does not count).
    parts.push(!Object.hasOwn(current, segment) ? "-;" : current[segment] === null ? "n;" : "+;");
    return;
  }
  if (!Object.hasOwn(current, segment)) {
    parts.push("-;");
    return;
  }
  parts.push(".");
  readKey(current[segment], read, at + 1, parts);
}

function endKey(current: unknown, how: Read["how"]): string {
  if (how === "size") {
    if (Array.isArray(current)) return `L${current.length}`;
    if (isRecord(current)) return `M${Object.keys(current).length}`;
    if (typeof current === "string") return `S${runeCount(current)}`;
  }
  return `=${JSON.stringify(current) ?? "u"}`;
}

function typeKey(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "list" : typeof value;
}
