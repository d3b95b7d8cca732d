// What the operator's client reads back from a real apiserver: text beyond ASCII whole,
// however the response's bytes were cut on the way, and lists longer than one page whole.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { startControlPlane, type ControlPlane } from "../controlplane/control-plane.js";
import { adminClient, createNamespace } from "../support/kube.js";

const NS = "reads";
// Two- three- and four-byte UTF-8 characters: a response cut into chunks cuts some of them.
const WIDE = "é✓😀";

describe("KubeClient reads", () => {
  let controlPlane: ControlPlane;
  let client: KubeClient;

  beforeAll(async () => {
    controlPlane = await startControlPlane();
    client = adminClient(controlPlane.kubeconfigPath);
    await createNamespace(client, NS);
  });

  afterAll(async () => {
    client?.close();
    await controlPlane?.stop();
  });

  it("reads an object of 180 KB of multi-byte characters back unchanged", async () => {
    const note = WIDE.repeat(20_000);
    await client.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "wide", namespace: NS, annotations: { note } } });
    const read = await client.get<KubeObject>(resources.serviceAccount, "wide", NS);
    expect(read.metadata.annotations?.note).toBe(note);
  });

  it("lists every object of a collection longer than one page, each whole", async () => {
    const names = Array.from({ length: 600 }, (_, i) => `sa-${String(i).padStart(3, "0")}`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(
        names.slice(i, i + 50).map((name) => client.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: NS, labels: { batch: "paged" }, annotations: { note: `${name} ${WIDE}` } } })),
      );
    }
    const listed = await client.list<KubeObject>(resources.serviceAccount, NS, "batch=paged");
    expect(listed.items.map((o) => o.metadata.name).sort()).toEqual(names);
    expect(listed.items.every((o) => o.metadata.annotations?.note === `${o.metadata.name} ${WIDE}`)).toBe(true);
    expect(listed.items.every((o) => o.kind === "ServiceAccount" && o.apiVersion === "v1")).toBe(true);
    expect(listed.metadata.resourceVersion).toMatch(/^\d+$/);
  });
});
