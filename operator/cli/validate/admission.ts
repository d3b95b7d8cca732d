// What the apiserver does to a custom resource between receiving it and storing it, in
// its order: strict decoding (unknown fields), pruning of nulls, defaulting, metadata
// checks, OpenAPI validation, list-type invariants, and CEL rules unless an earlier error
// means the object does not have the shape the rules were written for.
import {
  RULES_NOT_CHECKED,
  childPath,
  fieldError,
  indexPath,
  isBlocking,
  keyPath,
  type FieldError,
} from "./field-error.js";
import { evaluateRules, toCel } from "./k8s-cel.js";
import { OBJECT_META_FIELDS, validateObjectMeta } from "./object-meta.js";
import { validateOpenApi } from "./openapi.js";
import { childSchema, type SchemaNode } from "./schema-node.js";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

interface Decoding {
  /** Paths of fields the schema does not know. */
  unknown: string[];
  /** Whether a null stands anywhere the schema knows, so pruning must look everywhere. */
  nulls: boolean;
}

function containsNull(value: unknown): boolean {
  if (value === null) return true;
  if (typeof value !== "object") return false;
  return Array.isArray(value) ? value.some(containsNull) : Object.values(value).some(containsNull);
}

/** Paths of fields the schema does not know (strict field validation), as the apiserver prints them; and whether a known field holds a null. */
function unknownFields(value: unknown, node: SchemaNode | undefined, path: string, found: Decoding): void {
  if (value === null) {
    found.nulls = true;
    return;
  }
  if (node?.preserveUnknownFields) {
    // Known properties below are still pruned; unknown ones are kept.
    if (isObject(value)) {
      for (const [key, child] of Object.entries(value)) {
        const schema = childSchema(node, key);
        if (schema) unknownFields(child, schema, childPath(path, key), found);
      }
    } else if (Array.isArray(value)) value.forEach((item, i) => unknownFields(item, node.items, indexPath(path, i), found));
    return;
  }
  if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      const schema = childSchema(node, key);
      if (schema) unknownFields(child, schema, childPath(path, key), found);
      else found.unknown.push(childPath(path, key));
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => unknownFields(item, node?.items, indexPath(path, i), found));
  }
}

/**
 * apiextensions PruneNonNullableNullsWithoutDefaults, then Default. Copies only the objects
 * and lists it changes, so the input is never modified and most of it is shared. Without
 * `nulls` (the object holds none where the schema reaches), only subtrees with defaults are
 * walked.
 */
function pruneNullsAndDefault(value: unknown, node: SchemaNode | undefined, nulls = true): unknown {
  if (!node || (!nulls && !node.hasDefaultsBelow)) return value;
  if (isObject(value)) {
    let copy: Json | undefined;
    for (const key of Object.keys(value)) {
      const child = value[key];
      // Scalars other than null never change.
      if (child !== null && typeof child !== "object") continue;
      const schema = childSchema(node, key);
      let next: unknown;
      if (!schema) continue;
      if (child === null) {
        // A null that may not be null is dropped, or replaced by the default.
        if (schema.nullable) continue;
        if (schema.default === undefined) {
          delete (copy ??= { ...value })[key];
          continue;
        }
        next = defaultOf(schema);
      } else next = pruneNullsAndDefault(child, schema, nulls);
      if (next !== child) (copy ??= { ...value })[key] = next;
    }
    const defaults = node.defaultedProperties;
    if (node.scalarDefaults && defaults.every(([key]) => !Object.hasOwn(value, key))) {
      // The usual case (none of the defaulted fields written): all added in one step, in the same order.
      return { ...(copy ?? value), ...node.scalarDefaults };
    }
    for (const [key, schema] of defaults) {
      if (!Object.hasOwn(value, key)) (copy ??= { ...value })[key] = defaultOf(schema);
    }
    return copy ?? value;
  }
  if (Array.isArray(value)) {
    const items = node.items;
    if (!items) return value;
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const defaulted = item === null && !items.nullable && items.default !== undefined;
      const next = defaulted ? defaultOf(items) : pruneNullsAndDefault(item, items, nulls);
      if (next !== item) (copy ??= [...value])[i] = next;
    });
    return copy ?? value;
  }
  return value;
}

/** A fresh copy of the node's default, itself pruned and defaulted; a scalar is its own copy. */
function defaultOf(node: SchemaNode): unknown {
  const value = node.default;
  return value !== null && typeof value === "object" ? pruneNullsAndDefault(structuredClone(value), node) : value;
}

/** x-kubernetes-list-type set and map: a repeated item (or key) is a Duplicate at its second position. */
function listTypeErrors(value: unknown, node: SchemaNode | undefined, path: string, errors: FieldError[]): void {
  if (!node?.hasListTypesBelow) return;
  if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      const property = node.properties?.get(key);
      if (property) listTypeErrors(child, property, childPath(path, key), errors);
      else if (node.additionalProperties) listTypeErrors(child, node.additionalProperties, keyPath(path, key), errors);
    }
    return;
  }
  if (!Array.isArray(value)) return;
  if (node.listType === "set" || node.listType === "map") {
    if (node.listType === "map") {
      const bad = value.findIndex((item) => item !== null && !isObject(item));
      if (bad >= 0) {
        errors.push(fieldError("FieldValueInvalid", indexPath(path, bad), value[bad], "must be an object for an array of list-type map"));
        return listItems(value, node, path, errors);
      }
    }
    const keyed = node.listType === "map" && node.listMapKeys.length > 0;
    const seen = new Map<string, number>();
    value.forEach((item, i) => {
      const keyValues = keyed ? mapKeyOf(item, node.listMapKeys) : item;
      const identity = JSON.stringify(keyValues) ?? "undefined";
      const times = seen.get(identity) ?? 0;
      seen.set(identity, times + 1);
      if (times === 1) errors.push(fieldError("FieldValueDuplicate", indexPath(path, i), keyed ? keyValues : item));
    });
  }
  listItems(value, node, path, errors);
}

function listItems(value: unknown[], node: SchemaNode, path: string, errors: FieldError[]): void {
  value.forEach((item, i) => listTypeErrors(item, node.items, indexPath(path, i), errors));
}

function mapKeyOf(item: unknown, keys: readonly string[]): Json {
  const entry: Json = {};
  if (!isObject(item)) return entry;
  for (const key of keys) if (key in item) entry[key] = item[key];
  return entry;
}

/**
 * Runs every rule in the subtree, walking the JSON value and its CEL value side by side.
 * `cel` is undefined until a rule needs it: then this node's value is converted, and its
 * children take their parts of that conversion.
 */
function celErrors(value: unknown, cel: unknown, node: SchemaNode, path: string, errors: FieldError[]): void {
  if (!node.hasRulesBelow || value === null || value === undefined) return;
  let converted = cel;
  if (node.rules.length > 0) errors.push(...evaluateRules(node, () => (converted ??= toCel(value, node)) as never, value, path));
  if (isObject(value)) {
    const map = converted as Map<string, unknown> | undefined;
    if (node.additionalProperties) {
      for (const [key, child] of Object.entries(value)) {
        if (!node.properties?.has(key)) celErrors(child, map?.get(key), node.additionalProperties, keyPath(path, key), errors);
      }
    }
    if (node.properties) {
      for (const [key, child] of Object.entries(value)) {
        const property = node.properties.get(key);
        if (property) celErrors(child, map?.get(key), property, childPath(path, key), errors);
      }
    }
  } else if (Array.isArray(value) && node.items) {
    const list = converted as unknown[] | undefined;
    value.forEach((item, i) => celErrors(item, list?.[i], node.items!, indexPath(path, i), errors));
  }
}

export interface AdmissionResult {
  /** The object as the apiserver would store it: pruned of nulls, defaulted, status dropped. It shares the parts that did not change with the input: treat both as read-only. */
  object: Json;
  errors: FieldError[];
}

/**
 * The apiserver's verdict on creating `input` (one object of a kind whose root schema is
 * `root`), with strict field validation as kubectl asks for by default. Unknown fields are
 * a decoding error, reported alone, as the apiserver does before validating anything.
 */
export function admit(input: Json, root: SchemaNode, options: { hasStatusSubresource: boolean }): AdmissionResult {
  // Creating through the main resource ignores status when the kind has a status subresource.
  let received = input;
  if (options.hasStatusSubresource && Object.hasOwn(input, "status")) {
    received = { ...input };
    delete received.status;
  }

  const decoding: Decoding = { unknown: [], nulls: false };
  const { unknown } = decoding;
  if (isObject(received.metadata)) for (const key of Object.keys(received.metadata)) if (!OBJECT_META_FIELDS.has(key)) unknown.push(`metadata.${key}`);
  for (const [key, child] of Object.entries(received)) {
    // These are checked against ObjectMeta and the kind, not the schema's fields; a null in them is still pruned.
    if (key === "apiVersion" || key === "kind" || key === "metadata") {
      decoding.nulls ||= containsNull(child);
      continue;
    }
    const schema = root.properties?.get(key);
    if (schema) unknownFields(child, schema, key, decoding);
    else unknown.push(key);
  }
  if (unknown.length > 0) {
    return { object: received, errors: unknown.sort().map((path) => fieldError("FieldValueUnknown", path, undefined)) };
  }

  const object = pruneNullsAndDefault(received, root, decoding.nulls) as Json;
  const errors: FieldError[] = [...validateObjectMeta(isObject(object.metadata) ? object.metadata : {})];
  validateOpenApi(object, root, "", errors);
  listTypeErrors(object, root, "", errors);
  if (errors.some(isBlocking)) {
    errors.push(fieldError("FieldValueInvalid", "", undefined, RULES_NOT_CHECKED));
  } else {
    celErrors(object, undefined, root, "", errors);
  }
  return { object, errors };
}
