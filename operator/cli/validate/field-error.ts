// Field errors shaped as the apiserver reports them (k8s.io/apimachinery field.Error):
// `<field>: <Type>: <value>: <detail>`, so the field a user reads here is the one kubectl names.

export type FieldErrorType =
  | "FieldValueRequired"
  | "FieldValueNotSupported"
  | "FieldValueInvalid"
  | "FieldValueTypeInvalid"
  | "FieldValueTooLong"
  | "FieldValueTooMany"
  | "FieldValueDuplicate"
  | "FieldValueUnknown";

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueRequired: "Required value",
  FieldValueNotSupported: "Unsupported value",
  FieldValueInvalid: "Invalid value",
  FieldValueTypeInvalid: "Invalid value",
  FieldValueTooLong: "Too long",
  FieldValueTooMany: "Too many",
  FieldValueDuplicate: "Duplicate value",
  FieldValueUnknown: "unknown field",
};

/** Marks a bad value the apiserver leaves out of the message (objects and arrays). */
export const OMITTED = Symbol("omitted value");

export interface FieldError {
  type: FieldErrorType;
  /** The field path as the apiserver prints it, e.g. spec.rules[0].from[1].tenant. */
  field: string;
  /** The rejected value; OMITTED when the apiserver prints none. */
  value: unknown;
  detail: string;
}

export function fieldError(type: FieldErrorType, field: string, value: unknown, detail = ""): FieldError {
  return { type, field, value, detail };
}

/**
 * Errors that make the apiserver skip every CEL rule (apiextensions-apiserver hasBlockingErr):
 * the object does not have the shape the rules were compiled for.
 */
export function isBlocking(error: FieldError): boolean {
  return (
    error.type === "FieldValueNotSupported" ||
    error.type === "FieldValueRequired" ||
    error.type === "FieldValueTooLong" ||
    error.type === "FieldValueTooMany" ||
    error.type === "FieldValueTypeInvalid"
  );
}

/** The note the apiserver adds, without a field, when a blocking error kept the CEL rules from running. */
export const RULES_NOT_CHECKED =
  "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation";

function goValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v)) ?? "null";
}

/** The error's text as the apiserver writes it (after the field path). */
export function errorBody(error: FieldError): string {
  if (error.type === "FieldValueUnknown") return `unknown field "${error.field}"`;
  let text = TYPE_TEXT[error.type];
  const printsValue = error.type !== "FieldValueRequired" && error.type !== "FieldValueTooLong";
  if (printsValue && error.value !== OMITTED) text += `: ${goValue(error.value)}`;
  return error.detail ? `${text}: ${error.detail}` : text;
}

export function formatFieldError(error: FieldError): string {
  if (error.type === "FieldValueUnknown") return `strict decoding error: ${errorBody(error)}`;
  return error.field ? `${error.field}: ${errorBody(error)}` : errorBody(error);
}

/** Field path helpers with the apiserver's notation: `.name`, `[index]`, `[key]` for map keys. */
export function childPath(parent: string, name: string): string {
  return parent ? `${parent}.${name}` : name;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

export function keyPath(parent: string, key: string): string {
  return `${parent}[${key}]`;
}
