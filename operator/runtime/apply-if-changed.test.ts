import { describe, expect, it } from "vitest";
import { istioObject } from "../policy/rendered-object.js";
import { CONTENT_HASH_ANNOTATION } from "../render/metadata.js";
import { FIELD_MANAGER } from "../render/metadata.js";
import {
  APPLIED_HASH_ANNOTATION,
  carryVerifiedContent,
  compactRenderedForCache,
  isMetadataOnly,
  markMetadataOnly,
  needsApply,
  recordApplied,
  recordRead,
  renderedNeedsWrite,
  renderedWriteNeed,
  withAppliedHash,
} from "./apply-if-changed.js";
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

describe("renderedNeedsWrite: rendered objects compared by their content hash", () => {
  const rendered = istioObject(
    { kind: "AuthorizationPolicy", name: "nexus-a", spec: { action: "ALLOW", rules: [{ from: [{ source: { principals: ["p1", "p2"] } }] }] } },
    {
      namespace: "ns",
      labels: { "app.kubernetes.io/managed-by": "nexus-operator", "security.nexus.io/policy": "a" },
      annotations: { "security.nexus.io/source-generation": "3" },
      ownerReferences: [{ apiVersion: "v1", kind: "X", name: "x", uid: "u1", controller: true }],
    },
  ) as unknown as KubeObject;
  const compacted = (live: KubeObject) => {
    compactRenderedForCache(live);
    return live;
  };

  it("writes a missing object, and not one that holds what is rendered (compacted or not)", () => {
    expect(renderedNeedsWrite(rendered, undefined)).toBe(true);
    expect(renderedNeedsWrite(rendered, liveFrom(rendered))).toBe(false);
    expect(renderedNeedsWrite(rendered, compacted(liveFrom(rendered)))).toBe(false);
  });

  it("keeps only the content hash of a compacted body", () => {
    const live = compacted(liveFrom(rendered));
    expect(live.spec).toBeUndefined();
    expect(live.metadata.labels).toEqual(rendered.metadata.labels);
  });

  it("does not write when only the source generation differs", () => {
    const live = liveFrom(rendered);
    live.metadata.annotations = { ...live.metadata.annotations, "security.nexus.io/source-generation": "2" };
    expect(renderedNeedsWrite(rendered, compacted(live))).toBe(false);
  });

  it("tolerates labels, annotations and owner references added by others", () => {
    const live = liveFrom(rendered);
    live.metadata.labels = { ...live.metadata.labels, team: "x" };
    live.metadata.annotations = { ...live.metadata.annotations, "example.com/note": "y" };
    live.metadata.ownerReferences = [...(live.metadata.ownerReferences ?? []), { apiVersion: "v1", kind: "Y", name: "y", uid: "u2" }];
    expect(renderedNeedsWrite(rendered, compacted(live))).toBe(false);
  });

  it("writes when someone edited or added to the spec, though the content hash annotation is unchanged (drift)", () => {
    const edited = liveFrom(rendered);
    (edited.spec as { action: string }).action = "DENY";
    expect(renderedNeedsWrite(rendered, compacted(edited))).toBe(true);
    const added = liveFrom(rendered);
    (added.spec as Record<string, unknown>).provider = { name: "ext" };
    expect(renderedNeedsWrite(rendered, compacted(added))).toBe(true);
  });

  it("writes when our label or owner reference was removed, or the object was written with other content", () => {
    expect(renderedNeedsWrite(rendered, compacted(liveFrom(rendered, { labels: {} })))).toBe(true);
    expect(renderedNeedsWrite(rendered, compacted(liveFrom(rendered, { ownerReferences: [] })))).toBe(true);
    expect(renderedNeedsWrite(rendered, compacted(liveFrom(rendered, { annotations: { [CONTENT_HASH_ANNOTATION]: "0".repeat(64) } })))).toBe(true);
  });

  it("compacts an object once, so a second pass keeps the hash of the real body", () => {
    expect(renderedNeedsWrite(rendered, compacted(compacted(liveFrom(rendered))))).toBe(false);
  });
});

describe("renderedWriteNeed: caches that watch metadata only", () => {
  const rendered = istioObject(
    { kind: "AuthorizationPolicy", name: "nexus-b", spec: { action: "ALLOW", rules: [{ from: [{ source: { principals: ["p1"] } }] }] } },
    { namespace: "ns", labels: { "app.kubernetes.io/managed-by": "nexus-operator", "security.nexus.io/policy": "b" }, ownerReferences: [{ apiVersion: "v1", kind: "X", name: "x", uid: "u1", controller: true }] },
  ) as unknown as KubeObject;
  const ours = [{ manager: FIELD_MANAGER, operation: "Apply", fieldsV1: { "f:spec": {} } }];
  /** What a metadata-only watch event of the live object looks like, at a generation. */
  const metadataEvent = (uid: string, generation: number, extra: Partial<KubeObject["metadata"]> = {}): KubeObject => {
    const event = { apiVersion: "meta.k8s.io/v1", kind: "PartialObjectMetadata", metadata: { ...JSON.parse(JSON.stringify(rendered.metadata)), uid, generation, managedFields: ours, ...extra } } as KubeObject;
    markMetadataOnly(event, "security.istio.io/v1", "AuthorizationPolicy");
    return event;
  };
  const listed = (uid: string, generation: number): KubeObject => {
    const live = JSON.parse(JSON.stringify(rendered)) as KubeObject;
    live.metadata = { ...live.metadata, uid, generation };
    compactRenderedForCache(live);
    return live;
  };

  it("asks for a read when nothing is known of a metadata-only object", () => {
    const event = metadataEvent("m1", 1);
    expect(isMetadataOnly(event)).toBe(true);
    expect(renderedWriteNeed(rendered, event)).toBe("read");
    expect(() => renderedNeedsWrite(rendered, event)).toThrow(/metadata only/);
  });

  it("keeps what the list read of an object while its generation stays, and asks for a read once it moves (a spec edit)", () => {
    const previous = listed("m2", 4);
    const same = metadataEvent("m2", 4, { resourceVersion: "99" });
    carryVerifiedContent(same, previous);
    expect(renderedWriteNeed(rendered, same)).toBe("none");
    const edited = metadataEvent("m2", 5);
    carryVerifiedContent(edited, same);
    expect(renderedWriteNeed(rendered, edited)).toBe("read");
  });

  it("asks for a read when a hashed label changed at the same generation", () => {
    const previous = listed("m3", 2);
    const relabelled = metadataEvent("m3", 2, { labels: { ...rendered.metadata.labels, "security.nexus.io/policy": "other" } });
    carryVerifiedContent(relabelled, previous);
    expect(renderedWriteNeed(rendered, relabelled)).toBe("read");
  });

  it("knows what our own apply wrote, whether its watch event comes before or after the answer", () => {
    const answer = { metadata: { ...rendered.metadata, uid: "m4", generation: 7, managedFields: ours } };
    recordApplied(rendered, answer, undefined);
    const later = metadataEvent("m4", 7);
    carryVerifiedContent(later, undefined);
    expect(renderedWriteNeed(rendered, later)).toBe("none");
    const earlier = metadataEvent("m5", 3);
    recordApplied(rendered, { metadata: { ...rendered.metadata, uid: "m5", generation: 3, managedFields: ours } }, earlier);
    expect(renderedWriteNeed(rendered, earlier)).toBe("none");
  });

  it("records nothing from an apply when another field manager owns part of the spec (its part is still there)", () => {
    const shared = [...ours, { manager: "kubectl-edit", operation: "Update", fieldsV1: { "f:spec": { "f:provider": {} } } }];
    const cached = metadataEvent("m6", 2);
    recordApplied(rendered, { metadata: { ...rendered.metadata, uid: "m6", generation: 2, managedFields: shared } }, cached);
    expect(renderedWriteNeed(rendered, cached)).toBe("read");
  });

  it("decides on the body once it is read, and keeps that for the cached object", () => {
    const cached = metadataEvent("m7", 9);
    const full = JSON.parse(JSON.stringify(rendered)) as KubeObject;
    full.metadata = { ...full.metadata, uid: "m7", generation: 9 };
    (full.spec as { rules: unknown[] }).rules = [{}];
    recordRead(full, cached);
    expect(renderedWriteNeed(rendered, full)).toBe("write");
    expect(renderedWriteNeed(rendered, cached)).toBe("write");
  });
});
