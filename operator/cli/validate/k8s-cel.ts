// CEL as the apiserver runs x-kubernetes-validations: @bufbuild/cel with the Kubernetes
// library functions our CRDs use (isURL, the strings extension, RE2 `matches`, Go's
// duration syntax), values typed by their schema (integers as int, date-time strings as
// timestamps) and errors and field paths reported as the apiserver reports them.
import { create } from "@bufbuild/protobuf";
import { ExprSchema, type Expr } from "@bufbuild/cel-spec/cel/expr/syntax_pb.js";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { CelScalar, celEnv, celFunc, celMethod, isCelError, objectType, parse, plan, type CelInput } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { OMITTED, fieldError, childPath, type FieldError } from "./field-error.js";
import { parseGoDuration } from "./go-duration.js";
import { parseGoDateTime } from "./go-time.js";
import { isGoRequestURI } from "./go-url.js";
import { compilePattern } from "./patterns.js";
import type { RuleMemo } from "./rule-memo.js";
import type { SchemaNode, ValidationRule } from "./schema-node.js";

const DURATION = objectType(DurationSchema);
const NANOS_PER_SECOND = 1_000_000_000n;

const kubernetesLibrary = [
  ...strings,
  celFunc("isURL", [CelScalar.STRING], CelScalar.BOOL, (text) => isGoRequestURI(text)),
  celMethod("matches", CelScalar.STRING, [CelScalar.STRING], CelScalar.BOOL, function (pattern) {
    return compilePattern(pattern).test(this);
  }),
  celFunc("duration", [CelScalar.STRING], DURATION, (text) => {
    const nanos = parseGoDuration(text);
    return create(DurationSchema, { seconds: nanos / NANOS_PER_SECOND, nanos: Number(nanos % NANOS_PER_SECOND) });
  }),
];

const env = celEnv({ funcs: kubernetesLibrary });

type Program = (bindings: { self: CelInput }) => unknown;

export interface CompiledRule {
  rule: ValidationRule;
  /** What the apiserver reports when the rule is false: the message, else the rule. */
  message: string;
  /** The rule's fieldPath without its leading dot (apiserver's normalized form), or "". */
  fieldPath: string;
  program: Program | undefined;
  compileError: string | undefined;
  /** The parsed rule, for analyses of what it reads. */
  expr: Expr | undefined;
  /** Remembered verdicts, for rules whose inputs have a finite domain (set by the schema node). */
  memo?: RuleMemo;
  /** Plain code for rules that only test strings of self (set by the schema node). */
  shortcut?: RuleMemo;
  /** Remembered verdicts keyed by the parts of self the rule reads, for rules that walk self's lists (set by the schema node). */
  projection?: RuleMemo;
}

export function compileRule(rule: ValidationRule): CompiledRule {
  const message = rule.message?.trim() ? rule.message.trim() : rule.rule.trim();
  const fieldPath = (rule.fieldPath ?? "").replace(/^\./, "");
  try {
    const parsed = parse(rule.rule);
    parsed.expr = expandBind(parsed.expr);
    const program = plan(env, parsed) as Program;
    return { rule, message, fieldPath, program, compileError: undefined, expr: parsed.expr };
  } catch (err) {
    return { rule, message, fieldPath, program: undefined, compileError: (err as Error).message, expr: undefined };
  }
}

/**
 * cel.bind(name, init, body), the Kubernetes CEL bindings macro, as cel-go expands it: a
 * comprehension over an empty list whose accumulator is `name`, so `body` sees the value.
 */
function expandBind(expr: Expr): Expr {
  const kind = expr.exprKind;
  switch (kind.case) {
    case "callExpr": {
      const call = kind.value;
      if (call.target) call.target = expandBind(call.target);
      call.args = call.args.map(expandBind);
      const target = call.target?.exprKind;
      const name = call.args[0]?.exprKind;
      if (call.function === "bind" && target?.case === "identExpr" && target.value.name === "cel" && call.args.length === 3 && name?.case === "identExpr") {
        return create(ExprSchema, {
          id: expr.id,
          exprKind: {
            case: "comprehensionExpr",
            value: {
              iterVar: "#unused",
              iterRange: { exprKind: { case: "listExpr", value: {} } },
              accuVar: name.value.name,
              accuInit: call.args[1],
              loopCondition: { exprKind: { case: "constExpr", value: { constantKind: { case: "boolValue", value: false } } } },
              loopStep: { exprKind: { case: "identExpr", value: { name: name.value.name } } },
              result: call.args[2],
            },
          },
        });
      }
      return expr;
    }
    case "selectExpr":
      if (kind.value.operand) kind.value.operand = expandBind(kind.value.operand);
      return expr;
    case "listExpr":
      kind.value.elements = kind.value.elements.map(expandBind);
      return expr;
    case "structExpr":
      for (const entry of kind.value.entries) {
        if (entry.value) entry.value = expandBind(entry.value);
        if (entry.keyKind.case === "mapKey") entry.keyKind.value = expandBind(entry.keyKind.value);
      }
      return expr;
    case "comprehensionExpr":
      for (const part of ["iterRange", "accuInit", "loopCondition", "loopStep", "result"] as const) {
        const child = kind.value[part];
        if (child) kind.value[part] = expandBind(child);
      }
      return expr;
    default:
      return expr;
  }
}

/** A function the rules call that this validator does not provide: its verdict cannot be trusted. */
export class UnsupportedRuleError extends Error {}

/**
 * Runs the rules of one schema node on the value at `path`. A false rule is reported at
 * path + fieldPath with its message; a rule that fails to evaluate is reported at path,
 * as the apiserver does. `cel` is the value as CEL sees it, or a function that makes it
 * (called only if a rule needs CEL: remembered and shortcut verdicts read the JSON value).
 */
export function evaluateRules(node: SchemaNode, cel: CelInput | (() => CelInput), value: unknown, path: string): FieldError[] {
  let made: { value: CelInput } | undefined = typeof cel === "function" ? undefined : { value: cel };
  const celSelf = () => (made ??= { value: (cel as () => CelInput)() }).value;
  const errors: FieldError[] = [];
  const shown = node.type === "object" || node.type === "array" ? OMITTED : value;
  for (const compiled of node.rules) {
    if (!compiled.program) {
      errors.push(fieldError("FieldValueInvalid", path, node.type ?? "", `rule compile error: ${compiled.compileError}`));
      continue;
    }
    const program = compiled.program;
    const direct = compiled.memo ?? compiled.shortcut ?? compiled.projection;
    const result = direct ? direct.verdict(value, () => program({ self: celSelf() })) : program({ self: celSelf() });
    if (isCelError(result)) {
      if (/unbound function/.test(result.message)) {
        throw new UnsupportedRuleError(`rule ${JSON.stringify(compiled.rule.rule)} at ${path || "<root>"}: ${result.message}`);
      }
      errors.push(fieldError("FieldValueInvalid", path, node.type ?? "", `${result.message} evaluating rule: ${compiled.message}`));
      continue;
    }
    if (result === true) continue;
    const at = compiled.fieldPath ? childPath(path, compiled.fieldPath) : path;
    errors.push(fieldError(reasonType(compiled.rule.reason), at, shown, compiled.message));
  }
  return errors;
}

function reasonType(reason: string | undefined): FieldError["type"] {
  switch (reason) {
    case "FieldValueRequired":
      return "FieldValueRequired";
    case "FieldValueDuplicate":
      return "FieldValueDuplicate";
    default:
      return "FieldValueInvalid";
  }
}

/**
 * The CEL value of a JSON value under its schema, as the apiserver builds it: objects are
 * maps of the fields present (so has() tests presence), integers are int, date-time
 * strings are timestamps. A date-time the apiserver cannot convert becomes null, which
 * makes any comparison fail to evaluate as the apiserver's conversion error does.
 */
export function toCel(value: unknown, node: SchemaNode | undefined): CelInput {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((item) => toCel(item, node?.items));
  if (typeof value === "object") {
    const map = new Map<string, CelInput>();
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      map.set(key, toCel(child, node?.properties?.get(key) ?? node?.additionalProperties));
    }
    return map;
  }
  if (typeof value === "number") {
    return node?.type === "integer" || (node?.type === undefined && Number.isInteger(value)) ? BigInt(value) : value;
  }
  if (typeof value === "string" && (node?.format === "date-time" || node?.format === "datetime")) {
    const instant = parseGoDateTime(value);
    return instant ? create(TimestampSchema, { seconds: instant.seconds, nanos: instant.nanos }) : null;
  }
  return value as CelInput;
}
