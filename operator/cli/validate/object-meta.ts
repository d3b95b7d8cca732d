// metadata checks the apiserver applies to every custom resource on create
// (apimachinery ValidateObjectMetaAccessor with NameIsDNSSubdomain), and the ObjectMeta
// fields strict decoding knows.
import { fieldError, keyPath, type FieldError } from "./field-error.js";
import { compilePattern } from "./patterns.js";

export const OBJECT_META_FIELDS = new Set([
  "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
  "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
]);

const DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const subdomain = compilePattern(`^${DNS1123_SUBDOMAIN}$`);
const label = compilePattern(`^${DNS1123_LABEL}$`);
const QUALIFIED_NAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const qualifiedName = compilePattern(`^${QUALIFIED_NAME}$`);
const labelValue = compilePattern(`^(${QUALIFIED_NAME})?$`);
const TOTAL_ANNOTATION_BYTES = 256 * 1024;

const byteLength = (text: string): number => Buffer.byteLength(text, "utf8");

function regexError(message: string, format: string, ...examples: string[]): string {
  const shown = examples.map((e) => `'${e}'`).join(" or ");
  return `${message} (e.g. ${shown}, regex used for validation is '${format}')`;
}

const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

export function dnsSubdomainProblems(value: string): string[] {
  const problems: string[] = [];
  if (byteLength(value) > 253) problems.push("must be no more than 253 characters");
  if (!subdomain.test(value)) problems.push(regexError(SUBDOMAIN_MESSAGE, DNS1123_SUBDOMAIN, "example.com"));
  return problems;
}

function dnsLabelProblems(value: string): string[] {
  const problems: string[] = [];
  if (byteLength(value) > 63) problems.push("must be no more than 63 characters");
  if (!label.test(value)) {
    problems.push(
      subdomain.test(value)
        ? "must not contain dots"
        : regexError(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
            DNS1123_LABEL,
            "my-name",
            "123-abc",
          ),
    );
  }
  return problems;
}

function qualifiedNameProblems(value: string): string[] {
  const parts = value.split("/");
  let name = value;
  const problems: string[] = [];
  if (parts.length === 2) {
    const [prefix, rest] = parts as [string, string];
    name = rest;
    if (prefix.length === 0) problems.push("prefix part must be non-empty");
    else problems.push(...dnsSubdomainProblems(prefix).map((p) => `prefix part ${p}`));
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) problems.push("name part must be non-empty");
  else if (byteLength(name) > 63) problems.push("name part must be no more than 63 bytes");
  if (name.length > 0 && !qualifiedName.test(name)) {
    problems.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    );
  }
  return problems;
}

function stringMap(value: unknown): Record<string, string> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, string>) : {};
}

/** The errors the apiserver reports under metadata for a create. */
export function validateObjectMeta(metadata: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  const name = typeof metadata.name === "string" ? metadata.name : "";
  const generateName = typeof metadata.generateName === "string" ? metadata.generateName : "";
  if (generateName) {
    const masked = generateName.endsWith("-") && generateName.length > 1 ? `${generateName.slice(0, -1)}a` : generateName;
    for (const problem of dnsSubdomainProblems(masked)) errors.push(fieldError("FieldValueInvalid", "metadata.generateName", generateName, problem));
  }
  if (!name) errors.push(fieldError("FieldValueRequired", "metadata.name", undefined, "name or generateName is required"));
  else for (const problem of dnsSubdomainProblems(name)) errors.push(fieldError("FieldValueInvalid", "metadata.name", name, problem));
  if (typeof metadata.namespace === "string" && metadata.namespace !== "") {
    for (const problem of dnsLabelProblems(metadata.namespace)) errors.push(fieldError("FieldValueInvalid", "metadata.namespace", metadata.namespace, problem));
  }
  for (const [key, value] of Object.entries(stringMap(metadata.labels))) {
    for (const problem of qualifiedNameProblems(key)) errors.push(fieldError("FieldValueInvalid", "metadata.labels", key, problem));
    const text = String(value);
    if (byteLength(text) > 63) errors.push(fieldError("FieldValueInvalid", keyPath("metadata.labels", key), text, "must be no more than 63 characters"));
    if (!labelValue.test(text)) {
      errors.push(
        fieldError(
          "FieldValueInvalid",
          keyPath("metadata.labels", key),
          text,
          regexError(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
            `(${QUALIFIED_NAME})?`,
            "MyValue",
            "my_value",
            "12345",
          ),
        ),
      );
    }
  }
  let annotationBytes = 0;
  for (const [key, value] of Object.entries(stringMap(metadata.annotations))) {
    for (const problem of qualifiedNameProblems(key.toLowerCase())) errors.push(fieldError("FieldValueInvalid", "metadata.annotations", key, problem));
    annotationBytes += byteLength(key) + byteLength(String(value));
  }
  if (annotationBytes > TOTAL_ANNOTATION_BYTES) {
    errors.push(fieldError("FieldValueTooLong", "metadata.annotations", "", `may not be more than ${TOTAL_ANNOTATION_BYTES} bytes`));
  }
  return errors;
}
