import { describe, expect, it } from "vitest";
import { CONTENT_HASH_ANNOTATION } from "../render/metadata.js";
import type { KubeObject } from "../runtime/kube-client.js";
import { istioVerdict } from "./istio-read-back.js";
import { istioObjectionsOf, keepIstioObjections, WAYPOINT_ACCEPTED, WAYPOINT_BOUND, ZTUNNEL_ACCEPTED } from "./istio-verdicts.js";

const UNSUPPORTED = "ztunnel does not support HTTP attributes (found: methods). In ambient mode you must use a waypoint proxy to enforce HTTP rules.";

function authorizationPolicy(name: string, hash: string, conditions?: unknown[], generation = 2): KubeObject {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name, namespace: "team", generation, annotations: { [CONTENT_HASH_ANNOTATION]: hash } },
    ...(conditions ? { status: { conditions } } : {}),
  };
}

function service(name: string, conditions?: unknown[]): KubeObject {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace: "team" }, ...(conditions ? { status: { conditions } } : {}) };
}

const accepted = (type: string, generation = 2) => ({ type, status: "True", reason: "Accepted", message: "attached to ztunnel", observedGeneration: generation, lastTransitionTime: "2026-12-04T10:00:00Z" });

describe("keepIstioObjections (cache transform)", () => {
  it("keeps only Istio's objections of the asked types, and nothing else of the status", () => {
    const object = authorizationPolicy("p", "h", [
      accepted(WAYPOINT_ACCEPTED),
      { type: ZTUNNEL_ACCEPTED, status: "True", reason: "UnsupportedValue", message: UNSUPPORTED, observedGeneration: 2, lastTransitionTime: "x" },
      { type: "SomethingElse", status: "False", reason: "Nope", message: "not ours to read" },
    ]);
    (object.status as Record<string, unknown>).other = { large: "x".repeat(100) };
    keepIstioObjections(object, [ZTUNNEL_ACCEPTED, WAYPOINT_ACCEPTED]);
    expect(object.status).toEqual({ conditions: [{ type: ZTUNNEL_ACCEPTED, status: "True", reason: "UnsupportedValue", message: UNSUPPORTED, observedGeneration: 2 }] });
  });

  it("keeps no status at all where Istio accepts everything or wrote nothing", () => {
    const object = authorizationPolicy("p", "h", [accepted(ZTUNNEL_ACCEPTED)]);
    keepIstioObjections(object, [ZTUNNEL_ACCEPTED]);
    expect(object.status).toBeUndefined();
    const none = authorizationPolicy("q", "h");
    keepIstioObjections(none, [ZTUNNEL_ACCEPTED]);
    expect(none.status).toBeUndefined();
  });
});

describe("istioObjectionsOf", () => {
  it("counts False, and True with a partial reason (UnsupportedValue, PartiallyInvalid), not Accepted or Unknown", () => {
    const object = authorizationPolicy("p", "h", [
      { type: WAYPOINT_ACCEPTED, status: "True", reason: "PartiallyInvalid", message: "Invalid targetRefs: Service.core:team/gone", observedGeneration: 2 },
      { type: ZTUNNEL_ACCEPTED, status: "Unknown", reason: "Pending", message: "" },
    ]);
    expect(istioObjectionsOf(object, [ZTUNNEL_ACCEPTED, WAYPOINT_ACCEPTED]).map((o) => `${o.type}/${o.reason}`)).toEqual([`${WAYPOINT_ACCEPTED}/PartiallyInvalid`]);
  });

  it("leaves out a condition Istio wrote for an older generation of the object", () => {
    const object = authorizationPolicy("p", "h", [{ type: ZTUNNEL_ACCEPTED, status: "False", reason: "UnsupportedValue", message: "old", observedGeneration: 1 }], 2);
    expect(istioObjectionsOf(object, [ZTUNNEL_ACCEPTED])).toEqual([]);
  });
});

describe("istioVerdict", () => {
  // The sidecar form's nexus-p, the ambient form's nexus-p.ztunnel (selector) and nexus-p.waypoint (targetRefs).
  const rendered = [authorizationPolicy("nexus-p", "h0"), authorizationPolicy("nexus-p.ztunnel", "h1"), authorizationPolicy("nexus-p.waypoint", "h2")];
  const policyName = "p";
  const unsupported = { type: ZTUNNEL_ACCEPTED, status: "True", reason: "UnsupportedValue", message: UNSUPPORTED, observedGeneration: 2 };

  it("turns ztunnel's UnsupportedValue on an ambient-only target into Istio's reason and words, naming the object", () => {
    const verdict = istioVerdict({ policyName, forms: ["ambient"], rendered, live: [authorizationPolicy("nexus-p.ztunnel", "h1", [unsupported]), authorizationPolicy("nexus-p.waypoint", "h2")], services: [] });
    expect(verdict?.reason).toBe("UnsupportedValue");
    expect(verdict?.message).toContain("AuthorizationPolicy team/nexus-p.ztunnel: ZtunnelAccepted=True (UnsupportedValue)");
    expect(verdict?.message).toContain(UNSUPPORTED);
  });

  it("assumes nothing where Istio wrote nothing, or accepted everything", () => {
    expect(istioVerdict({ policyName, forms: ["ambient"], rendered, live: [authorizationPolicy("nexus-p.ztunnel", "h1"), authorizationPolicy("nexus-p.waypoint", "h2", [accepted(WAYPOINT_ACCEPTED)])], services: [service("ledger")] })).toBeUndefined();
  });

  it("ignores ztunnel's word on the sidecar form's objects (a sidecar enforces them whole), also while a namespace migrates", () => {
    const onSidecarForm = [authorizationPolicy("nexus-p", "h0", [unsupported])];
    expect(istioVerdict({ policyName, forms: ["sidecar"], rendered, live: onSidecarForm, services: [] })).toBeUndefined();
    expect(istioVerdict({ policyName, forms: ["ambient", "sidecar"], rendered, live: onSidecarForm, services: [] })).toBeUndefined();
    // ...but not on the ambient form's ztunnel objects, nor the waypoint's word.
    expect(istioVerdict({ policyName, forms: ["ambient", "sidecar"], rendered, live: [authorizationPolicy("nexus-p.ztunnel", "h1", [unsupported])], services: [] })?.reason).toBe("UnsupportedValue");
    const waypoint = [authorizationPolicy("nexus-p.waypoint", "h2", [{ type: WAYPOINT_ACCEPTED, status: "False", reason: "AncestorNotBound", message: "Service team/ledger is not bound to a waypoint", observedGeneration: 2 }])];
    expect(istioVerdict({ policyName, forms: ["ambient", "sidecar"], rendered, live: waypoint, services: [] })?.reason).toBe("AncestorNotBound");
  });

  it("ignores Istio's word on a live object that no longer holds what is rendered (a stale version)", () => {
    expect(istioVerdict({ policyName, forms: ["ambient"], rendered, live: [authorizationPolicy("nexus-p.ztunnel", "h-old", [unsupported])], services: [] })).toBeUndefined();
  });

  it("reads WaypointBound=False on the target's Services", () => {
    const verdict = istioVerdict({
      policyName,
      forms: ["ambient"],
      rendered,
      live: [],
      services: [service("ledger", [{ type: WAYPOINT_BOUND, status: "False", reason: "WaypointNotFound", message: "waypoint team/waypoint not found" }])],
    });
    expect(verdict?.reason).toBe("WaypointNotFound");
    expect(verdict?.message).toContain("Service team/ledger: istio.io/WaypointBound=False (WaypointNotFound): waypoint team/waypoint not found");
  });

  it("gives a generic reason where Istio's is not a valid condition reason", () => {
    const verdict = istioVerdict({ policyName, forms: ["ambient"], rendered, live: [], services: [service("ledger", [{ type: WAYPOINT_BOUND, status: "False", reason: "not a reason!", message: "m" }])] });
    expect(verdict?.reason).toBe("IstioNotEnforced");
  });
});
