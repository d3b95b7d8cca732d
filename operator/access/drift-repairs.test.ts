import { describe, expect, it } from "vitest";
import { CONTENT_HASH_ANNOTATION } from "../render/metadata.js";
import { rememberOtherFieldManagers } from "../runtime/field-managers.js";
import type { KubeObject } from "../runtime/kube-client.js";
import { DRIFT_REASON, DriftRepairs } from "./drift-repairs.js";

const owner: KubeObject = { apiVersion: "security.nexus.io/v1alpha1", kind: "AccessPolicy", metadata: { name: "p", namespace: "ns", uid: "owner-uid" } };

function rendered(hash: string, managers: Array<{ manager: string; time: string; subresource?: string }> = []): KubeObject {
  const object: KubeObject = {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name: "nexus-p", namespace: "ns", uid: "ap-uid", annotations: { [CONTENT_HASH_ANNOTATION]: hash }, managedFields: [{ manager: "nexus-operator", time: "2026-12-01T00:00:00Z" }, ...managers] },
  };
  rememberOtherFieldManagers(object, "nexus-operator");
  return object;
}

function setup() {
  let now = 0;
  const events: Array<{ type: string; reason: string; message: string }> = [];
  const repairs = new DriftRepairs({ record: (_o, type, reason, message) => events.push({ type, reason, message }) }, { firstHoldOffMs: 1_000, maxHoldOffMs: 8_000, now: () => now });
  return { repairs, events, advance: (ms: number) => (now += ms) };
}

describe("DriftRepairs", () => {
  const desired = rendered("h1");

  it("never holds back a new rendering or a missing object", () => {
    const { repairs, events } = setup();
    for (let i = 0; i < 5; i++) {
      expect(repairs.mayWrite(owner, desired, undefined)).toBe(true);
      expect(repairs.mayWrite(owner, desired, rendered("h0", [{ manager: "kubectl", time: "2026-12-01T00:01:00Z" }]))).toBe(true);
    }
    expect(events).toEqual([]);
    expect(repairs.requeueAfter("ns/p")).toBeUndefined();
  });

  it("repairs a first drift at once and spaces out repeated ones, doubling up to the ceiling", () => {
    const { repairs, advance } = setup();
    const drifted = rendered("h1", [{ manager: "intruder", time: "2026-12-01T00:01:00Z" }]);
    expect(repairs.mayWrite(owner, desired, drifted)).toBe(true);
    const gaps: number[] = [];
    for (let round = 0; round < 6; round++) {
      advance(10);
      expect(repairs.mayWrite(owner, desired, drifted)).toBe(false);
      const wait = repairs.requeueAfter("ns/p")!;
      gaps.push(wait + 10);
      advance(wait);
      expect(repairs.mayWrite(owner, desired, drifted)).toBe(true);
    }
    expect(gaps).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  });

  it("starts over once the object has been left alone", () => {
    const { repairs, advance } = setup();
    const drifted = rendered("h1", [{ manager: "intruder", time: "2026-12-01T00:01:00Z" }]);
    expect(repairs.mayWrite(owner, desired, drifted)).toBe(true);
    advance(16_001);
    expect(repairs.mayWrite(owner, desired, drifted)).toBe(true);
  });

  it("names the latest other writer in one Warning Event per writer, not per repair", () => {
    const { repairs, events, advance } = setup();
    const byIntruder = rendered("h1", [
      { manager: "old-tool", time: "2026-12-01T00:00:30Z" },
      { manager: "intruder", time: "2026-12-01T00:01:00Z" },
      { manager: "pilot", time: "2026-12-01T00:02:00Z", subresource: "status" },
    ]);
    for (let i = 0; i < 4; i++) {
      repairs.mayWrite(owner, desired, byIntruder);
      advance(60_000 / 4);
    }
    repairs.mayWrite(owner, desired, rendered("h1", [{ manager: "other-script", time: "2026-12-01T00:03:00Z" }]));
    expect(events.map((e) => [e.type, e.reason])).toEqual([
      ["Warning", DRIFT_REASON],
      ["Warning", DRIFT_REASON],
    ]);
    expect(events[0]!.message).toContain('AuthorizationPolicy nexus-p was changed by field manager "intruder"');
    expect(events[1]!.message).toContain('field manager "other-script"');
  });
});
