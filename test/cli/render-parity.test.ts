// `nexus render` prints byte for byte what the running operator wrote into a real cluster:
// for the examples and a generated corpus, every AuthorizationPolicy, PeerAuthentication,
// RequestAuthentication and Certificate (spec, name, labels, annotations, policy hash),
// nothing more and nothing less. The operator runs in-process against the test apiserver.
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

/** The examples' identities and policies, with namespaces and tenants renamed for this run. */
async function examplesRenamed(suffix: string): Promise<Manifest[]> {
  const renames: Record<string, string> = { payments: `payments-${suffix}`, storefront: `storefront-${suffix}`, acme: `acme-${suffix}`, globex: `globex-${suffix}` };
  const text = (await Promise.all(["20-identities.yaml", "30-policies.yaml"].map((f) => readFile(path.join(repoRoot, "examples", f), "utf8")))).join("\n---\n");
  const rename = (value: unknown, key?: string): unknown => {
    if (Array.isArray(value)) return value.map((v) => rename(v));
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rename(v, k)]));
    return (key === "namespace" || key === "tenant") && typeof value === "string" && renames[value] ? renames[value] : value;
  };
  return (yaml.loadAll(text).filter(Boolean) as Manifest[]).map((m) => rename(m) as Manifest);
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
  // Each namespace's tenant label ("" for none): the operator reads it from the cluster, the
  // CLI from the Namespace objects written into the files beside the manifests.
  const scenarios: Record<string, { namespaces: string[]; tenants: Record<string, string>; manifests: Manifest[] }> = {};

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    dir = await mkdtemp(path.join(tmpdir(), "nexus-render-"));
    scenarios.examples = { namespaces: [`payments-${suffix}`, `storefront-${suffix}`], tenants: { [`payments-${suffix}`]: `acme-${suffix}` }, manifests: await examplesRenamed(suffix) };
    const corpusNamespaces = [`gen-a-${suffix}`, `gen-b-${suffix}`, `gen-c-${suffix}`];
    scenarios.corpus = {
      namespaces: corpusNamespaces,
      tenants: { [`gen-a-${suffix}`]: `t1-${suffix}`, [`gen-b-${suffix}`]: `t2-${suffix}` },
      manifests: generateCorpus({ namespaces: corpusNamespaces, tenants: [`t1-${suffix}`, `t2-${suffix}`], identities: 40, policies: 80, seed: 20261201 }),
    };
    running = await startTestOperator(inject("kubeconfig"));
    for (const [name, scenario] of Object.entries(scenarios)) {
      const labels = (namespace: string): Record<string, string> => (scenario.tenants[namespace] ? { "security.nexus.io/tenant": scenario.tenants[namespace] } : {});
      for (const namespace of scenario.namespaces) await createNamespace(client, namespace, labels(namespace));
      for (const manifest of scenario.manifests) await client.create(manifest as unknown as KubeObject);
      const namespaceDocs = scenario.namespaces.map((namespace) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: labels(namespace) } }));
      await writeFile(path.join(dir, `${name}.yaml`), [...namespaceDocs, ...scenario.manifests].map((m) => `---\n${yaml.dump(m)}`).join(""));
    }
  });

  afterAll(async () => {
    await running?.stop();
    for (const scenario of Object.values(scenarios)) for (const namespace of scenario.namespaces) await deleteNamespace(client, namespace).catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function settled(scenario: { namespaces: string[]; manifests: Manifest[] }): Promise<KubeObject[]> {
    const sources = await waitFor(
      async () => {
        const all: KubeObject[] = [];
        for (const namespace of scenario.namespaces) {
          all.push(...(await client.list<KubeObject>(resources.accessPolicy, namespace)).items, ...(await client.list<KubeObject>(resources.engineIdentity, namespace)).items);
        }
        const lagging = all.filter((o) => (o.status as { observedGeneration?: number } | undefined)?.observedGeneration !== o.metadata.generation);
        if (all.length !== scenario.manifests.length || lagging.length > 0) {
          throw new Error(`${all.length} of ${scenario.manifests.length} present; not yet observed: ${lagging.slice(0, 5).map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`).join(", ")}`);
        }
        return all;
      },
      { timeoutMs: 60_000, intervalMs: 200, description: "every identity and policy observed by the operator" },
    );
    await running.operator.idle();
    return sources;
  }

  for (const name of ["examples", "corpus"]) {
    it(`renders the ${name} exactly as written into the cluster, policy hashes included`, async () => {
      const scenario = scenarios[name]!;
      const sources = await settled(scenario);
      const live = await liveRendered(client, scenario.namespaces);
      const offline = await nexus(["render", "-f", path.join(dir, `${name}.yaml`)]);
      expect(offline.code).toBe(0);
      expect(live.length).toBeGreaterThan(scenario.namespaces.length * 2);
      expect(offline.stdout).toBe(formatObjects(live, "yaml"));

      // status.policyHash is the hash over the content hashes the rendered objects carry.
      const rendered = yaml.loadAll(offline.stdout) as KubeObject[];
      for (const policy of sources.filter((o) => o.kind === "AccessPolicy")) {
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
