import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import {
  ApiextensionsV1Api,
  KubeConfig,
  type KubernetesObject,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import yaml from "js-yaml";
import { TEST_FIELD_MANAGER, serverSideApply } from "./server-side-apply.js";
import { waitFor } from "./wait.js";

export { TEST_FIELD_MANAGER };

const isCrd = (o: KubernetesObject) =>
  o.kind === "CustomResourceDefinition" && (o.apiVersion ?? "").startsWith("apiextensions.k8s.io/");

/** Every .yaml / .yml file below `dir`, sorted; none if the folder does not exist. */
export async function findYamlFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return entries
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** Parses YAML text that may hold several documents; empty documents are dropped. */
export function parseYamlDocuments(text: string, source = "YAML"): KubernetesObject[] {
  const documents = yaml.loadAll(text).filter((doc) => doc !== null && doc !== undefined);
  for (const doc of documents) {
    if (typeof doc !== "object" || Array.isArray(doc)) throw new Error(`${source}: a document is not a mapping`);
  }
  return documents as KubernetesObject[];
}

export async function readYamlFiles(files: readonly string[]): Promise<KubernetesObject[]> {
  const perFile = await Promise.all(files.map(async (file) => parseYamlDocuments(await readFile(file, "utf8"), file)));
  return perFile.flat();
}

function loadKubeConfig(kubeconfig: string | KubeConfig): KubeConfig {
  if (typeof kubeconfig !== "string") return kubeconfig;
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc;
}

function condition(crd: V1CustomResourceDefinition, type: string) {
  return crd.status?.conditions?.find((c) => c.type === type);
}

/** Waits until every named CRD is Established, failing early if its names are rejected. */
export async function waitForCrdsEstablished(
  kubeconfig: string | KubeConfig,
  names: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  const api = loadKubeConfig(kubeconfig).makeApiClient(ApiextensionsV1Api);
  await Promise.all(
    names.map((name) =>
      waitFor(
        async () => {
          const crd = await api.readCustomResourceDefinition({ name });
          const namesAccepted = condition(crd, "NamesAccepted");
          if (namesAccepted?.status === "False") {
            throw new Error(`CRD ${name} names not accepted: ${namesAccepted.message ?? namesAccepted.reason ?? ""}`);
          }
          return condition(crd, "Established")?.status === "True" ? true : undefined;
        },
        { timeoutMs, intervalMs: 50, description: `CRD ${name} to be Established` },
      ),
    ),
  );
}

/**
 * Server-side applies YAML documents (text or parsed objects) with field manager
 * "nexus-test-setup": CRDs first, then, once they are all Established, everything else,
 * so a list may carry custom resources next to the CRDs that define them.
 * Returns the names of the CRDs applied.
 */
export async function applyManifests(
  kubeconfig: string | KubeConfig,
  documents: ReadonlyArray<string | KubernetesObject>,
  options: { timeoutMs?: number } = {},
): Promise<string[]> {
  const kc = loadKubeConfig(kubeconfig);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const objects = documents.flatMap((doc) => (typeof doc === "string" ? parseYamlDocuments(doc) : [doc]));
  const crds = objects.filter(isCrd);
  await serverSideApply(kc, crds, { timeoutMs });
  const names = crds.map((crd) => crd.metadata!.name!);
  await waitForCrdsEstablished(kc, names, timeoutMs);
  await serverSideApply(
    kc,
    objects.filter((o) => !isCrd(o)),
    { timeoutMs },
  );
  return names;
}
