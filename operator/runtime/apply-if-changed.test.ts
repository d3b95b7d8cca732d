import { describe, expect, it } from "vitest";
import { APPLIED_HASH_ANNOTATION, compactRenderedForCache, needsApply, withAppliedHash } from "./apply-if-changed.js";
import type { KubeObject } from "./kube-client.js";

const desired: KubeObject = {
  apiVersion: "security.istio.io/v1",
  kind: "AuthorizationPolicy",
  metadata: { name: "nexus-a", namespace: "ns", labels: { a: "1" }, ownerReferences: [{ apiVersion: "v1", kind: "X", name: "x", uid: "u1", controller: true }] },
  spec: { action: "ALLOW", rules: [{ from: [{ source: { principals: ["p1", "p2"] } }] }] },
};

function liveFrom(object: KubeObject, extra: Partial<KubeObject["metadata"]> = {}): KubeObject {
  const copy = JSON.parse(JSON.stringify(object)) as KubeObject;
  copy.metadata = { ...copy.metadata, uid: "live", resourceVersion: "7", managedFields: [{}], ...extra };
  return copy;
}

describe("needsApply", () => {
  const want = withAppliedHash(desired);

  it("writes when the object does not exist", () => {
    expect(needsApply(want, undefined)).toBe(true);
  });

  it("does not write when the live object already holds everything, plus server fields", () => {
    expect(needsApply(want, liveFrom(want))).toBe(false);
  });

  it("tolerates owner references added by others", () => {
    const live = liveFrom(want);
    live.metadata.ownerReferences = [...(live.metadata.ownerReferences ?? []), { apiVersion: "v1", kind: "Y", name: "y", uid: "u2" }];
    expect(needsApply(want, live)).toBe(false);
  });

  it("writes when someone edited a field we own (drift)", () => {
    const live = liveFrom(want);
    (live.spec as { action: string }).action = "DENY";
    expect(needsApply(want, live)).toBe(true);
  });

  it("writes when someone added an element to a list we own", () => {
    const live = liveFrom(want);
    (live.spec as { rules: unknown[] }).rules.push({});
    expect(needsApply(want, live)).toBe(true);
  });

  it("writes when we stopped setting a field, which only the hash reveals", () => {
    const smaller = withAppliedHash({ ...desired, metadata: { ...desired.metadata, labels: {} } });
    expect(needsApply(smaller, liveFrom(want))).toBe(true);
  });

  it("hashes content only, so the same desired object always carries the same hash", () => {
    expect(withAppliedHash(desired).metadata.annotations?.[APPLIED_HASH_ANNOTATION]).toBe(
      withAppliedHash(JSON.parse(JSON.stringify(desired)) as KubeObject).metadata.annotations?.[APPLIED_HASH_ANNOTATION],
    );
  });
});

describe("needsApply on a compacted cache entry", () => {
  const want = withAppliedHash(desired);
  const compacted = (live: KubeObject) => {
    compactRenderedForCache(live);
    return live;
  };

  it("keeps metadata and drops the body", () => {
    const live = compacted(liveFrom(want));
    expect(live.spec).toBeUndefined();
    expect(live.metadata.labels).toEqual({ a: "1" });
  });

  it("does not write when the live body is what we render", () => {
    expect(needsApply(want, compacted(liveFrom(want)))).toBe(false);
  });

  it("writes when someone edited or added to the body (drift)", () => {
    const edited = liveFrom(want);
    (edited.spec as { action: string }).action = "DENY";
    expect(needsApply(want, compacted(edited))).toBe(true);
    const added = liveFrom(want);
    (added.spec as Record<string, unknown>).provider = { name: "ext" };
    expect(needsApply(want, compacted(added))).toBe(true);
  });

  it("writes when our label or owner reference was removed", () => {
    const unlabelled = liveFrom(want, { labels: {} });
    expect(needsApply(want, compacted(unlabelled))).toBe(true);
    const orphaned = liveFrom(want, { ownerReferences: [] });
    expect(needsApply(want, compacted(orphaned))).toBe(true);
  });

  it("compacts an object once, so a second pass keeps the digest of the real body", () => {
    const live = compacted(compacted(liveFrom(want)));
    expect(needsApply(want, live)).toBe(false);
  });
});
