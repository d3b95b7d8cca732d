// CEL rules that only test strings of self (a pattern, a length, whether a field is there)
// answered in plain code. Most rules of our CRDs are `self.matches('^...$')` on a name or a
// namespace, run on every source of every policy; the CEL interpreter costs far more than
// the match. A rule qualifies when its syntax tree is built only of has() on self's fields,
// strings of self (not date-times, which CEL sees as timestamps), their matches() with a
// constant pattern and size() compared with a constant, !, && and ||, and all() over the keys
// of a map or the items of a list of self with such a test of each. On values where CEL
// could fail (a field missing, a value that is not a string) the shortcut does not decide
// and the rule is evaluated by CEL.
import type { Expr, Expr_Comprehension as Comprehension } from "@bufbuild/cel-spec/cel/expr/syntax_pb.js";
import { runeCount } from "./openapi.js";
import { compilePattern } from "./patterns.js";
import { isRecord, selfPath, type RuleMemo } from "./rule-memo.js";
import { buildSchemaNode, schemaAt, type SchemaNode } from "./schema-node.js";

/** The shortcut cannot tell: CEL decides. */
const UNDECIDED = Symbol("undecided");
type Undecided = typeof UNDECIDED;
type Term<T> = (self: unknown) => T | Undecided;

/** A shortcut for a rule at `node`, or undefined when the rule is outside what it answers. */
export function ruleShortcut(expr: Expr, node: SchemaNode): RuleMemo | undefined {
  const decide = booleanTerm(expr, node, "self");
  if (!decide) return undefined;
  return {
    verdict(value, evaluate) {
      const verdict = decide(value);
      return verdict === UNDECIDED ? evaluate() : verdict;
    },
  };
}

/** A test of `root` (self, or the variable of an all()) whose value is described by `node`. */
function booleanTerm(expr: Expr, node: SchemaNode, root: string): Term<boolean> | undefined {
  const kind = expr.exprKind;
  if (kind.case === "constExpr" && kind.value.constantKind.case === "boolValue") {
    const constant = kind.value.constantKind.value;
    return () => constant;
  }
  if (kind.case === "selectExpr" && kind.value.testOnly) return presence(expr, root);
  if (kind.case === "comprehensionExpr" && root === "self") return allTerm(kind.value, node);
  if (kind.case !== "callExpr") return undefined;
  const { function: name, args, target } = kind.value;
  if (name === "!_" && args.length === 1) {
    const operand = booleanTerm(args[0]!, node, root);
    return operand && ((self) => {
      const value = operand(self);
      return value === UNDECIDED ? value : !value;
    });
  }
  if ((name === "_&&_" || name === "_||_") && args.length === 2) {
    const left = booleanTerm(args[0]!, node, root);
    const right = booleanTerm(args[1]!, node, root);
    if (!left || !right) return undefined;
    // CEL's && is false when either side is false, even if the other fails; || likewise with true.
    const decisive = name === "_||_";
    return (self) => {
      const a = left(self);
      if (a === decisive) return decisive;
      const b = right(self);
      if (b === decisive) return decisive;
      return a === UNDECIDED || b === UNDECIDED ? UNDECIDED : !decisive;
    };
  }
  if (name === "matches" && target && args.length === 1) {
    const text = stringTerm(target, node, root);
    const source = stringConstant(args[0]!);
    if (!text || source === undefined) return undefined;
    let pattern;
    try {
      pattern = compilePattern(source);
    } catch {
      return undefined;
    }
    return (self) => {
      const value = text(self);
      return value === UNDECIDED ? value : pattern.test(value);
    };
  }
  const compare = COMPARISONS[name];
  if (compare && args.length === 2) {
    const size = sizeTerm(args[0]!, node, root);
    const bound = intConstant(args[1]!);
    if (!size || bound === undefined) return undefined;
    return (self) => {
      const value = size(self);
      return value === UNDECIDED ? value : compare(value, bound);
    };
  }
  return undefined;
}

/**
 * `self.all(x, test)` over the keys of a map or the items of a list that self is, as the
 * parser expands the macro (a result that starts true and is ANDed with each test). CEL's
 * all() is false when one test is false, whatever the others; an error otherwise decides.
 */
function allTerm(c: Comprehension, node: SchemaNode): Term<boolean> | undefined {
  // Over self itself: its keys or items are what the node's schema describes.
  if (c.iterVar2 || !c.iterRange || selfPath(c.iterRange)?.length !== 0) return undefined;
  const init = c.accuInit?.exprKind;
  if (init?.case !== "constExpr" || init.value.constantKind.case !== "boolValue" || init.value.constantKind.value !== true) return undefined;
  if (c.result?.exprKind.case !== "identExpr" || c.result.exprKind.value.name !== c.accuVar) return undefined;
  const step = c.loopStep?.exprKind;
  if (step?.case !== "callExpr" || step.value.function !== "_&&_" || step.value.args.length !== 2) return undefined;
  const [accu, body] = step.value.args as [Expr, Expr];
  if (accu.exprKind.case !== "identExpr" || accu.exprKind.value.name !== c.accuVar) return undefined;
  const overKeys = node.type === "object" && node.additionalProperties !== undefined && node.properties === undefined;
  // A map's keys are strings as CEL sees them: a plain string schema.
  const element = overKeys ? buildSchemaNode({ type: "string" }) : node.type === "array" ? node.items : undefined;
  const test = element && booleanTerm(body, element, c.iterVar);
  if (!test) return undefined;
  return (self) => {
    let items: readonly unknown[];
    if (overKeys && isRecord(self)) items = Object.keys(self);
    else if (!overKeys && Array.isArray(self)) items = self;
    else return UNDECIDED;
    let undecided = false;
    for (const item of items) {
      const verdict = test(item);
      if (verdict === false) return false;
      if (verdict === UNDECIDED) undecided = true;
    }
    return undecided ? UNDECIDED : true;
  };
}

const COMPARISONS: Record<string, ((a: number, b: number) => boolean) | undefined> = {
  "_<=_": (a, b) => a <= b,
  "_<_": (a, b) => a < b,
  "_>=_": (a, b) => a >= b,
  "_>_": (a, b) => a > b,
  "_==_": (a, b) => a === b,
  "_!=_": (a, b) => a !== b,
};

/** `x.size()` or `size(x)` of a string term: its length in characters (code points), as CEL counts. */
function sizeTerm(expr: Expr, node: SchemaNode, root: string): Term<number> | undefined {
  const kind = expr.exprKind;
  if (kind.case !== "callExpr" || kind.value.function !== "size") return undefined;
  const { target, args } = kind.value;
  const operand = target && args.length === 0 ? target : !target && args.length === 1 ? args[0]! : undefined;
  const text = operand && stringTerm(operand, node, root);
  return (
    text &&
    ((self) => {
      const value = text(self);
      return value === UNDECIDED ? value : runeCount(value);
    })
  );
}

/** `root`, or a field below it, when it holds a string that CEL sees as a string. */
function stringTerm(expr: Expr, node: SchemaNode, root: string): Term<string> | undefined {
  const path = selfPath(expr, root);
  if (!path || !isCelString(schemaAt(node, path))) return undefined;
  return (self) => {
    const value = valueAt(self, path, path.length);
    return typeof value === "string" ? value : UNDECIDED;
  };
}

/** has(self.a.b): decided only when everything above the last field is an object and the field is not null (the apiserver prunes nulls first). */
function presence(expr: Expr, root: string): Term<boolean> | undefined {
  const path = selfPath(expr, root);
  if (!path || path.length === 0) return undefined;
  const field = path[path.length - 1]!;
  return (self) => {
    const parent = valueAt(self, path, path.length - 1);
    if (!isRecord(parent)) return UNDECIDED;
    if (!Object.hasOwn(parent, field)) return false;
    return parent[field] === null ? UNDECIDED : true;
  };
}

/** The value at the first `depth` fields of `path` below self; UNDECIDED where CEL would fail (a field missing, a non-object on the way). */
function valueAt(self: unknown, path: readonly string[], depth: number): unknown {
  let current = self;
  for (let i = 0; i < depth; i++) {
    if (!isRecord(current) || !Object.hasOwn(current, path[i]!)) return UNDECIDED;
    current = current[path[i]!];
  }
  return current;
}

/** Whether CEL sees a string at this schema node as the same string (toCel makes date-times timestamps). */
function isCelString(node: SchemaNode | undefined): boolean {
  return node?.format !== "date-time" && node?.format !== "datetime";
}

function stringConstant(expr: Expr): string | undefined {
  const kind = expr.exprKind;
  return kind.case === "constExpr" && kind.value.constantKind.case === "stringValue" ? kind.value.constantKind.value : undefined;
}

function intConstant(expr: Expr): number | undefined {
  const kind = expr.exprKind;
  return kind.case === "constExpr" && kind.value.constantKind.case === "int64Value" ? Number(kind.value.constantKind.value) : undefined;
}
