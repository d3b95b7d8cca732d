// `nexus render` prints byte for byte what the running operator wrote into a real cluster:
// for the examples and a generated corpus, every AuthorizationPolicy, PeerAuthentication,
// RequestAuthentication and Certificate (spec, name, labels, annotations, policy hash),
// nothing more and nothing less. The operator runs in-process against the test apiserver.
// Both include ambient namespaces (the examples' warehouse with its waypoint; in the corpus one
// with a waypoint and Services, one without a waypoint), which the operator detects from the
// cluster's Namespaces, Services and Gateways and the CLI from the same objects in the file.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { comparableLiveObject } from "../../operator/cli/live-objects.js";
import { contentHashOf, policyHashOf, recordedContentHash } from "../../operator/render/content-hash.js";
import { byKindNamespaceName } from "../../operator/cli/render-set.js";
import { formatObjects } from "../../operator/cli/serialize.js";
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from "../../operator/render/metadata.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { waitFor } from "../controlplane/wait.js";
import { adminClient, createNamespace, deleteNamespace, uniqueName } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";
import { generateCorpus, type Manifest } from "./support/corpus.js";
import { nexus, nexusProcess, repoRoot } from "./support/run-cli.js";

const RENDERED_TYPES = [resources.authorizationPolicy, resources.peerAuthentication, resources.requestAuthentication, resources.certificate];

/** Services and Gateways: facts the operator reads and the CLI reads from the file, never rendered. */
const FACT_KINDS = new Set(["Service", "Gateway"]);

/** The examples' identities, policies, Services and waypoint Gateway, with namespaces and tenants renamed for this run. */
async function examplesRenamed(suffix: string): Promise<Manifest[]> {
  const renames: Record<string, string> = { payments: `payments-${suffix}`, storefront: `storefront-${suffix}`, warehouse: `warehouse-${suffix}`, acme: `acme-${suffix}`, globex: `globex-${suffix}` };
  const text = (await Promise.all(["20-identities.yaml", "30-policies.yaml", "40-ambient.yaml"].map((f) => readFile(path.join(repoRoot, "examples", f), "utf8")))).join("\n---\n");
  const rename = (value: unknown, key?: string): unknown => {
    if (Array.isArray(value)) return value.map((v) => rename(v));
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rename(v, k)]));
    return (key === "namespace" || key === "tenant") && typeof value === "string" && renames[value] ? renames[value] : value;
  };
  return (yaml.loadAll(text).filter(Boolean) as Manifest[]).filter((m) => m.kind !== "Namespace").map((m) => rename(m) as Manifest);
}

/** A Service of its own for every identity with a selector in the namespace, and the namespace's waypoint. */
function ambientFacts(namespace: string, manifests: Manifest[]): Manifest[] {
  const services = manifests
    .filter((m) => m.kind === "EngineIdentity" && m.metadata.namespace === namespace && (m.spec as { workloadSelector?: unknown }).workloadSelector)
    .map((m): Manifest => ({ apiVersion: "v1", kind: "Service", metadata: { name: `svc-${m.metadata.name}`, namespace }, spec: { selector: (m.spec as { workloadSelector: { matchLabels: Record<string, string> } }).workloadSelector.matchLabels, ports: [{ name: "http", port: 8080 }] } }));
  const waypoint: Manifest = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "waypoint", namespace }, spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] } };
  return [...services, waypoint];
}

async function liveRendered(client: KubeClient, namespaces: string[]): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  for (const type of RENDERED_TYPES) {
    for (const namespace of namespaces) {
      const list = await client.list<KubeObject>(type, namespace, `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`);
      objects.push(...list.items.map(comparableLiveObject));
    }
  }
  return objects.sort(byKindNamespaceName);
}

describe("nexus render equals what the operator writes", () => {
  let client: KubeClient;
  let running: TestOperator;
  let dir: string;
  const suffix = uniqueName("cli").slice(4);
  // Each namespace's labels (tenant, data plane): the operator reads them from the cluster,
  // the CLI from the Namespace objects written into the files beside the manifests.
  const scenarios: Record<string, { namespaces: Record<string, Record<string, string>>; manifests: Manifest[] }> = {};
  const ambient = (waypoint?: string) => ({ "istio.io/dataplane-mode": "ambient", ...(waypoint ? { "istio.io/use-waypoint": waypoint } : {}) });
  const sources = (manifests: Manifest[]) => manifests.filter((m) => !FACT_KINDS.has(m.kind));

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    dir = await mkdtemp(path.join(tmpdir(), "nexus-render-"));
    const tenant = (name: string) => ({ "security.nexus.io/tenant": `${name}-${suffix}` });
    scenarios.examples = {
      namespaces: { [`payments-${suffix}`]: tenant("acme"), [`storefront-${suffix}`]: {}, [`warehouse-${suffix}`]: { ...tenant("acme"), ...ambient("waypoint") } },
      manifests: await examplesRenamed(suffix),
    };
    // gen-b is ambient with a waypoint and a Service per engine, gen-c ambient without a waypoint.
    const corpusNamespaces = [`gen-a-${suffix}`, `gen-b-${suffix}`, `gen-c-${suffix}`];
    const corpus = generateCorpus({ namespaces: corpusNamespaces, tenants: [`t1-${suffix}`, `t2-${suffix}`], identities: 40, policies: 80, seed: 20261201 });
    scenarios.corpus = {
      namespaces: { [`gen-a-${suffix}`]: tenant("t1"), [`gen-b-${suffix}`]: { ...tenant("t2"), ...ambient("waypoint") }, [`gen-c-${suffix}`]: ambient() },
      manifests: [...ambientFacts(`gen-b-${suffix}`, corpus), ...corpus],
    };
    running = await startTestOperator(inject("kubeconfig"));
    for (const [name, scenario] of Object.entries(scenarios)) {
      for (const [namespace, labels] of Object.entries(scenario.namespaces)) await createNamespace(client, namespace, labels);
      // The facts first, so the first rendering is already for the data plane they make.
      for (const manifest of scenario.manifests) await client.create(manifest as unknown as KubeObject);
      const namespaceDocs = Object.entries(scenario.namespaces).map(([namespace, labels]) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels } }));
      await writeFile(path.join(dir, `${name}.yaml`), [...namespaceDocs, ...scenario.manifests].map((m) => `---\n${yaml.dump(m)}`).join(""));
    }
  });

  afterAll(async () => {
    await running?.stop();
    for (const scenario of Object.values(scenarios)) for (const namespace of Object.keys(scenario.namespaces)) await deleteNamespace(client, namespace).catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function settled(scenario: { namespaces: Record<string, Record<string, string>>; manifests: Manifest[] }): Promise<KubeObject[]> {
    const expected = sources(scenario.manifests).length;
    const all = await waitFor(
      async () => {
        const all: KubeObject[] = [];
        for (const namespace of Object.keys(scenario.namespaces)) {
          all.push(...(await client.list<KubeObject>(resources.accessPolicy, namespace)).items, ...(await client.list<KubeObject>(resources.engineIdentity, namespace)).items);
        }
        const lagging = all.filter((o) => (o.status as { observedGeneration?: number } | undefined)?.observedGeneration !== o.metadata.generation);
        if (all.length !== expected || lagging.length > 0) {
          throw new Error(`${all.length} of ${expected} present; not yet observed: ${lagging.slice(0, 5).map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`).join(", ")}`);
        }
        return all;
      },
      { timeoutMs: 60_000, intervalMs: 200, description: "every identity and policy observed by the operator" },
    );
    await running.operator.idle();
    return all;
  }

  for (const name of ["examples", "corpus"]) {
    it(`renders the ${name} exactly as written into the cluster, policy hashes included`, async () => {
      const scenario = scenarios[name]!;
      const observed = await settled(scenario);
      const namespaces = Object.keys(scenario.namespaces);
      const offline = await nexus(["render", "-f", path.join(dir, `${name}.yaml`)]);
      expect(offline.code).toBe(0);
      // A Service or Gateway event may still be re-rendering a policy the operator first rendered without it.
      const live = await waitFor(
        async () => {
          await running.operator.idle();
          const objects = await liveRendered(client, namespaces);
          return formatObjects(objects, "yaml") === offline.stdout ? objects : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250, description: "the operator's objects to equal nexus render" },
      ).catch(async () => liveRendered(client, namespaces));
      expect(live.length).toBeGreaterThan(namespaces.length * 2);
      expect(offline.stdout).toBe(formatObjects(live, "yaml"));
      // The ambient namespaces got the ambient form: the waypoint's policies, and ztunnel's.
      const ambientNamespaces = namespaces.filter((namespace) => scenario.namespaces[namespace]!["istio.io/dataplane-mode"] === "ambient");
      expect(ambientNamespaces.length).toBeGreaterThan(0);
      for (const namespace of ambientNamespaces) {
        expect(live.some((o) => o.metadata.namespace === namespace && o.metadata.name.endsWith(".ztunnel")), `${namespace}: a .ztunnel policy`).toBe(true);
      }
      expect(live.some((o) => o.metadata.name.endsWith(".waypoint") && (o.spec as { targetRefs?: unknown[] }).targetRefs?.length)).toBe(true);

      // status.policyHash is the hash over the content hashes the rendered objects carry.
      const rendered = yaml.loadAll(offline.stdout) as KubeObject[];
      for (const policy of observed.filter((o) => o.kind === "AccessPolicy")) {
        const hash = (policy.status as { policyHash?: string }).policyHash;
        const carriers = rendered.filter((o) => o.metadata.namespace === policy.metadata.namespace && o.metadata.labels?.["security.nexus.io/policy"] === policy.metadata.name);
        for (const object of carriers) expect(recordedContentHash(object)).toBe(contentHashOf(object));
        expect(policyHashOf(carriers)).toBe(hash);
      }
    });
  }

  it("prints the same bytes from the installed binary, and as JSON the same objects", async () => {
    const inProcess = await nexus(["render", "-R", "-f", dir]);
    const binary = await nexusProcess(["render", "-R", "-f", dir]);
    expect(binary.code).toBe(0);
    expect(binary.stdout).toBe(inProcess.stdout);
    const json = await nexus(["render", "-R", "-f", dir, "-o", "json"]);
    expect((JSON.parse(json.stdout) as { items: unknown[] }).items).toEqual(yaml.loadAll(inProcess.stdout));
  });
});
