import { describe, expect, it } from "vitest";
import { renderNamespaceBaseline } from "../policy/index.js";
import { FIELD_MANAGER } from "../render/metadata.js";
import type { KubeClient, KubeObject } from "../runtime/kube-client.js";
import type { Caches } from "../caches.js";
import { applyRendered, renderedLive } from "./rendered-writes.js";

/** A client that keeps what is applied, and counts reads and writes. */
function fakeClient() {
  const stored = new Map<string, KubeObject>();
  const calls = { apply: 0, get: 0 };
  let uid = 0;
  const client = {
    apply: async (object: KubeObject) => {
      calls.apply++;
      // As the apiserver answers: our field manager owns what we applied, no one else anything.
      const managedFields = [{ manager: FIELD_MANAGER, operation: "Apply", fieldsType: "FieldsV1", fieldsV1: { "f:spec": {} } }];
      const live = { ...object, metadata: { ...object.metadata, uid: `uid-${++uid}`, generation: 1, resourceVersion: String(uid), managedFields } };
      stored.set(object.metadata.name, live);
      return { metadata: live.metadata };
    },
    getIfExists: async (_type: unknown, name: string) => {
      calls.get++;
      const live = stored.get(name);
      return live ? structuredClone(live) : undefined;
    },
  };
  return { client: client as unknown as KubeClient, stored, calls };
}

/** Caches whose watch has not brought anything back yet: every lookup misses. */
const laggingCaches = { peerAuthentications: { get: () => undefined } } as unknown as Caches;

describe("a rendered object created moments ago, before the watch brings it back", () => {
  const strictMtls = (namespace: string) => renderNamespaceBaseline(namespace).find((o) => o.kind === "PeerAuthentication") as unknown as KubeObject;

  it("is read to confirm it, not written a second time", async () => {
    const { client, calls } = fakeClient();
    const desired = strictMtls("echo-lag");
    expect((await renderedLive(client, laggingCaches, desired)).needsWrite).toBe(true);
    await applyRendered(client, laggingCaches, desired);
    const again = await renderedLive(client, laggingCaches, desired);
    expect(again.needsWrite).toBe(false);
    expect(again.live).toBeUndefined();
    expect(calls).toEqual({ apply: 1, get: 1 });
  });

  it("is written again when the read finds it deleted in between", async () => {
    const { client, stored, calls } = fakeClient();
    const desired = strictMtls("echo-lag-deleted");
    await applyRendered(client, laggingCaches, desired);
    stored.delete(desired.metadata.name);
    expect((await renderedLive(client, laggingCaches, desired)).needsWrite).toBe(true);
    expect(calls.get).toBe(1);
  });
});
