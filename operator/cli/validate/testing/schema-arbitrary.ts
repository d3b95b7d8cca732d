// fast-check arbitraries for EngineIdentity and AccessPolicy objects driven by the CRD
// schema itself: every string is drawn near its patterns (OpenAPI `pattern` and the
// regexes of its CEL `matches` rules), its length limits and a pool of edge strings;
// every list and map near its item limits; every number near its bounds and the values
// its rules name. Most draws are close to valid, so verdicts of both kinds are exercised.
import fc from "fast-check";
import type { JsonSchema } from "../schema-node.js";

type Arb = fc.Arbitrary<unknown>;

/** Strings that sit on the edges of the CRDs' rules: durations, URLs, SPIFFE IDs, times, names. */
const EDGE_STRINGS = [
  "", "a", "-a", "a-", "A", "a.b", "a..b", ".a", "a_b", "a b", "*", "**", "/", "/*", "*.json", "/a*b", "*/a/*",
  "1h", "59m59s", "60m", "1h0m0.000000001s", "5m", "4m59.999999999s", "24h", "23h59m59s", "1.5h", "0.5h", "2160h", "1d", "24",
  "-24h", "+1h", "0", "1H", "2562047h", "2562048h", "9223372036854775807ns", "9223372036854775808ns", "18446744073709551616ns",
  "1.0000000001h", "0.0000000001h",
  "https://login.example.com/jwks.json", "https://a", "https://a:443/x", "https://a:b/x", "https://a:1:2/x", "https://[::1]/k",
  "https://[127.0.0.1]/k", "https://a%41/x", "https://a%2/x", "https://a/%zz", "https://a/%41", "https://u:p@a/x",
  "https://u@@a/x", "https://a?x", "https://a#f", "https://a|b/x", "https://a\u0001/x", "https://a/\u007f", "http://a/x",
  "https:///jwks.json", "https://\u00e9.example/x",
  "spiffe://cluster.local/ns/a/sa/b", "spiffe://cluster.local", "spiffe://cluster.local/", "spiffe://c/./a", "spiffe://c/../a",
  "spiffe://c/.../a", "spiffe://C/a", "spiffe://c//a", "spiffe://c/a_b.C-1",
  "2025-01-01T00:00:00Z", "2025-01-01T00:00:00.123456789Z", "2025-01-01t00:00:00z", "2025-02-30T00:00:00Z", "2024-02-29T23:59:59+01:00",
  "2025-01-01T24:00:00Z", "2025-01-01T00:00:60Z", "2025-01-01T00:00:00", "2025-01-01 00:00:00Z", "2025-01-01T00:00:00,5Z",
  "2025-01-01T00:00:00x5Z", "2025-01-01T00:00:00+25:00", "2026-01-01T00:00:00-23:59",
  "x-api-key", "Authorization", "COOKIE", "host", "X-Nexus-Caller", "x'y", "x\"y",
  "Issuer", "ClusterIssuer", "ECDSA", "RSA", "Ed25519", "Allow", "Deny", "Audit", "Strict", "Permissive",
  "\u00e9", "\ud83d\ude00", "a\nb",
];

/** Regexes a string node is checked against: its OpenAPI pattern and the literals of `self.matches('...')`. */
function regexesOf(schema: JsonSchema, receiver = "self"): string[] {
  const found: string[] = [];
  if (schema.pattern) found.push(schema.pattern);
  const matcher = new RegExp(`${receiver}\\.matches\\('((?:[^'\\\\]|\\\\.)*)'\\)`, "g");
  for (const rule of schema["x-kubernetes-validations"] ?? []) {
    for (const m of rule.rule.matchAll(matcher)) found.push(unescapeCel(m[1]!));
  }
  return found;
}

function unescapeCel(literal: string): string {
  return literal.replace(/\\x([0-9a-fA-F]{2})|\\(.)/g, (_all, hex: string | undefined, ch: string | undefined) =>
    hex ? String.fromCharCode(parseInt(hex, 16)) : ch === "\\" ? "\\" : `\\${ch}`,
  );
}

/** A JavaScript RegExp for fast-check's generator; POSIX classes are written as JS classes. */
function toJsRegExp(re2: string): RegExp | undefined {
  try {
    return new RegExp(re2.replace(/\[:space:\]/g, "\\s"));
  } catch {
    return undefined;
  }
}

function lengthEdges(schema: JsonSchema): string[] {
  const edges: string[] = [];
  for (const n of [schema.minLength, schema.maxLength]) {
    if (n === undefined) continue;
    for (const len of [n - 1, n, n + 1]) if (len >= 0 && len < 70_000) edges.push("a".repeat(len));
  }
  return edges;
}

function stringArb(schema: JsonSchema, regexes: string[]): fc.Arbitrary<string> {
  const generated = regexes
    .map(toJsRegExp)
    .filter((re): re is RegExp => re !== undefined)
    .map((re) => fc.stringMatching(re).filter((s) => s.length <= (schema.maxLength ?? 2048) + 8));
  const near: fc.WeightedArbitrary<string>[] = generated.map((arbitrary) => ({ arbitrary, weight: 8 }));
  // A generated match with one character changed: just outside the pattern.
  for (const g of generated) {
    near.push({
      weight: 2,
      arbitrary: fc.tuple(g, fc.nat(), fc.constantFrom("A", "_", ".", "-", "*", " ", "/", ":", "%", "\u00e9")).map(([s, at, c]) => {
        const i = s.length === 0 ? 0 : at % s.length;
        return s.slice(0, i) + c + s.slice(i + 1);
      }),
    });
  }
  const edges = lengthEdges(schema);
  if (edges.length > 0) near.push({ weight: 2, arbitrary: fc.constantFrom(...edges) });
  near.push({ weight: generated.length > 0 ? 2 : 4, arbitrary: fc.constantFrom(...EDGE_STRINGS) });
  if (generated.length === 0) near.push({ weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 24 }) });
  if (schema.format === "date-time") near.push({ weight: 6, arbitrary: dateTimeArb() });
  return fc.oneof(...near);
}

function dateTimeArb(): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.integer({ min: 1999, max: 2031 }),
      fc.integer({ min: 1, max: 13 }),
      fc.integer({ min: 1, max: 31 }),
      fc.integer({ min: 0, max: 24 }),
      fc.constantFrom("", ".5", ".123456789", ".1234567891"),
      fc.constantFrom("Z", "+01:00", "-05:30", "z"),
    )
    .map(([y, mo, d, h, frac, zone]) => `${y}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}T${String(h).padStart(2, "0")}:30:00${frac}${zone}`);
}

function integerArb(schema: JsonSchema, ruleNumbers: number[]): fc.Arbitrary<number> {
  const edges = new Set<number>(ruleNumbers);
  for (const n of [schema.minimum, schema.maximum]) if (n !== undefined) [n - 1, n, n + 1].forEach((v) => edges.add(v));
  const range = fc.integer({ min: (schema.minimum ?? 0) - 1, max: (schema.maximum ?? 5000) + 1 });
  return edges.size > 0 ? fc.oneof({ arbitrary: fc.constantFrom(...edges), weight: 3 }, { arbitrary: range, weight: 1 }) : range;
}

/** Integers the parent's rules compare a field with, e.g. `self.size in [256, 384]`. */
function numbersInRules(rules: JsonSchema["x-kubernetes-validations"]): number[] {
  const numbers = new Set<number>();
  for (const rule of rules ?? []) for (const m of rule.rule.matchAll(/\b\d{2,5}\b/g)) numbers.add(Number(m[0]));
  return [...numbers].flatMap((n) => [n, n + 1]);
}

function smallListLength(schema: JsonSchema): fc.Arbitrary<number> {
  const choices: fc.WeightedArbitrary<number>[] = [{ arbitrary: fc.integer({ min: 0, max: 3 }), weight: 10 }];
  if (schema.minItems !== undefined) choices.push({ arbitrary: fc.constantFrom(Math.max(0, schema.minItems - 1), schema.minItems), weight: 1 });
  return fc.oneof(...choices);
}

export interface ArbitraryOptions {
  /** Chance in 1/1000 that a value is replaced by one of the wrong type, or null. */
  wrongTypePerMille: number;
  /** Chance in 1/1000 that an object gets a field its schema does not know. */
  unknownFieldPerMille: number;
}

const DEFAULT_OPTIONS: ArbitraryOptions = { wrongTypePerMille: 6, unknownFieldPerMille: 2 };

/**
 * An arbitrary value for `schema`; `parentRules` are the rules of the enclosing object.
 * Lists and maps are drawn at their item limit only where no enclosing list or map is
 * (`allowLimit`), so one object never nests limits and stays cheap to draw and to send.
 */
export function schemaArbitrary(
  schema: JsonSchema,
  options: ArbitraryOptions = DEFAULT_OPTIONS,
  parentRules: JsonSchema["x-kubernetes-validations"] = [],
  allowLimit = true,
): Arb {
  const base = shapeArbitrary(schema, options, parentRules, allowLimit);
  if (options.wrongTypePerMille === 0) return base;
  return fc.oneof(
    { arbitrary: base, weight: 1000 - options.wrongTypePerMille },
    { arbitrary: fc.constantFrom<unknown>(null, "1", 1, true, [], {}), weight: options.wrongTypePerMille },
  );
}

function shapeArbitrary(schema: JsonSchema, options: ArbitraryOptions, parentRules: JsonSchema["x-kubernetes-validations"], allowLimit: boolean): Arb {
  if (schema.enum) {
    const values = schema.enum as unknown[];
    const variants = values.filter((v): v is string => typeof v === "string").map((v) => v.toLowerCase());
    return fc.oneof({ arbitrary: fc.constantFrom(...values), weight: 10 }, { arbitrary: fc.constantFrom(...variants, "Other"), weight: 1 });
  }
  switch (schema.type) {
    case "string":
      return stringArb(schema, regexesOf(schema));
    case "integer":
      return integerArb(schema, numbersInRules(parentRules));
    case "number":
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case "boolean":
      return fc.boolean();
    case "array": {
      // Item arbitraries are built once, outside chain(), which would rebuild them per draw.
      const item = schemaArbitrary(schema.items ?? {}, options, [], allowLimit);
      const small = smallListLength(schema).chain((n) => fc.array(item, { minLength: n, maxLength: n }));
      const max = schema.maxItems;
      if (!allowLimit || max === undefined) return small;
      const limitItem = schemaArbitrary(schema.items ?? {}, options, [], false);
      const atLimit = fc.constantFrom(max, max + 1).chain((n) => fc.array(limitItem, { minLength: n, maxLength: n }));
      return fc.oneof({ arbitrary: small, weight: 12 }, { arbitrary: atLimit, weight: 1 });
    }
    case "object":
      return objectArbitrary(schema, options, allowLimit);
    default:
      return fc.constantFrom<unknown>("x", 1, { a: "b" });
  }
}

function objectArbitrary(schema: JsonSchema, options: ArbitraryOptions, allowLimit: boolean): Arb {
  const rules = schema["x-kubernetes-validations"] ?? [];
  const required = new Set(schema.required ?? []);
  const fields: Record<string, Arb> = {};
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const value = schemaArbitrary(child, options, rules, allowLimit);
    // Absent is a value too: optional fields are left out about half the time, required ones rarely.
    fields[name] = fc.option(value, { nil: undefined, freq: required.has(name) ? 30 : 2 });
  }
  let object: Arb = fc.record(fields).map((record) => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)));
  const values = schema.additionalProperties;
  if (values && typeof values === "object") {
    const keyRegexes = regexesOf(schema, "k");
    const keys = stringArb({ maxLength: 320 }, keyRegexes);
    const entry = fc.tuple(keys, schemaArbitrary(values, options, rules, allowLimit));
    const limitEntry = fc.tuple(keys, schemaArbitrary(values, options, rules, false));
    const entries = (n: number, limit: boolean) => fc.uniqueArray(limit ? entry : limitEntry, { minLength: n, maxLength: n, selector: ([k]) => k });
    const small = fc.integer({ min: 0, max: 3 }).chain((n) => entries(n, allowLimit));
    const max = schema.maxProperties;
    const drawn = allowLimit && max !== undefined ? fc.oneof({ arbitrary: small, weight: 12 }, { arbitrary: fc.constantFrom(max, max + 1).chain((n) => entries(n, false)), weight: 1 }) : small;
    object = drawn.map((list) => Object.fromEntries(list));
  }
  if (options.unknownFieldPerMille === 0) return object;
  return fc.tuple(object, fc.integer({ min: 0, max: 999 })).map(([value, roll]) =>
    roll < options.unknownFieldPerMille && value && typeof value === "object" ? { ...value, unexpectedField: "x" } : value,
  );
}

/** Names around metadata.name's limits (DNS subdomain, 63, 200, 235, 253 characters). */
export function objectNameArbitrary(): fc.Arbitrary<string> {
  const label = (n: number, c = "a") => c.repeat(n);
  const dotted = (n: number) => [label(63), label(63, "b"), label(63, "c"), label(61, "d")].join(".").slice(0, n).replace(/\.$/, "x");
  return fc.oneof(
    { arbitrary: fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,14}[a-z0-9])?$/), weight: 12 },
    { arbitrary: fc.stringMatching(/^[a-z0-9]{1,8}(\.[a-z0-9]{1,8}){1,2}$/), weight: 3 },
    { arbitrary: fc.constantFrom(label(63), label(64), dotted(200), dotted(201), dotted(235), dotted(236), dotted(253), dotted(254)), weight: 3 },
    { arbitrary: fc.constantFrom("Ledger", "ledger_v2", "-ledger", "ledger-", "a..b"), weight: 1 },
  );
}
