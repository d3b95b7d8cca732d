// The watch event a write of ours brings back is marked as its echo, so that the owner is
// not reconciled again for it; any other change of the same object (another writer, a
// delete) is not, whatever it changes. Real apiserver, real watch.
import { KubeConfig } from "@kubernetes/client-node";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SupervisedInformer, type InformerEvent } from "../../operator/runtime/informer.js";
import { KubeClient, type KubeObject } from "../../operator/runtime/kube-client.js";
import { OwnWrites } from "../../operator/runtime/own-writes.js";
import { resources } from "../../operator/runtime/resources.js";
import { waitFor } from "../controlplane/wait.js";
import { adminClient, createNamespace, deleteNamespace, uniqueName } from "../support/kube.js";

interface Seen {
  event: InformerEvent;
  /** Whether a handler that looks at the owner again was let run (for an echo it never is). */
  reacted: boolean;
  resourceVersion: string | undefined;
  team: string | undefined;
}

describe("echoes of the operator's own writes", () => {
  let other: KubeClient;
  let ours: KubeClient;
  const ownWrites = new OwnWrites();
  const ns = uniqueName("own-writes");

  beforeAll(async () => {
    other = adminClient(inject("kubeconfig"));
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(inject("kubeconfig"));
    ours = new KubeClient(kubeConfig, { writes: ownWrites });
    await createNamespace(other, ns);
  });

  afterAll(async () => {
    await deleteNamespace(other, ns);
    other?.close();
    ours?.close();
  });

  it("tells the event of every apply of ours as its echo, whether it came before or after the response, and never another writer's change or a delete", async () => {
    const informer = new SupervisedInformer<KubeObject>(ours, resources.serviceAccount, pino({ level: "silent" }), { namespace: ns, ownWrites });
    const seen: Seen[] = [];
    informer.on((object, event, origin) => {
      if (object.metadata.name !== "engine") return;
      const entry: Seen = { event, reacted: false, resourceVersion: object.metadata.resourceVersion, team: object.metadata.labels?.team };
      seen.push(entry);
      origin.unlessOwnWrite(() => (entry.reacted = true));
    });
    const eventOf = (resourceVersion: string | undefined) => waitFor(async () => seen.find((s) => s.resourceVersion === resourceVersion), { timeoutMs: 20_000, description: `the watch event of version ${resourceVersion}` });
    try {
      informer.start();
      await informer.waitForSync();
      const serviceAccount = (team: string): KubeObject => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "engine", namespace: ns, labels: { team } } });

      // Our writes: an event read before its write's response is held until the response.
      const ourVersions: string[] = [];
      for (let i = 0; i < 5; i++) ourVersions.push((await ours.apply(serviceAccount(`ours-${i}`))).metadata.resourceVersion!);
      const ourEvents = await Promise.all(ourVersions.map(eventOf));
      expect(ourEvents.map((s) => s.reacted)).toEqual([false, false, false, false, false]);
      expect(ownWrites.holding).toBe(0);

      // A write of ours that changes nothing gets no event (its version is the last one);
      // another writer's change after it is never an echo, though it is the same object.
      const noOp = await ours.apply(serviceAccount("ours-4"));
      expect(noOp.metadata.resourceVersion).toBe(ourVersions[4]);
      const theirs = await other.mergePatch(resources.serviceAccount, "engine", ns, { metadata: { labels: { team: "theirs" } } }, "someone-else");
      const theirEvent = await eventOf(theirs.metadata.resourceVersion);
      expect(theirEvent).toMatchObject({ event: "update", reacted: true, team: "theirs" });

      await other.delete(resources.serviceAccount, "engine", ns);
      const deleted = await waitFor(async () => seen.find((s) => s.event === "delete"), { timeoutMs: 20_000, description: "the delete event" });
      expect(deleted.reacted).toBe(true);
      expect(seen.filter((s) => !s.reacted).map((s) => s.resourceVersion)).toEqual(ourVersions);
    } finally {
      await informer.stop();
    }
  });
});
