// The CRDs the operator owns and the third-party CRDs it writes to are installed and
// served; ours carry what `kubectl get` and `kubectl explain` show a person.
import { ApiextensionsV1Api, CustomObjectsApi, type KubeConfig, type V1CustomResourceDefinition } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../controlplane/index.js";
import {
  API_VERSION,
  GROUP,
  PLURAL,
  VERSION,
  type NexusKind,
  adminKubeConfig,
  createNamespace,
  createNexusObject,
  deleteNamespaces,
  discover,
  getRaw,
  readNexusObject,
} from "./support.js";

const NEXUS_CRDS: Record<NexusKind, { crd: string; shortName: string; columns: string[] }> = {
  EngineIdentity: {
    crd: "engineidentities.security.nexus.io",
    shortName: "eid",
    columns: ["SPIFFE ID", "Tenant", "Ready", "Expires", "Renews", "Age"],
  },
  AccessPolicy: {
    crd: "accesspolicies.security.nexus.io",
    shortName: "nap",
    columns: ["Target", "Action", "Dry Run", "Ready", "Hash", "Age"],
  },
};

const THIRD_PARTY_CRDS = [
  "certificates.cert-manager.io",
  "issuers.cert-manager.io",
  "clusterissuers.cert-manager.io",
  "certificaterequests.cert-manager.io",
  "authorizationpolicies.security.istio.io",
  "peerauthentications.security.istio.io",
  "requestauthentications.security.istio.io",
];

const KINDS = Object.keys(NEXUS_CRDS) as NexusKind[];

let kc: KubeConfig;
let namespace: string;

beforeAll(async () => {
  kc = adminKubeConfig();
  namespace = await createNamespace(kc, "api-install");
});

afterAll(async () => {
  if (namespace) await deleteNamespaces(kc, [namespace]);
});

async function readCrd(name: string): Promise<V1CustomResourceDefinition> {
  return kc.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name });
}

function storageVersion(crd: V1CustomResourceDefinition) {
  const version = crd.spec.versions.find((v) => v.storage);
  if (!version) throw new Error(`${crd.metadata?.name} has no storage version`);
  return version;
}

describe("CRDs are installed and Established", () => {
  it.each([...KINDS.map((k) => NEXUS_CRDS[k].crd), ...THIRD_PARTY_CRDS])("%s is Established", async (name) => {
    await waitFor(
      async () => {
        const conditions = (await readCrd(name)).status?.conditions ?? [];
        const namesAccepted = conditions.find((c) => c.type === "NamesAccepted");
        if (namesAccepted?.status === "False") throw new Error(`names not accepted: ${namesAccepted.message}`);
        return conditions.find((c) => c.type === "Established")?.status === "True" ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, description: `CRD ${name} to be Established` },
    );
  });
});

describe.each(KINDS)("the %s CRD", (kind) => {
  const expected = NEXUS_CRDS[kind];

  it("is namespaced in security.nexus.io/v1alpha1, served and stored, with short name and category nexus", async () => {
    const crd = await readCrd(expected.crd);
    expect(crd.spec.group).toBe(GROUP);
    expect(crd.spec.scope).toBe("Namespaced");
    expect(crd.spec.names.kind).toBe(kind);
    expect(crd.spec.names.shortNames).toEqual([expected.shortName]);
    expect(crd.spec.names.categories).toContain("nexus");
    expect(storageVersion(crd)).toMatchObject({ name: VERSION, served: true, storage: true });
  });

  it("is discoverable by its short name and the nexus category, with a status subresource", async () => {
    const resources = await discover(kc, API_VERSION);
    const main = resources.find((r) => r.name === PLURAL[kind]);
    expect(main).toMatchObject({ kind, namespaced: true, shortNames: [expected.shortName] });
    expect(main?.categories).toContain("nexus");
    expect(resources.map((r) => r.name)).toContain(`${PLURAL[kind]}/status`);
    expect(storageVersion(await readCrd(expected.crd)).subresources?.status).toEqual({});
  });

  it("declares its printer columns", async () => {
    const columns = storageVersion(await readCrd(expected.crd)).additionalPrinterColumns ?? [];
    expect(columns.map((c) => c.name)).toEqual(expected.columns);
    for (const column of columns) expect(column.jsonPath, column.name).toMatch(/^\./);
  });
});

describe("kubectl get shows the printer columns", () => {
  // The apiserver renders the columns itself when asked for a Table, as kubectl get does.
  interface Table {
    columnDefinitions: Array<{ name: string }>;
    rows: Array<{ cells: unknown[]; object: { metadata: { name: string } } }>;
  }
  const getTable = async (kind: NexusKind): Promise<Table> => {
    const response = await getRaw(
      kc,
      `/apis/${API_VERSION}/namespaces/${namespace}/${PLURAL[kind]}`,
      "application/json;as=Table;v=v1;g=meta.k8s.io",
    );
    expect(response.status, response.body).toBe(200);
    return JSON.parse(response.body) as Table;
  };
  const cell = (table: Table, name: string, column: string) => {
    const row = table.rows.find((r) => r.object.metadata.name === name);
    if (!row) throw new Error(`no row for ${name}`);
    return row.cells[table.columnDefinitions.findIndex((c) => c.name === column)];
  };

  it("an EngineIdentity's row shows, once the status is written, its verified tenant, SPIFFE ID and readiness", async () => {
    const created = await createNexusObject(kc, "EngineIdentity", namespace, {
      metadata: { name: "ledger" },
      spec: { tenant: "acme", workloadSelector: { matchLabels: { app: "ledger" } } },
    });
    expect(created.accepted).toBe(true);
    const spiffeID = `spiffe://cluster.local/ns/${namespace}/sa/ledger`;
    await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL.EngineIdentity,
      name: "ledger",
      body: [
        {
          op: "add",
          path: "/status",
          value: {
            spiffeID,
            // The Tenant column shows the verified tenant the operator writes, not the claim.
            tenant: "acme",
            conditions: [
              { type: "Ready", status: "True", reason: "Ready", message: "ok", lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") },
            ],
          },
        },
      ],
    });
    const table = await getTable("EngineIdentity");
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(["Name", ...NEXUS_CRDS.EngineIdentity.columns]);
    expect(cell(table, "ledger", "Tenant")).toBe("acme");
    expect(cell(table, "ledger", "SPIFFE ID")).toBe(spiffeID);
    expect(cell(table, "ledger", "Ready")).toBe("True");
  });

  it("an AccessPolicy's row shows its target and action", async () => {
    const created = await createNexusObject(kc, "AccessPolicy", namespace, {
      metadata: { name: "ledger-callers" },
      spec: { targetIdentity: "ledger", rules: [{ from: [{ tenant: "acme" }] }] },
    });
    expect(created.accepted).toBe(true);
    const table = await getTable("AccessPolicy");
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(["Name", ...NEXUS_CRDS.AccessPolicy.columns]);
    expect(cell(table, "ledger-callers", "Target")).toBe("ledger");
    expect(cell(table, "ledger-callers", "Action")).toBe("Allow");
  });

  it("status is a subresource: a spec write cannot set it", async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    const before = await readNexusObject(kc, "AccessPolicy", namespace, "ledger-callers");
    await api.replaceNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL.AccessPolicy,
      name: "ledger-callers",
      body: { ...before, spec: { ...before.spec, dryRun: true }, status: { policyHash: "forged" } },
    });
    const after = await readNexusObject(kc, "AccessPolicy", namespace, "ledger-callers");
    expect(after.spec.dryRun).toBe(true);
    expect(after.status?.policyHash).toBeUndefined();
  });
});

describe("kubectl explain documents every field", () => {
  type Schema = {
    description?: string;
    properties?: Record<string, Schema>;
    items?: Schema;
    additionalProperties?: Schema | boolean;
    allOf?: Schema[];
    $ref?: string;
  };
  interface OpenApiDocument {
    components: { schemas: Record<string, Schema> };
  }

  // The document the apiserver publishes for the group, which kubectl explain reads.
  let document: OpenApiDocument;
  const schemaName = (kind: NexusKind) => `io.nexus.security.${VERSION}.${kind}`;

  beforeAll(async () => {
    document = await waitFor(
      async () => {
        const response = await getRaw(kc, `/openapi/v3/apis/${API_VERSION}`);
        if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${response.body.slice(0, 300)}`);
        const doc = JSON.parse(response.body) as OpenApiDocument;
        return KINDS.every((kind) => doc.components?.schemas?.[schemaName(kind)]) ? doc : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, description: `OpenAPI v3 of ${API_VERSION} to publish both kinds` },
    );
  });

  /** Follows $ref and a single-entry allOf (how the apiserver wraps references). */
  function resolve(schema: Schema): Schema {
    const ref = schema.$ref ?? (schema.allOf?.length === 1 ? schema.allOf[0]?.$ref : undefined);
    if (!ref) return schema;
    const target = document.components.schemas[ref.replace("#/components/schemas/", "")];
    if (!target) throw new Error(`unresolvable reference ${ref}`);
    return { ...target, description: schema.description ?? target.description };
  }

  /** Every property below `schema`, recursively through objects, list items and maps, lacking a description. */
  function undocumented(schema: Schema, path: string): string[] {
    const node = resolve(schema);
    const missing: string[] = [];
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      const childPath = `${path}.${name}`;
      if (!resolve(child).description?.trim()) missing.push(childPath);
      missing.push(...undocumented(child, childPath));
    }
    if (node.items) missing.push(...undocumented(node.items, `${path}[]`));
    if (typeof node.additionalProperties === "object") missing.push(...undocumented(node.additionalProperties, `${path}[*]`));
    return missing;
  }

  function countProperties(schema: Schema): number {
    const node = resolve(schema);
    let count = 0;
    for (const child of Object.values(node.properties ?? {})) count += 1 + countProperties(child);
    if (node.items) count += countProperties(node.items);
    if (typeof node.additionalProperties === "object") count += countProperties(node.additionalProperties);
    return count;
  }

  it.each(KINDS)("every property of %s spec and status, at any depth, has a description", (kind) => {
    const root = document.components.schemas[schemaName(kind)]!;
    expect(root.description?.trim(), `${kind} has no description`).toBeTruthy();
    const missing: string[] = [];
    for (const top of ["spec", "status"]) {
      const schema = root.properties?.[top];
      if (!schema) throw new Error(`${kind} publishes no ${top}`);
      if (!schema.description?.trim()) missing.push(top);
      missing.push(...undocumented(schema, top));
      // Guards against a walk that silently sees nothing (e.g. a change in how schemas are published).
      expect(countProperties(schema), `${kind}.${top} properties`).toBeGreaterThan(3);
    }
    expect(missing, `${kind} fields without a description (kubectl explain shows them blank)`).toEqual([]);
  });
});
