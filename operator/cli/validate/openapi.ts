// OpenAPI v3 validation of a pruned and defaulted object, with the checks, the order of
// short-circuits and the messages of the apiserver's validator (kube-openapi's validate
// package as apiextensions-apiserver turns its results into field errors).
import { fieldError, indexPath, type FieldError } from "./field-error.js";
import { isOpenApiDateTime } from "./go-time.js";
import type { SchemaNode } from "./schema-node.js";

const IN = "in body";

function jsonType(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") return "object";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "bigint") return "integer";
  return typeof value;
}

function typeMatches(expected: string, actual: string): boolean {
  if (expected === actual) return true;
  // An integer is a number, and JSON has no separate integer literal for 1.0.
  return expected === "number" && actual === "integer";
}

/** The rune count Go's utf8.RuneCountInString gives, which is also what CEL's size() counts. */
export function runeCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdbff || i + 1 >= text.length) count++;
    else {
      const next = text.charCodeAt(i + 1);
      count++;
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return count;
}

function goNumber(value: number): string {
  return String(value);
}

function enumValues(values: readonly unknown[]): string[] {
  return values.map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
}

function matchesEnum(value: unknown, values: readonly unknown[]): boolean {
  return values.some((allowed) => allowed === value || (typeof allowed === "object" && JSON.stringify(allowed) === JSON.stringify(value)));
}

/** Validates `value` against `node`; `path` is the apiserver's path of the value ("" at the root). */
export function validateOpenApi(value: unknown, node: SchemaNode, path: string, errors: FieldError[]): void {
  const actual = jsonType(value);
  const shownPath = path || ".";
  if (node.type !== undefined && !typeMatches(node.type, actual) && !(actual === "null" && node.nullable)) {
    errors.push(fieldError("FieldValueTypeInvalid", path, actual, `${shownPath} ${IN} must be of type ${node.type}: ${JSON.stringify(actual)}`));
  }
  if (value === null || value === undefined) {
    if (node.enum && node.enum.length > 0) errors.push(fieldError("FieldValueNotSupported", path, null, notSupportedDetail(node.enum)));
    return;
  }
  if (typeof value === "string") validateString(value, node, path, errors);
  if (typeof value === "number") validateNumber(value, node, path, errors);
  if (Array.isArray(value)) validateArray(value, node, path, errors);
  if (node.enum && node.enum.length > 0 && !matchesEnum(value, node.enum)) {
    errors.push(fieldError("FieldValueNotSupported", path, value, notSupportedDetail(node.enum)));
  }
  if (actual === "object") validateObject(value as Record<string, unknown>, node, path, errors);
}

function notSupportedDetail(values: readonly unknown[]): string {
  return `supported values: ${enumValues(values).map((v) => JSON.stringify(v)).join(", ")}`;
}

function validateString(value: string, node: SchemaNode, path: string, errors: FieldError[]): void {
  if (node.maxLength !== undefined && runeCount(value) > node.maxLength) {
    errors.push(fieldError("FieldValueTooLong", path, value, `may not be more than ${node.maxLength} ${node.maxLength === 1 ? "byte" : "bytes"}`));
  } else if (node.minLength !== undefined && runeCount(value) < node.minLength) {
    errors.push(fieldError("FieldValueInvalid", path, value, `${path} ${IN} should be at least ${node.minLength} chars long`));
  } else if (node.pattern && !node.pattern.test(value)) {
    errors.push(fieldError("FieldValueInvalid", path, value, `${path} ${IN} should match '${node.pattern.source}'`));
  }
  if ((node.format === "date-time" || node.format === "datetime") && !isOpenApiDateTime(value)) {
    errors.push(fieldError("FieldValueTypeInvalid", path, value, `${path} ${IN} must be of type date-time: ${JSON.stringify(value)}`));
  }
}

function validateNumber(value: number, node: SchemaNode, path: string, errors: FieldError[]): void {
  if (node.multipleOf !== undefined && node.multipleOf !== 0 && !Number.isInteger(value / node.multipleOf)) {
    errors.push(fieldError("FieldValueInvalid", path, value, `${path} ${IN} should be a multiple of ${goNumber(node.multipleOf)}`));
  }
  if (node.maximum !== undefined && (node.exclusiveMaximum ? value >= node.maximum : value > node.maximum)) {
    const relation = node.exclusiveMaximum ? "less than" : "less than or equal to";
    errors.push(fieldError("FieldValueInvalid", path, value, `${path} ${IN} should be ${relation} ${goNumber(node.maximum)}`));
  }
  if (node.minimum !== undefined && (node.exclusiveMinimum ? value <= node.minimum : value < node.minimum)) {
    const relation = node.exclusiveMinimum ? "greater than" : "greater than or equal to";
    errors.push(fieldError("FieldValueInvalid", path, value, `${path} ${IN} should be ${relation} ${goNumber(node.minimum)}`));
  }
}

function validateArray(value: unknown[], node: SchemaNode, path: string, errors: FieldError[]): void {
  if (node.items) value.forEach((item, i) => validateOpenApi(item, node.items!, indexPath(path, i), errors));
  if (node.minItems !== undefined && value.length < node.minItems) {
    errors.push(fieldError("FieldValueInvalid", path, value.length, `${path} ${IN} should have at least ${node.minItems} items`));
  }
  if (node.maxItems !== undefined && value.length > node.maxItems) {
    errors.push(fieldError("FieldValueTooMany", path, value.length, `must have at most ${node.maxItems} ${node.maxItems === 1 ? "item" : "items"}`));
  }
}

function validateObject(value: Record<string, unknown>, node: SchemaNode, path: string, errors: FieldError[]): void {
  const keys = Object.keys(value);
  if (node.minProperties !== undefined && keys.length < node.minProperties) {
    errors.push(fieldError("FieldValueInvalid", path, keys.length, `${path} ${IN} should have at least ${node.minProperties} properties`));
  }
  if (node.maxProperties !== undefined && keys.length > node.maxProperties) {
    errors.push(fieldError("FieldValueTooMany", path, keys.length, `must have at most ${node.maxProperties} ${node.maxProperties === 1 ? "item" : "items"}`));
  }
  for (const key of keys) {
    const property = node.properties?.get(key);
    const child = property ?? node.additionalProperties;
    if (child) validateOpenApi(value[key], child, path ? `${path}.${key}` : key, errors);
  }
  for (const required of node.required) {
    if (!(required in value)) errors.push(fieldError("FieldValueRequired", path ? `${path}.${required}` : required, undefined));
  }
}
