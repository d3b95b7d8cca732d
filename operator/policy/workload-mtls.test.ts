import { describe, expect, it } from "vitest";
import { workloadMtlsName } from "../render/names.js";
import type { AccessPolicySpec } from "../api/types.js";
import { identityLookupOf } from "./identity-lookup.js";
import { accessPolicy, identity, NAMESPACE } from "./test-fixtures.js";
import { renderWorkloadMtls } from "./workload-mtls.js";

const ledger = identity(NAMESPACE, "ledger", { workloadSelector: { tier: "core", app: "ledger" } });
const audit = identity(NAMESPACE, "audit");
const identities = identityLookupOf([ledger, audit, identity(NAMESPACE, "blind", { workloadSelector: {} })]);

function policy(name: string, spec: AccessPolicySpec) {
  return accessPolicy(spec, { name });
}

function modes(policies: ReturnType<typeof policy>[], baselineDisabled = false) {
  return renderWorkloadMtls(NAMESPACE, policies, identities, { baselineDisabled }).map((o) => [o.metadata.name, o.spec.mtls.mode]);
}

describe("workload mTLS is rendered per target identity, only where it changes the baseline", () => {
  it("renders nothing for Strict targets while the namespace baseline is STRICT", () => {
    expect(modes([policy("a", { targetIdentity: "ledger" }), policy("b", { targetIdentity: "ledger", mtls: "Strict" })])).toEqual([]);
  });

  it("renders one PERMISSIVE PeerAuthentication with the target's sorted selector when every policy of the target says Permissive", () => {
    const [object, ...rest] = renderWorkloadMtls(
      NAMESPACE,
      [policy("a", { targetIdentity: "ledger", mtls: "Permissive" }), policy("b", { targetIdentity: "ledger", mtls: "Permissive" })],
      identities,
      { baselineDisabled: false },
    );
    expect(rest).toEqual([]);
    expect(object?.metadata.name).toBe(workloadMtlsName("ledger"));
    expect(object?.spec).toEqual({ selector: { matchLabels: { app: "ledger", tier: "core" } }, mtls: { mode: "PERMISSIVE" } });
    expect(Object.keys(object?.spec.selector?.matchLabels ?? {})).toEqual(["app", "tier"]);
  });

  it("stays STRICT (renders nothing) when one policy of the target says Strict, whatever the order of the policies", () => {
    const permissive = policy("a", { targetIdentity: "ledger", mtls: "Permissive" });
    const strict = policy("b", { targetIdentity: "ledger" });
    expect(modes([permissive, strict])).toEqual([]);
    expect(modes([strict, permissive])).toEqual([]);
  });

  it("renders STRICT per target when the namespace opted out of the baseline, and PERMISSIVE where all ask for it", () => {
    const policies = [policy("a", { targetIdentity: "ledger" }), policy("b", { targetIdentity: "audit", mtls: "Permissive" }), policy("c", {})];
    expect(modes(policies, true)).toEqual([
      [workloadMtlsName("audit"), "PERMISSIVE"],
      [workloadMtlsName("ledger"), "STRICT"],
    ]);
  });

  it("renders nothing for a target that does not exist or selects no pods, and nothing for namespace-wide policies", () => {
    const policies = [policy("a", { targetIdentity: "ghost", mtls: "Permissive" }), policy("b", { targetIdentity: "blind", mtls: "Permissive" }), policy("c", {})];
    expect(modes(policies, true)).toEqual([]);
  });

  it("ignores policies of other namespaces", () => {
    expect(modes([accessPolicy({ targetIdentity: "ledger", mtls: "Permissive" }, { name: "x", namespace: "elsewhere" })])).toEqual([]);
  });

  it("is owned by the target EngineIdentity when its uid is known, and labelled with it", () => {
    const [object] = renderWorkloadMtls(NAMESPACE, [policy("a", { targetIdentity: "ledger", mtls: "Permissive" })], identities, {
      baselineDisabled: false,
      identityUid: (name) => (name === "ledger" ? "uid-ledger" : undefined),
    });
    expect(object?.metadata.labels).toEqual({
      "app.kubernetes.io/managed-by": "nexus-operator",
      "security.nexus.io/identity": "ledger",
      "security.nexus.io/workload-mtls": "true",
    });
    expect(object?.metadata.ownerReferences).toEqual([
      { apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", name: "ledger", uid: "uid-ledger", controller: true, blockOwnerDeletion: true },
    ]);
  });
});
