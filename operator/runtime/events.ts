// Kubernetes Events for what the operator changed or could not do. An Event repeated with
// the same reason and message for the same object is sent once, so a retry loop cannot
// flood the namespace.
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { KubeClient, KubeObject } from "./kube-client.js";

export type EventType = "Normal" | "Warning";

export class EventRecorder {
  private readonly lastSent = new Map<string, string>();

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    private readonly component = "nexus-operator",
  ) {}

  async record(object: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const key = `${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}/${object.metadata.uid ?? ""}`;
    const fingerprint = `${type}/${reason}/${message}`;
    if (this.lastSent.get(key) === fingerprint) return;
    this.lastSent.set(key, fingerprint);
    if (this.lastSent.size > 50_000) this.lastSent.delete(this.lastSent.keys().next().value as string);
    const now = new Date().toISOString();
    const namespace = object.metadata.namespace ?? "default";
    const event = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${object.metadata.name}.${randomBytes(8).toString("hex")}`, namespace },
      involvedObject: {
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: object.metadata.name,
        namespace: object.metadata.namespace,
        uid: object.metadata.uid,
        resourceVersion: object.metadata.resourceVersion,
      },
      type,
      reason,
      message,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.component,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await this.client.createRaw(`/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, event);
    } catch (err) {
      // An Event is a courtesy; failing to send one must not fail the reconcile.
      this.log.debug({ err: (err as Error).message, reason }, "event not recorded");
    }
  }

  /** Forgets what was sent for an object, e.g. after it was deleted. */
  forget(object: KubeObject): void {
    this.lastSent.delete(`${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}/${object.metadata.uid ?? ""}`);
  }
}
