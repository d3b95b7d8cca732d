import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";
import { rawRequest } from "./raw-request.js";
import { waitFor } from "./wait.js";

export const TEST_FIELD_MANAGER = "nexus-test-setup";

interface ResourceInfo {
  basePath: string;
  plural: string;
  namespaced: boolean;
}

interface DiscoveryList {
  resources?: Array<{ name: string; kind: string; namespaced: boolean }>;
}

/**
 * Resolves a kind to its REST path through discovery. A freshly Established CRD can take
 * a moment to appear in discovery, so a missing kind is retried until the deadline.
 */
async function resolveResource(
  kc: KubeConfig,
  apiVersion: string,
  kind: string,
  timeoutMs: number,
): Promise<ResourceInfo> {
  const basePath = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return waitFor(
    async () => {
      const response = await rawRequest(kc, "GET", basePath);
      if (response.status !== 200) throw new Error(`GET ${basePath}: HTTP ${response.status}`);
      const list = JSON.parse(response.body) as DiscoveryList;
      const resource = list.resources?.find((r) => r.kind === kind && !r.name.includes("/"));
      if (!resource) throw new Error(`${apiVersion} serves no kind ${kind}`);
      return { basePath, plural: resource.name, namespaced: resource.namespaced };
    },
    { timeoutMs, intervalMs: 100, description: `discovery of ${apiVersion} ${kind}` },
  );
}

/** Server-side applies each object with force, so the test setup owns what it declares. */
export async function serverSideApply(
  kc: KubeConfig,
  objects: readonly KubernetesObject[],
  options: { fieldManager?: string; timeoutMs?: number } = {},
): Promise<KubernetesObject[]> {
  const fieldManager = options.fieldManager ?? TEST_FIELD_MANAGER;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const resources = new Map<string, Promise<ResourceInfo>>();
  const applied: KubernetesObject[] = [];
  for (const object of objects) {
    const { apiVersion, kind, metadata } = object;
    if (!apiVersion || !kind || !metadata?.name) {
      throw new Error(
        `cannot apply an object without apiVersion, kind and metadata.name: ${JSON.stringify(object).slice(0, 200)}`,
      );
    }
    const key = `${apiVersion}/${kind}`;
    if (!resources.has(key)) resources.set(key, resolveResource(kc, apiVersion, kind, timeoutMs));
    const resource = await resources.get(key)!;
    const namespace = resource.namespaced ? `/namespaces/${encodeURIComponent(metadata.namespace ?? "default")}` : "";
    const objectPath =
      `${resource.basePath}${namespace}/${resource.plural}/${encodeURIComponent(metadata.name)}` +
      `?fieldManager=${encodeURIComponent(fieldManager)}&force=true`;
    const response = await rawRequest(kc, "PATCH", objectPath, {
      contentType: "application/apply-patch+yaml",
      data: JSON.stringify(object),
    });
    if (response.status !== 200 && response.status !== 201) {
      const message = (JSON.parse(response.body || "{}") as { message?: string }).message ?? response.body;
      throw new Error(`server-side apply of ${kind} ${metadata.name} failed: HTTP ${response.status} ${message}`);
    }
    applied.push(JSON.parse(response.body) as KubernetesObject);
  }
  return applied;
}
