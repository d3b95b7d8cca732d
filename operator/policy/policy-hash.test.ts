import { describe, expect, it } from "vitest";
import { identity, NAMESPACE, render } from "./test-fixtures.js";

const ledger = identity(NAMESPACE, "ledger", { workloadSelector: { app: "ledger" } });
const checkout = identity(NAMESPACE, "checkout");
const spec = { targetIdentity: "ledger", rules: [{ from: [{ identity: { name: "checkout" } }] }] };

describe("policyHash, the policy's version for audit", () => {
  it("changes when enforcement is switched on, although the rendered specs stay the same", () => {
    const enforced = render(spec, [ledger, checkout]);
    const dryRun = render({ ...spec, dryRun: true }, [ledger, checkout]);
    expect(dryRun.objects.map((o) => o.spec)).toEqual(enforced.objects.map((o) => o.spec));
    expect(dryRun.policyHash).not.toBe(enforced.policyHash);
  });

  it("changes when a resolved source changes, and not when nothing does", () => {
    const first = render(spec, [ledger, checkout]);
    expect(render(spec, [checkout, ledger]).policyHash).toBe(first.policyHash);
    expect(render(spec, [ledger, { ...checkout, serviceAccount: "checkout-v2" }]).policyHash).not.toBe(first.policyHash);
  });
});
