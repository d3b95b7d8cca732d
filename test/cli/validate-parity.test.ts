// `nexus validate` against the real apiserver: every object is judged offline and by a
// server-side dry-run create with strict field validation, and the two must agree on the
// verdict and on the fields (and error types) named. Objects: the examples, every case of
// the API's admission tests, and generated objects around every limit and pattern of
// both CRDs.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import fc from "fast-check";
import yaml from "js-yaml";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admit } from "../../operator/cli/validate/admission.js";
import { CrdCatalog, defaultCrdDirectory, type CrdKind } from "../../operator/cli/validate/crd-catalog.js";
import { RULES_NOT_CHECKED, errorBody } from "../../operator/cli/validate/field-error.js";
import type { JsonSchema } from "../../operator/cli/validate/schema-node.js";
import { objectNameArbitrary, schemaArbitrary } from "../../operator/cli/validate/testing/schema-arbitrary.js";
import { repoRoot } from "../controlplane/binaries.js";
import { API_VERSION, PLURAL, adminKubeConfig, createNamespace, deleteNamespaces, kubeRequest, type KubeStatus, type NexusKind } from "../api/support.js";

type Json = Record<string, unknown>;

interface Case {
  source: string;
  kind: NexusKind;
  object: Json;
}

/** What one judge said: accepted, or the set of `field|reason` it named (and each message). */
interface Verdict {
  accepted: boolean;
  named: string[];
  messages: Map<string, string>;
}

const GENERATED = Number(process.env.NEXUS_PARITY_GENERATED ?? 2400);
const SEED = Number(process.env.NEXUS_PARITY_SEED ?? 20261201);
const CONCURRENCY = 8;

const catalog = CrdCatalog.fromDirectory(defaultCrdDirectory()!);
const kinds: Record<NexusKind, CrdKind> = {
  EngineIdentity: catalog.lookup(API_VERSION, "EngineIdentity")!,
  AccessPolicy: catalog.lookup(API_VERSION, "AccessPolicy")!,
};

function rawSchema(kind: NexusKind): JsonSchema {
  const file = path.join(repoRoot, "crds", `security.nexus.io_${PLURAL[kind]}.yaml`);
  const crd = yaml.load(readFileSync(file, "utf8")) as { spec: { versions: { schema: { openAPIV3Schema: JsonSchema } }[] } };
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
}

function exampleCases(): Case[] {
  const dir = path.join(repoRoot, "examples");
  const files = ["20-identities.yaml", "30-policies.yaml"];
  return files.flatMap((file) =>
    (yaml.loadAll(readFileSync(path.join(dir, file), "utf8")) as Json[])
      .filter((doc) => doc && (doc.kind === "EngineIdentity" || doc.kind === "AccessPolicy"))
      .map((object, i) => ({ source: `examples/${file}#${i}`, kind: object.kind as NexusKind, object })),
  );
}

/**
 * The case tables of test/api/crd-validation.test.ts, read from that file so every case the
 * admission tests hold (now and later) is part of the comparison. The tables are the
 * declarations from the top of the file to the first helper after them; of its imports
 * only Node's own modules are given (the tables use no others).
 */
function admissionTestCases(): Case[] {
  const file = path.join(repoRoot, "test", "api", "crd-validation.test.ts");
  const source = readFileSync(file, "utf8");
  const end = source.indexOf("/** The causes of a rejection");
  if (end < 0 || !/const invalid\b/.test(source) || !/const valid\b/.test(source)) {
    throw new Error(`${file}: the case tables are no longer where this test looks for them`);
  }
  const js = ts.transpileModule(`${source.slice(0, end)}\nexport { invalid, valid };`, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const nodeRequire = createRequire(import.meta.url);
  const requireNodeOnly = (id: string): unknown => (id.startsWith("node:") ? nodeRequire(id) : {});
  const exports: { invalid?: { title: string; kind: NexusKind; name?: string; spec: Json }[]; valid?: typeof exports.invalid } = {};
  new Function("exports", "require", js)(exports, requireNodeOnly);
  const tables = { invalid: exports.invalid ?? [], valid: exports.valid ?? [] };
  return Object.entries(tables).flatMap(([table, cases]) =>
    cases.map((c, i) => ({
      source: `crd-validation ${table}: ${c.title}`,
      kind: c.kind,
      object: { apiVersion: API_VERSION, kind: c.kind, metadata: { name: c.name ?? `${table}-${i}` }, spec: c.spec },
    })),
  );
}

function generatedCases(count: number): Case[] {
  const objectOf = (kind: NexusKind) => fc.tuple(fc.constant(kind), objectNameArbitrary(), schemaArbitrary(rawSchema(kind).properties!.spec!));
  const arbitrary = fc.oneof(objectOf("EngineIdentity"), objectOf("AccessPolicy"));
  return fc.sample(arbitrary, { numRuns: count, seed: SEED }).map(([kind, name, spec], i) => ({
    source: `generated #${i} (seed ${SEED})`,
    kind,
    object: { apiVersion: API_VERSION, kind, metadata: { name }, spec },
  }));
}

function offlineVerdict(c: Case, namespace: string): Verdict {
  const kind = kinds[c.kind];
  const object = { ...c.object, metadata: { ...(c.object.metadata as Json), namespace } };
  const errors = admit(object, kind.schema, kind).errors.filter((e) => e.detail !== RULES_NOT_CHECKED);
  const messages = new Map<string, string>();
  for (const e of errors) messages.set(`${e.field}|${e.type}`, e.type === "FieldValueUnknown" ? `unknown field "${e.field}"` : errorBody(e));
  return { accepted: errors.length === 0, named: [...messages.keys()].sort(), messages };
}

async function serverVerdict(kc: KubeConfig, c: Case, namespace: string): Promise<Verdict> {
  const object = { ...c.object, metadata: { ...(c.object.metadata as Json), namespace } };
  const response = await kubeRequest(kc, "POST", `/apis/${API_VERSION}/namespaces/${namespace}/${PLURAL[c.kind]}?dryRun=All&fieldValidation=Strict`, {
    body: JSON.stringify(object),
  });
  if (response.status === 201 || response.status === 200) return { accepted: true, named: [], messages: new Map() };
  const status = JSON.parse(response.body) as KubeStatus;
  const messages = new Map<string, string>();
  if (response.status === 400 && /strict decoding error/.test(status.message ?? "")) {
    for (const m of (status.message ?? "").matchAll(/unknown field "([^"]+)"/g)) messages.set(`${m[1]}|FieldValueUnknown`, `unknown field "${m[1]}"`);
  } else if (response.status === 422) {
    for (const cause of status.details?.causes ?? []) {
      if ((cause.field === undefined || cause.field === "<nil>") && cause.message?.includes("some validation rules were not checked")) continue;
      messages.set(`${cause.field ?? ""}|${cause.reason ?? ""}`, cause.message ?? "");
    }
  } else {
    throw new Error(`${c.source}: unexpected HTTP ${response.status}: ${response.body.slice(0, 500)}`);
  }
  return { accepted: false, named: [...messages.keys()].sort(), messages };
}

async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!);
      }
    }),
  );
  return results;
}

interface Comparison {
  c: Case;
  offline: Verdict;
  server: Verdict;
}

function describeDisagreement({ c, offline, server }: Comparison): string {
  return [
    `${c.source}: ${JSON.stringify(c.object).slice(0, 600)}`,
    `  apiserver: ${server.accepted ? "accepted" : [...server.messages].map(([k, m]) => `${k}: ${m}`).join("\n             ")}`,
    `  offline:   ${offline.accepted ? "accepted" : [...offline.messages].map(([k, m]) => `${k}: ${m}`).join("\n             ")}`,
  ].join("\n");
}

let kc: KubeConfig;
let namespace: string;

beforeAll(async () => {
  kc = adminKubeConfig();
  namespace = await createNamespace(kc, "validate-parity");
});

afterAll(async () => {
  if (namespace) await deleteNamespaces(kc, [namespace]);
});

async function compare(cases: Case[]): Promise<Comparison[]> {
  return mapBounded(cases, CONCURRENCY, async (c) => ({ c, offline: offlineVerdict(c, namespace), server: await serverVerdict(kc, c, namespace) }));
}

function verdictDisagreements(results: Comparison[]): Comparison[] {
  return results.filter((r) => r.offline.accepted !== r.server.accepted);
}

function fieldDisagreements(results: Comparison[]): Comparison[] {
  return results.filter((r) => JSON.stringify(r.offline.named) !== JSON.stringify(r.server.named));
}

function report(label: string, results: Comparison[]): void {
  const rejected = results.filter((r) => !r.server.accepted);
  let sameMessage = 0;
  let messages = 0;
  for (const r of rejected) {
    for (const [key, message] of r.server.messages) {
      messages++;
      if (r.offline.messages.get(key) === message) sameMessage++;
    }
  }
  console.error(
    `[validate-parity] ${label}: ${results.length} objects (${results.length - rejected.length} accepted, ${rejected.length} rejected by the apiserver); ` +
      `verdicts agree on ${results.length - verdictDisagreements(results).length}, named fields and error types agree on ${results.length - fieldDisagreements(results).length}; ` +
      `messages identical for ${sameMessage} of ${messages} errors`,
  );
}

describe("nexus validate gives the apiserver's verdict and names the apiserver's fields", () => {
  it("for the examples and every case of the admission tests", async () => {
    const cases = [...exampleCases(), ...admissionTestCases()];
    expect(cases.length).toBeGreaterThan(100);
    const results = await compare(cases);
    report("examples and admission-test cases", results);
    expect(verdictDisagreements(results).map(describeDisagreement)).toEqual([]);
    expect(fieldDisagreements(results).map(describeDisagreement)).toEqual([]);
    // Every invalid case of the admission tests is rejected here too.
    expect(results.filter((r) => r.c.source.startsWith("crd-validation invalid") && r.server.accepted)).toEqual([]);
  });

  it(`for ${GENERATED} objects generated around every limit and pattern of both CRDs`, { timeout: 300_000 }, async () => {
    const cases = generatedCases(GENERATED);
    const results = await compare(cases);
    report("generated objects", results);
    const accepted = results.filter((r) => r.server.accepted).length;
    // Both verdicts are well represented, so agreement is not agreement on one answer.
    expect(accepted).toBeGreaterThan(GENERATED * 0.1);
    expect(results.length - accepted).toBeGreaterThan(GENERATED * 0.3);
    expect(verdictDisagreements(results).slice(0, 20).map(describeDisagreement)).toEqual([]);
    expect(fieldDisagreements(results).slice(0, 20).map(describeDisagreement)).toEqual([]);
  });
});
