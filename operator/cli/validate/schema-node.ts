// A CRD's OpenAPI v3 schema built once into nodes that carry everything validation needs:
// child lookups, compiled patterns and compiled CEL rules. Every object validated against
// a kind reuses the same nodes, so nothing is parsed or compiled per object. The analysis of
// each rule (memo, shortcut, projection) is added by compile-schema.ts, which those analyses'
// own modules do not import: they only read nodes.
import { compileRule, type CompiledRule } from "./k8s-cel.js";
import { compilePattern, type Pattern } from "./patterns.js";

/** One x-kubernetes-validations entry as written in the CRD. */
export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: string;
}

/** The subset of JSONSchemaProps a structural CRD schema may use. */
export interface JsonSchema {
  type?: string;
  format?: string;
  nullable?: boolean;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  default?: unknown;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-list-type"?: string;
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-validations"?: ValidationRule[];
}

export interface SchemaNode {
  type: string | undefined;
  /** The format as the apiserver keeps it (formats it does not support are dropped). */
  format: string | undefined;
  nullable: boolean;
  properties: Map<string, SchemaNode> | undefined;
  required: readonly string[];
  /** Schema of map values; `true` (any value) is kept as an unconstrained node. */
  additionalProperties: SchemaNode | undefined;
  items: SchemaNode | undefined;
  enum: readonly unknown[] | undefined;
  pattern: Pattern | undefined;
  minLength: number | undefined;
  maxLength: number | undefined;
  minItems: number | undefined;
  maxItems: number | undefined;
  minProperties: number | undefined;
  maxProperties: number | undefined;
  minimum: number | undefined;
  maximum: number | undefined;
  exclusiveMinimum: boolean;
  exclusiveMaximum: boolean;
  multipleOf: number | undefined;
  default: unknown;
  preserveUnknownFields: boolean;
  listType: string | undefined;
  listMapKeys: readonly string[];
  /** The properties that have a default, for defaulting without a look at every property. */
  defaultedProperties: readonly (readonly [string, SchemaNode])[];
  /** When every default of the properties is a scalar: all of them, in that order, to be added at once to an object that has none of them. */
  scalarDefaults: Readonly<Record<string, unknown>> | undefined;
  rules: readonly CompiledRule[];
  /** Whether this node or any node below it has CEL rules, so rule-free subtrees are skipped. */
  hasRulesBelow: boolean;
  /** Whether a property or list item at this node or below has a default, so defaulting skips the other subtrees. */
  hasDefaultsBelow: boolean;
  /** Whether this node or one below is a list of type set or map, so the duplicate check skips the other subtrees. */
  hasListTypesBelow: boolean;
}

/**
 * Formats the apiserver validates and types in CEL (apiextensions-apiserver formats.go);
 * others are dropped from the schema before validation, as the apiserver does.
 */
const SUPPORTED_STRING_FORMATS = new Set([
  "bsonobjectid", "uri", "email", "hostname", "ipv4", "ipv6", "cidr", "mac", "uuid", "uuid3", "uuid4", "uuid5",
  "isbn", "isbn10", "isbn13", "creditcard", "ssn", "hexcolor", "rgbcolor", "byte", "password", "date", "duration",
  "datetime", "date-time",
]);

/**
 * The schema's nodes, children first; `eachNode` sees every node once its children are
 * built (compile-schema.ts analyses the node's rules there).
 */
export function buildSchemaNode(schema: JsonSchema, eachNode?: (node: SchemaNode) => void): SchemaNode {
  const build = (child: JsonSchema) => buildSchemaNode(child, eachNode);
  const properties = schema.properties
    ? new Map(Object.entries(schema.properties).map(([name, child]) => [name, build(child)] as const))
    : undefined;
  const additionalProperties =
    typeof schema.additionalProperties === "object"
      ? build(schema.additionalProperties)
      : schema.additionalProperties === true
        ? build({})
        : undefined;
  const items = schema.items ? build(schema.items) : undefined;
  const rules = (schema["x-kubernetes-validations"] ?? []).map(compileRule);
  const children = [...(properties?.values() ?? []), additionalProperties, items].filter((c): c is SchemaNode => c !== undefined);
  const defaultedProperties = [...(properties ?? [])].filter(([, child]) => child.default !== undefined);
  const node: SchemaNode = {
    type: schema.type,
    format: schema.type === "string" && schema.format && SUPPORTED_STRING_FORMATS.has(schema.format) ? schema.format : schema.type === "string" ? undefined : schema.format,
    nullable: schema.nullable === true,
    properties,
    required: schema.required ?? [],
    additionalProperties,
    items,
    enum: schema.enum,
    pattern: schema.pattern === undefined ? undefined : compilePattern(schema.pattern),
    minLength: schema.minLength,
    maxLength: schema.maxLength,
    minItems: schema.minItems,
    maxItems: schema.maxItems,
    minProperties: schema.minProperties,
    maxProperties: schema.maxProperties,
    minimum: schema.minimum,
    maximum: schema.maximum,
    exclusiveMinimum: schema.exclusiveMinimum === true,
    exclusiveMaximum: schema.exclusiveMaximum === true,
    multipleOf: schema.multipleOf,
    default: schema.default,
    preserveUnknownFields: schema["x-kubernetes-preserve-unknown-fields"] === true,
    listType: schema["x-kubernetes-list-type"],
    listMapKeys: schema["x-kubernetes-list-map-keys"] ?? [],
    defaultedProperties,
    scalarDefaults: scalarDefaultsOf(defaultedProperties),
    rules,
    hasRulesBelow: rules.length > 0 || children.some((c) => c.hasRulesBelow),
    hasDefaultsBelow: children.some((c) => c.default !== undefined || c.hasDefaultsBelow),
    hasListTypesBelow: schema["x-kubernetes-list-type"] === "set" || schema["x-kubernetes-list-type"] === "map" || children.some((c) => c.hasListTypesBelow),
  };
  eachNode?.(node);
  return node;
}

function scalarDefaultsOf(defaulted: readonly (readonly [string, SchemaNode])[]): Record<string, unknown> | undefined {
  if (defaulted.length === 0 || defaulted.some(([, child]) => child.default !== null && typeof child.default === "object")) return undefined;
  const defaults: Record<string, unknown> = {};
  for (const [name, child] of defaulted) defaults[name] = child.default;
  return defaults;
}

/** A path segment standing for every element of a list. */
export const ELEMENT = Symbol("element");
export type SchemaPathSegment = string | typeof ELEMENT;

/** The schema of the value at `path` below `node`: properties and map entries as childSchema finds them, ELEMENT as the list's items. */
export function schemaAt(node: SchemaNode, path: readonly SchemaPathSegment[]): SchemaNode | undefined {
  let current: SchemaNode | undefined = node;
  for (const segment of path) current = segment === ELEMENT ? current?.items : childSchema(current, segment);
  return current;
}

/** The schema of a map entry or property `key` of an object node, as pruning and defaulting look it up. */
export function childSchema(node: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (!node) return undefined;
  return node.properties?.get(key) ?? node.additionalProperties;
}
