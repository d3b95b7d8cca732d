import { describe, expect, it } from "vitest";
import type { AccessPolicySpec } from "../api/types.js";
import { findObject, identity, NAMESPACE, render } from "./test-fixtures.js";

const target = identity(NAMESPACE, "ledger", { workloadSelector: { tier: "core", app: "ledger" } });

describe("mtls renders a PeerAuthentication for the target", () => {
  it.each<[AccessPolicySpec["mtls"], string]>([
    [undefined, "STRICT"],
    ["Strict", "STRICT"],
    ["Permissive", "PERMISSIVE"],
  ])("mtls %s -> mode %s, with the target's selector", (mtls, mode) => {
    const result = render({ targetIdentity: "ledger", ...(mtls ? { mtls } : {}) }, [target]);
    expect(findObject(result, "PeerAuthentication")?.spec).toEqual({ selector: { matchLabels: { app: "ledger", tier: "core" } }, mtls: { mode } });
  });

  it("is absent without a target: the namespace baseline is STRICT already", () => {
    expect(findObject(render({ mtls: "Permissive", action: "Deny", rules: [{}] }), "PeerAuthentication")).toBeUndefined();
  });

  it("sorts the selector's labels so the output does not depend on their order", () => {
    const result = render({ targetIdentity: "ledger" }, [target]);
    expect(Object.keys(findObject(result, "PeerAuthentication")?.spec.selector?.matchLabels ?? {})).toEqual(["app", "tier"]);
  });
});
