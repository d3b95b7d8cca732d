// KubeClient.replaceSpec, which drift repair uses to drop what another writer added to a
// spec: the spec is replaced whole by a patch (the verb the chart grants), as the operator's
// field manager, and only at the resourceVersion it was read at.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FIELD_MANAGER } from "../../operator/render/metadata.js";
import { isConflict, type KubeClient, type KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { adminClient, createNamespace, deleteNamespace, uniqueName } from "../support/kube.js";

type PeerAuthentication = KubeObject & { spec: { mtls?: { mode: string }; selector?: unknown } };

describe("KubeClient.replaceSpec", () => {
  const ns = uniqueName("replace-spec");
  let client: KubeClient;

  beforeAll(async () => {
    client = adminClient(inject("kubeconfig"));
    await createNamespace(client, ns);
  });

  afterAll(async () => {
    if (client) await deleteNamespace(client, ns);
    client?.close();
  });

  it("replaces the spec whole as the operator's field manager, and refuses a stale resourceVersion with 409", async () => {
    const created = await client.create<PeerAuthentication>({
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "strict", namespace: ns },
      spec: { mtls: { mode: "STRICT" }, selector: { matchLabels: { app: "other" } } },
    } as PeerAuthentication);
    const replaced = await client.replaceSpec<PeerAuthentication>(resources.peerAuthentication, "strict", ns, created.metadata.resourceVersion!, { mtls: { mode: "PERMISSIVE" } });
    expect(replaced.spec).toEqual({ mtls: { mode: "PERMISSIVE" } });
    // What the patch changed is the operator's; what it removed is nobody's.
    const managed = (replaced.metadata.managedFields ?? []) as Array<{ manager: string; fieldsV1?: { "f:spec"?: Record<string, unknown> } }>;
    expect(managed.find((entry) => entry.manager === FIELD_MANAGER)?.fieldsV1?.["f:spec"]).toHaveProperty("f:mtls");
    expect(managed.some((entry) => entry.fieldsV1?.["f:spec"]?.["f:selector"] !== undefined)).toBe(false);

    const stale = client.replaceSpec(resources.peerAuthentication, "strict", ns, created.metadata.resourceVersion!, { mtls: { mode: "STRICT" } });
    await expect(stale.catch((err: unknown) => (isConflict(err) ? "conflict" : err))).resolves.toBe("conflict");
    expect((await client.get<PeerAuthentication>(resources.peerAuthentication, "strict", ns)).spec).toEqual({ mtls: { mode: "PERMISSIVE" } });
  });
});
