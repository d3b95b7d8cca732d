// Every document in examples/*.yaml is accepted by the apiserver as written: nothing
// rejected, nothing pruned. The examples name fixed namespaces and cluster-scoped issuers;
// the test gives each a unique suffix (and rewrites the references to them) so it never
// collides with other tests or an earlier run, and the scenario stays the same.
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { KubeConfig } from "@kubernetes/client-node";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type KubeObject,
  adminKubeConfig,
  deleteNamespaces,
  getRaw,
  kubeRequest,
  objectPath,
  serverSideApplyStrict,
  uniqueSuffix,
} from "./support.js";

const examplesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "examples");
const FIELD_MANAGER = "nexus-examples-test";

interface Document {
  file: string;
  index: number;
  object: KubeObject;
}

async function readExamples(): Promise<Document[]> {
  const files = (await readdir(examplesDir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const documents: Document[] = [];
  for (const file of files) {
    const parsed = yaml.loadAll(await readFile(path.join(examplesDir, file), "utf8"));
    parsed.forEach((object, index) => {
      if (object === null || object === undefined) return;
      documents.push({ file, index, object: object as KubeObject });
    });
  }
  return documents;
}

const CLUSTER_SCOPED_KINDS = new Set(["Namespace", "ClusterIssuer"]);

/**
 * Renames every namespace and cluster-scoped object the examples define, and each place
 * that refers to one: metadata.namespace, namespace fields of references and sources, and
 * issuer references to a ClusterIssuer. Names the examples only refer to (a namespace
 * that holds nothing, such as a policy's "sandbox" source) are left alone.
 */
function isolate(documents: Document[], suffix: string): { documents: Document[]; namespaces: string[]; renamed: Map<string, string> } {
  const namespaces = new Map<string, string>();
  const clusterObjects = new Map<string, string>();
  for (const { object } of documents) {
    if (object.kind === "Namespace") namespaces.set(object.metadata.name, `${object.metadata.name}-${suffix}`);
    else if (CLUSTER_SCOPED_KINDS.has(object.kind)) clusterObjects.set(object.metadata.name, `${object.metadata.name}-${suffix}`);
  }
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== "object") return value;
    const node = { ...(value as Record<string, unknown>) };
    for (const [key, child] of Object.entries(node)) {
      if (key === "namespace" && typeof child === "string" && namespaces.has(child)) node[key] = namespaces.get(child);
      else node[key] = rewrite(child);
    }
    if (node.kind === "ClusterIssuer" && typeof node.name === "string" && clusterObjects.has(node.name)) {
      node.name = clusterObjects.get(node.name);
    }
    return node;
  };
  const isolated = documents.map((doc) => {
    const object = rewrite(doc.object) as KubeObject;
    const renames = doc.object.kind === "Namespace" ? namespaces : CLUSTER_SCOPED_KINDS.has(doc.object.kind) ? clusterObjects : undefined;
    if (renames) object.metadata = { ...object.metadata, name: renames.get(doc.object.metadata.name)! };
    return { ...doc, object };
  });
  return { documents: isolated, namespaces: [...namespaces.values()], renamed: new Map([...namespaces, ...clusterObjects]) };
}

/** Namespaces first, then other cluster-scoped objects, then the rest in file order. */
function applyOrder(documents: Document[]): Document[] {
  const rank = (d: Document) => (d.object.kind === "Namespace" ? 0 : CLUSTER_SCOPED_KINDS.has(d.object.kind) ? 1 : 2);
  return [...documents].sort((a, b) => rank(a) - rank(b));
}

const label = (d: Document) => `${d.file}#${d.index} ${d.object.kind} ${d.object.metadata.namespace ? `${d.object.metadata.namespace}/` : ""}${d.object.metadata.name}`;

let kc: KubeConfig;
let originals: Document[];
let isolated: ReturnType<typeof isolate>;

beforeAll(async () => {
  kc = adminKubeConfig();
  originals = await readExamples();
  isolated = isolate(originals, uniqueSuffix());
});

afterAll(async () => {
  if (!isolated) return;
  // Namespace deletion takes the namespaced objects with it; cluster-scoped ones go one by one.
  for (const { object } of isolated.documents) {
    if (!CLUSTER_SCOPED_KINDS.has(object.kind) || object.kind === "Namespace") continue;
    const { path: objectUrl } = await objectPath(kc, object);
    const response = await kubeRequest(kc, "DELETE", objectUrl);
    if (response.status !== 200 && response.status !== 404) throw new Error(`DELETE ${objectUrl}: HTTP ${response.status}`);
  }
  await deleteNamespaces(kc, isolated.namespaces);
});

describe("examples/*.yaml", () => {
  it("holds the scenario: namespaces, a CA issuer, identities and policies", () => {
    const kinds = new Set(originals.map((d) => d.object.kind));
    for (const kind of ["Namespace", "ClusterIssuer", "Certificate", "EngineIdentity", "AccessPolicy"]) expect(kinds).toContain(kind);
    // Every renamed reference points at something the examples define.
    expect(isolated.namespaces.length).toBeGreaterThan(0);
    for (const { object } of isolated.documents) {
      const ns = object.metadata.namespace;
      if (ns !== undefined) expect([...isolated.renamed.values()], `${object.kind} ${object.metadata.name}`).toContain(ns);
    }
  });

  it("every document is accepted by server-side apply with strict field validation, namespaces first", async () => {
    const failures: string[] = [];
    for (const doc of applyOrder(isolated.documents)) {
      const response = await serverSideApplyStrict(kc, doc.object, FIELD_MANAGER);
      if (response.status !== 200 && response.status !== 201) {
        failures.push(`${label(doc)}: HTTP ${response.status}: ${(JSON.parse(response.body) as { message?: string }).message ?? response.body}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("every document is stored with every field it declares (nothing pruned, defaults only added)", async () => {
    const differences: string[] = [];
    for (const doc of isolated.documents) {
      const { path: objectUrl } = await objectPath(kc, doc.object);
      const response = await getRaw(kc, objectUrl);
      if (response.status !== 200) {
        differences.push(`${label(doc)}: HTTP ${response.status}`);
        continue;
      }
      const stored = JSON.parse(response.body) as Record<string, unknown>;
      for (const key of Object.keys(doc.object)) {
        if (key === "apiVersion" || key === "kind" || key === "metadata") continue;
        try {
          expect(stored[key]).toMatchObject(doc.object[key] as object);
        } catch {
          differences.push(`${label(doc)}: ${key} stored as ${JSON.stringify(stored[key])}, sent ${JSON.stringify(doc.object[key])}`);
        }
      }
    }
    expect(differences).toEqual([]);
  });
});
