// Small helpers for integration tests: an admin client, unique namespaces, and waiting on
// objects by condition with a deadline.
import { randomBytes } from "node:crypto";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeClient, isNotFound, type KubeObject } from "../../operator/runtime/kube-client.js";
import { resources, type ResourceType } from "../../operator/runtime/resources.js";
import { waitFor } from "../controlplane/wait.js";

export function adminClient(kubeconfigPath: string): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return new KubeClient(kc);
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

export async function createNamespace(client: KubeClient, name: string, labels: Record<string, string> = {}): Promise<void> {
  await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
}

export async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  await client.delete(resources.namespace, name);
}

export async function getOrUndefined<T extends KubeObject>(client: KubeClient, type: ResourceType, name: string, namespace?: string): Promise<T | undefined> {
  try {
    return await client.get<T>(type, name, namespace);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Waits until the object exists and `check` accepts it; returns it. */
export async function waitForObject<T extends KubeObject>(
  client: KubeClient,
  type: ResourceType,
  name: string,
  namespace: string | undefined,
  check: (object: T) => boolean,
  description: string,
  timeoutMs = 30_000,
): Promise<T> {
  return waitFor(
    async () => {
      const object = await getOrUndefined<T>(client, type, name, namespace);
      return object && check(object) ? object : undefined;
    },
    { timeoutMs, description },
  );
}

export async function waitForGone(client: KubeClient, type: ResourceType, name: string, namespace: string | undefined, timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => ((await getOrUndefined(client, type, name, namespace)) ? undefined : true), {
    timeoutMs,
    description: `${type.kind} ${namespace ?? ""}/${name} to be gone`,
  });
}

export interface StatusCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export function conditionOf(object: KubeObject, type: string): StatusCondition | undefined {
  return ((object.status as { conditions?: StatusCondition[] } | undefined)?.conditions ?? []).find((c) => c.type === type);
}

/** True when the condition has the status and was set for the object's current generation. */
export function hasCondition(object: KubeObject, type: string, status: string, reason?: string): boolean {
  const c = conditionOf(object, type);
  return (
    c !== undefined &&
    c.status === status &&
    (reason === undefined || c.reason === reason) &&
    c.observedGeneration === object.metadata.generation
  );
}

export type EventObject = KubeObject & { reason: string; type: string; message: string; count?: number; involvedObject: { name: string; kind?: string } };

/** The Events of one object, oldest first as the apiserver lists them. */
export async function eventsFor(client: KubeClient, namespace: string, name: string): Promise<EventObject[]> {
  const events = await client.getRaw<{ items: EventObject[] }>(`/api/v1/namespaces/${namespace}/events`);
  return events.items.filter((e) => e.involvedObject.name === name);
}

export async function waitForEvent(client: KubeClient, namespace: string, name: string, reason: string, timeoutMs = 30_000): Promise<EventObject> {
  return waitFor(async () => (await eventsFor(client, namespace, name)).find((e) => e.reason === reason), { timeoutMs, description: `Event ${reason} for ${name}` });
}
