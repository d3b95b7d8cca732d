// An informer whose handler throws does not take the process down: the watch ends like any
// failed watch, the failure is logged once, and the informer starts again with backoff from
// where it was, so the event is handled once the handler copes.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SupervisedInformer } from "../../operator/runtime/informer.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { waitFor } from "../controlplane/wait.js";
import { adminClient, createNamespace, deleteNamespace, uniqueName } from "../support/kube.js";

describe("informer with a failing handler", () => {
  let client: KubeClient;
  const ns = uniqueName("handler-fails");

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    await createNamespace(client, ns);
  });

  afterAll(async () => {
    await deleteNamespace(client, ns);
    client?.close();
  });

  it("ends the watch, logs the failure and handles the event again after backoff", async () => {
    const warnings: string[] = [];
    const log = pino({ level: "warn" }, { write: (line: string) => warnings.push(String(JSON.parse(line).err ?? "")) });
    const informer = new SupervisedInformer<KubeObject>(client, resources.serviceAccount, log, { namespace: ns, minBackoffMs: 50, maxBackoffMs: 200 });
    let throwsLeft = 2;
    const handled: string[] = [];
    informer.on((object, event) => {
      if (object.metadata.name !== "watched") return;
      if (event === "add" && throwsLeft > 0) {
        throwsLeft--;
        throw new Error("handler not ready");
      }
      handled.push(event);
    });
    try {
      informer.start();
      await informer.waitForSync();
      await client.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "watched", namespace: ns } });
      await waitFor(async () => (handled.includes("add") ? true : undefined), { timeoutMs: 20_000, description: "the add handled once the handler copes" });
      expect(throwsLeft).toBe(0);
      expect(warnings.some((w) => w.includes("handling a ADDED event failed: handler not ready"))).toBe(true);
      expect(informer.get("watched", ns)).toBeDefined();
    } finally {
      await informer.stop();
    }
  });
});
