// The access-test file of `nexus test`: cases of caller, target, request and the expected
// decision, each on the data plane the file names (`dataPlane:` beside `cases:` for every
// case, or on a case for that case), else the one --data-plane names, else the one detected.
// Parsed strictly, so a typo fails the run with the field named instead of silently testing
// something else.
import yaml from "js-yaml";
import type { DataPlane } from "../dataplane/data-plane.js";
import { excessiveAliasing } from "./alias-expansion.js";
import { parseDataPlane } from "./data-planes.js";
import { UsageError } from "./exit-codes.js";

export type Expectation = "allow" | "deny" | "allow-if-gate";

export interface AccessTestCase {
  name: string;
  from: string;
  to: string;
  sub?: string;
  claims: string[];
  request: { method: string; path: string; port: number };
  expect: Expectation;
  /** The data plane the case is judged on, as the file names it (the case's, else the file's). */
  dataPlane?: { dataPlane: DataPlane; by: string };
}

const FILE_FIELDS = new Set(["cases", "dataPlane"]);
const CASE_FIELDS = new Set(["name", "from", "to", "sub", "claims", "request", "expect", "dataPlane"]);
const REQUEST_FIELDS = new Set(["method", "path", "port"]);
const EXPECTATIONS: Expectation[] = ["allow", "deny", "allow-if-gate"];

/** The file holds `cases: [...]` (and optionally `dataPlane:`), or just the list of cases. */
export function parseAccessTests(text: string, file: string, defaultPort: number): AccessTestCase[] {
  let parsed: unknown;
  try {
    parsed = yaml.load(text);
  } catch (err) {
    throw new UsageError(`${file}: not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const aliasing = excessiveAliasing(parsed);
  if (aliasing) throw new UsageError(`${file}: ${aliasing}`);
  const suite = Array.isArray(parsed) || parsed === null || typeof parsed !== "object" ? undefined : (parsed as Record<string, unknown>);
  for (const key of Object.keys(suite ?? {})) if (!FILE_FIELDS.has(key)) throw new UsageError(`${file}: unknown field "${key}"; allowed: ${[...FILE_FIELDS].join(", ")}`);
  const list = Array.isArray(parsed) ? parsed : suite?.cases;
  if (!Array.isArray(list) || list.length === 0) throw new UsageError(`${file}: expected a non-empty list of cases under "cases:"`);
  const suitePlane = suite?.dataPlane === undefined ? undefined : { dataPlane: parseDataPlane(suite.dataPlane, `${file}: dataPlane`), by: `dataPlane of ${file}` };
  const names = new Set<string>();
  return list.map((raw, index) => {
    const at = `${file} cases[${index}]`;
    const item = mapping(raw, at);
    for (const key of Object.keys(item)) if (!CASE_FIELDS.has(key)) throw new UsageError(`${at}: unknown field "${key}"; allowed: ${[...CASE_FIELDS].join(", ")}`);
    const name = item.name === undefined ? `case ${index}` : text_(item.name, `${at}.name`);
    if (names.has(name)) throw new UsageError(`${at}.name: "${name}" is used by an earlier case`);
    names.add(name);
    const request = item.request === undefined ? {} : mapping(item.request, `${at}.request`);
    for (const key of Object.keys(request)) if (!REQUEST_FIELDS.has(key)) throw new UsageError(`${at}.request: unknown field "${key}"; allowed: method, path, port`);
    const port = request.port === undefined ? defaultPort : request.port;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${at}.request.port: a whole number from 1 to 65535`);
    const path = request.path === undefined ? "/" : text_(request.path, `${at}.request.path`);
    if (!path.startsWith("/")) throw new UsageError(`${at}.request.path: a path starts with /`);
    const expect = text_(item.expect, `${at}.expect`);
    if (!EXPECTATIONS.includes(expect as Expectation)) throw new UsageError(`${at}.expect: must be one of ${EXPECTATIONS.join(", ")}; got "${expect}"`);
    return {
      name,
      from: text_(item.from, `${at}.from`),
      to: text_(item.to, `${at}.to`),
      ...(item.sub !== undefined ? { sub: text_(item.sub, `${at}.sub`) } : {}),
      claims: claimsOf(item.claims, `${at}.claims`),
      request: { method: (request.method === undefined ? "GET" : text_(request.method, `${at}.request.method`)).toUpperCase(), path, port },
      expect: expect as Expectation,
      ...(item.dataPlane !== undefined ? { dataPlane: { dataPlane: parseDataPlane(item.dataPlane, `${at}.dataPlane`), by: `dataPlane of case "${name}"` } } : suitePlane ? { dataPlane: suitePlane } : {}),
    };
  });
}

function mapping(value: unknown, at: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new UsageError(`${at}: expected a mapping`);
  return value as Record<string, unknown>;
}

function text_(value: unknown, at: string): string {
  if (typeof value !== "string" || value === "") throw new UsageError(`${at}: required, a non-empty string`);
  return value;
}

/** `claims: {groups: [a, b], tier: gold}` as the `name=value` pairs --claim takes. */
function claimsOf(value: unknown, at: string): string[] {
  if (value === undefined) return [];
  const claims = mapping(value, at);
  return Object.entries(claims).flatMap(([name, v]) => {
    const values = Array.isArray(v) ? v : [v];
    return values.map((item) => {
      if (typeof item !== "string") throw new UsageError(`${at}.${name}: claim values are strings`);
      return `${name}=${item}`;
    });
  });
}
