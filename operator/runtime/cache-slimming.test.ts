import { describe, expect, it } from "vitest";
import { slimForCache } from "./cache-slimming.js";
import type { KubeObject } from "./kube-client.js";

const parsed = (): KubeObject =>
  JSON.parse(
    JSON.stringify({
      apiVersion: "security.nexus.io/v1alpha1",
      kind: "AccessPolicy",
      metadata: {
        name: "p",
        namespace: "payments",
        creationTimestamp: "2026-11-30T10:00:00Z",
        labels: { team: "payments" },
        annotations: { keep: "me", "kubectl.kubernetes.io/last-applied-configuration": '{"big":"json"}' },
        managedFields: [{ manager: "kubectl" }],
        ownerReferences: [{ apiVersion: "v1", kind: "Namespace", name: "x", uid: "u" }],
      },
      spec: { targetIdentity: "ledger" },
      status: { conditions: [{ type: "Ready", status: "True", reason: "PolicyEnforced", message: "policy is enforced by the mesh", lastTransitionTime: "2026-11-30T10:00:01Z" }] },
    }),
  ) as KubeObject;

describe("slimForCache", () => {
  it("drops managedFields and kubectl's last applied configuration, and keeps the rest", () => {
    const object = parsed();
    slimForCache(object);
    expect(object.metadata.managedFields).toBeUndefined();
    expect(object.metadata.annotations).toEqual({ keep: "me" });
    const expected = parsed();
    expected.metadata = { ...expected.metadata, annotations: { keep: "me" } };
    delete expected.metadata.managedFields;
    expect(object).toEqual(expected);
  });

  it("leaves an object without those fields as it was", () => {
    const object = parsed();
    delete object.metadata.managedFields;
    delete object.metadata.annotations;
    const before = JSON.stringify(object);
    slimForCache(object);
    expect(JSON.stringify(object)).toBe(before);
  });
});
