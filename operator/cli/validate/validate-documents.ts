// The pure core of `nexus validate`: documents in, findings out. Every EngineIdentity and
// AccessPolicy is admitted as the apiserver would admit it; then policies are checked
// against the identities of all the files (and of the cluster with --live).
import { innerMap } from "../../policy/nested-map.js";
import { admit } from "./admission.js";
import type { CrdCatalog } from "./crd-catalog.js";
import { crossCheckPolicy, indexIdentities, knownIdentityOf, type CheckedObject, type KnownIdentity } from "./cross-checks.js";
import { RULES_NOT_CHECKED, formatFieldError } from "./field-error.js";

type Json = Record<string, unknown>;

export interface InputDocument {
  file: string;
  /** Position of the document in its file, from 0. */
  index: number;
  object: Json;
  /** False when the reader knows the object holds no Date; absent: look. */
  mayHoldDates?: boolean;
}

export type Severity = "error" | "warning";

export interface Finding {
  severity: Severity;
  /** NX001... for cross-file warnings; the apiserver's reason (FieldValueInvalid, ...) for errors. */
  code: string;
  file: string;
  index: number;
  kind: string;
  namespace: string;
  name: string;
  /** The field named, as the apiserver names it ("" for the object as a whole). */
  field: string;
  message: string;
}

export interface ValidationReport {
  /** EngineIdentities and AccessPolicies checked. */
  checked: number;
  /** Documents of other kinds, which are not checked. */
  skipped: number;
  findings: Finding[];
}

export interface ValidateOptions {
  /** Namespace of objects that name none (kubectl's -n). */
  defaultNamespace: string;
  /** Identities known from elsewhere (the cluster, with --live). */
  extraIdentities?: readonly KnownIdentity[];
  now?: Date;
}

function hasDate(value: unknown): boolean {
  if (value instanceof Date) return true;
  if (Array.isArray(value)) return value.some(hasDate);
  if (value && typeof value === "object") {
    for (const key in value) if (hasDate((value as Json)[key])) return true;
  }
  return false;
}

/** A value read from YAML as a timestamp is sent by kubectl as the text it was written as. */
function withoutDates(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().replace(".000Z", "Z");
  if (Array.isArray(value)) return value.map(withoutDates);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutDates(v)]));
  return value;
}

export function validateDocuments(documents: readonly InputDocument[], catalog: CrdCatalog, options: ValidateOptions): ValidationReport {
  const findings: Finding[] = [];
  const admitted: (CheckedObject & { doc: InputDocument })[] = [];
  // By kind, namespace and name in nested maps, not by a key joined per object.
  const seen = new Map<string, Map<string, Map<string, InputDocument>>>();
  let skipped = 0;
  for (const doc of documents) {
    const { apiVersion, kind } = doc.object;
    const crd = catalog.lookup(apiVersion, kind);
    const metadata = (doc.object.metadata && typeof doc.object.metadata === "object" ? doc.object.metadata : {}) as Json;
    const name = typeof metadata.name === "string" ? metadata.name : "";
    const namespace = typeof metadata.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : options.defaultNamespace;
    const where = { file: doc.file, index: doc.index, kind: String(kind), namespace, name };
    if (!crd) {
      if (catalog.ownsGroup(apiVersion)) {
        findings.push({ ...where, severity: "error", code: "UnknownKind", field: "kind", message: `no kind ${String(kind)} in ${String(apiVersion)}; known: ${catalog.knownKinds().join(", ")}` });
      } else skipped++;
      continue;
    }
    const read = (doc.mayHoldDates !== false && hasDate(doc.object) ? withoutDates(doc.object) : doc.object) as Json;
    // Copied only to give the object its namespace: admission never modifies its input.
    const object = read.metadata === metadata && metadata.namespace === namespace ? read : { ...read, metadata: { ...metadata, namespace } };
    const { object: stored, errors } = admit(object, crd.schema, crd);
    for (const error of errors) {
      if (error.detail === RULES_NOT_CHECKED) continue;
      findings.push({ ...where, severity: "error", code: error.type, field: error.field, message: formatFieldError(error) });
    }
    const inNamespace = innerMap(innerMap(seen, crd.kind), namespace);
    const earlier = inNamespace.get(name);
    if (earlier && name) {
      findings.push({ ...where, severity: "error", code: "Duplicate", field: "metadata.name", message: `${crd.kind} ${namespace}/${name} is also defined in ${earlier.file} document ${earlier.index}` });
    }
    inNamespace.set(name, doc);
    admitted.push({ kind: crd.kind as CheckedObject["kind"], namespace, name, object: stored, doc });
  }

  const identities = [...admitted.filter((o) => o.kind === "EngineIdentity").map((o) => knownIdentityOf(o.object)), ...(options.extraIdentities ?? [])];
  const context = { identities, now: options.now ?? new Date() };
  const index = indexIdentities(identities);
  for (const policy of admitted) {
    if (policy.kind !== "AccessPolicy") continue;
    for (const warning of crossCheckPolicy(policy, context, index)) {
      findings.push({
        severity: "warning",
        code: warning.code,
        file: policy.doc.file,
        index: policy.doc.index,
        kind: policy.kind,
        namespace: policy.namespace,
        name: policy.name,
        field: warning.field,
        message: `${warning.field}: ${warning.message}`,
      });
    }
  }
  return { checked: admitted.length, skipped, findings };
}
