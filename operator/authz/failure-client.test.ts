import { describe, expect, it } from "vitest";
import { failureClientOf, failureKeyOf } from "./failure-client.js";

const GATEWAY = "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway";
const policy = (hops = 0) => ({ trustedGateways: new Set([GATEWAY]), trustedHops: hops });

describe("the client a failed authentication is counted against", () => {
  it("is the peer principal for mesh callers, whatever x-forwarded-for they send", () => {
    expect(failureClientOf({ sourcePrincipal: "spiffe://cluster.local/ns/a/sa/b", forwardedFor: "1.2.3.4" }, policy())).toBe("principal:spiffe://cluster.local/ns/a/sa/b");
  });

  it("is the address a trusted gateway appended, read from the right past the trusted hops", () => {
    expect(failureClientOf({ sourcePrincipal: GATEWAY, forwardedFor: "6.6.6.6, 203.0.113.9" }, policy(0))).toBe(`gateway:${GATEWAY}/address:203.0.113.9`);
    expect(failureClientOf({ sourcePrincipal: GATEWAY, forwardedFor: "6.6.6.6, 203.0.113.9, 10.0.0.1" }, policy(1))).toBe(`gateway:${GATEWAY}/address:203.0.113.9`);
    // Fewer entries than hops: the leftmost, still written by a trusted hop.
    expect(failureClientOf({ sourcePrincipal: GATEWAY, forwardedFor: "10.0.0.1" }, policy(2))).toBe(`gateway:${GATEWAY}/address:10.0.0.1`);
    expect(failureClientOf({ sourcePrincipal: GATEWAY }, policy())).toBe(`gateway:${GATEWAY}/address:unknown`);
    expect(failureClientOf({ sourcePrincipal: GATEWAY, forwardedFor: "[2001:DB8::1]:443" }, policy())).toBe(`gateway:${GATEWAY}/address:2001:db8::1`);
  });

  it("bounds what a client can put in a key: garbage becomes a short digest, keys are fixed-length digests", () => {
    const client = failureClientOf({ sourcePrincipal: GATEWAY, forwardedFor: "x".repeat(10_000) }, policy());
    expect(client.length).toBeLessThan(200);
    expect(failureKeyOf(client, "spiffe://cluster.local/ns/shop/sa/ledger")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(failureKeyOf("a", "b")).not.toBe(failureKeyOf("a", "c"));
  });

  it("is the source address when no principal is known", () => {
    expect(failureClientOf({ sourceAddress: "10.1.2.3" }, policy())).toBe("address:10.1.2.3");
  });
});
