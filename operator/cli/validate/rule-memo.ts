// Remembered verdicts for CEL rules whose inputs have a finite domain. A rule's syntax tree
// tells which parts of `self` it reads. When it reads only whether fields are present
// (has()) and the values of booleans and enum strings, the same presences and values give
// the same verdict, so the verdict is remembered under them; since those inputs take few
// values, so does the memory. The one-source-kind rule, for instance, runs on every source
// of every policy, and sources come in a handful of shapes.
import type { Expr } from "@bufbuild/cel-spec/cel/expr/syntax_pb.js";
import { schemaAt, type SchemaNode } from "./schema-node.js";

interface SelfRead {
  /** Field names from self down. */
  path: readonly string[];
  /** has(self.a.b) reads presence only; self.a.b reads the value. */
  presenceOnly: boolean;
}

/** The reads of `self` in a rule, or undefined when it uses self otherwise (whole, as a call target, in a comprehension over it). */
export function selfReads(expr: Expr): SelfRead[] | undefined {
  const reads: SelfRead[] = [];
  return collect(expr, reads) ? reads : undefined;
}

function collect(expr: Expr | undefined, reads: SelfRead[]): boolean {
  if (!expr) return true;
  const kind = expr.exprKind;
  switch (kind.case) {
    case "identExpr":
      return kind.value.name !== "self";
    case "constExpr":
      return true;
    case "selectExpr": {
      const path = selfPath(expr);
      if (path) {
        reads.push({ path, presenceOnly: kind.value.testOnly });
        return true;
      }
      return collect(kind.value.operand, reads);
    }
    case "callExpr":
      return collect(kind.value.target, reads) && kind.value.args.every((arg) => collect(arg, reads));
    case "listExpr":
      return kind.value.elements.every((element) => collect(element, reads));
    case "structExpr":
      return kind.value.entries.every((entry) => collect(entry.value, reads) && (entry.keyKind.case !== "mapKey" || collect(entry.keyKind.value, reads)));
    case "comprehensionExpr": {
      const c = kind.value;
      if ([c.iterVar, c.iterVar2, c.accuVar].includes("self")) return false;
      return [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result].every((part) => collect(part, reads));
    }
    default:
      return false;
  }
}

/** self.a.b as ["a", "b"] (self alone as []); undefined when the select chain does not start at self (or at the variable `root`). */
export function selfPath(expr: Expr, root = "self"): string[] | undefined {
  const fields: string[] = [];
  let current: Expr | undefined = expr;
  while (current?.exprKind.case === "selectExpr") {
    fields.unshift(current.exprKind.value.field);
    current = current.exprKind.value.operand;
  }
  return current?.exprKind.case === "identExpr" && current.exprKind.value.name === root ? fields : undefined;
}

/** Whether a value read at this schema node takes few values: a boolean or an enum. */
function finiteDomain(node: SchemaNode | undefined): boolean {
  return node !== undefined && (node.type === "boolean" || (node.enum !== undefined && node.enum.length > 0));
}

/** Values that are not in the schema's domain (invalid objects) may still come: the memory is capped all the same. */
const MAX_REMEMBERED = 1024;

export interface RuleMemo {
  /** The rule's verdict on `value` (the JSON value of self), evaluated by `evaluate` when not remembered. */
  verdict(value: unknown, evaluate: () => unknown): unknown;
}

/** A memo for a rule at `node`, or undefined when its verdict may depend on inputs of unbounded domain. */
export function ruleMemo(expr: Expr, node: SchemaNode): RuleMemo | undefined {
  const reads = selfReads(expr);
  if (!reads || reads.length === 0) return undefined;
  if (!reads.every((read) => read.presenceOnly || finiteDomain(schemaAt(node, read.path)))) return undefined;
  const verdicts = new Map<string, unknown>();
  return {
    verdict(value, evaluate) {
      let key = "";
      for (const read of reads) key += `${inputKey(value, read)}|`;
      if (verdicts.has(key)) return verdicts.get(key);
      const result = evaluate();
      if (verdicts.size >= MAX_REMEMBERED) verdicts.clear();
      verdicts.set(key, result);
      return result;
    },
  };
}

/** How far the path is present, and the value at its end when the rule reads it. */
function inputKey(value: unknown, read: SelfRead): string {
  let current = value;
  let key = "";
  for (const field of read.path) {
    if (!isRecord(current)) return `${key}${current === null ? "n" : typeof current}`;
    if (!Object.hasOwn(current, field)) return `${key}-`;
    current = (current as Record<string, unknown>)[field];
    key += current === null ? "n" : "+";
  }
  return read.presenceOnly ? key : `${key}=${JSON.stringify(current) ?? "u"}`;
}

/** A JSON object (a CEL map), not null or a list. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
