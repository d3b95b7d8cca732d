import { describe, expect, it } from "vitest";
import { callerFromCertificate, callerFromXfcc, parseXfcc } from "./caller-identity.js";

const GATE = "spiffe://cluster.local/ns/nexus-system/sa/nexus-authz";
const LEDGER = "spiffe://cluster.local/ns/shop/sa/ledger";
const ATTACKER = "spiffe://cluster.local/ns/evil/sa/attacker";

describe("the Check's sender from x-forwarded-client-cert", () => {
  it("parses quoted values holding separators and repeated keys", () => {
    const elements = parseXfcc(`By=${GATE};Hash=abc;Subject="CN=a,O=b;c";URI=${LEDGER};DNS=a.example;DNS=b.example,By=x;URI=y`);
    expect(elements).toHaveLength(2);
    expect(elements![0]!.get("subject")).toEqual(["CN=a,O=b;c"]);
    expect(elements![0]!.get("dns")).toEqual(["a.example", "b.example"]);
    expect(elements![1]!.get("uri")).toEqual(["y"]);
  });

  it("reads only the last element, the one the gate's own sidecar appended (APPEND_FORWARD)", () => {
    // The attacker sends its own XFCC naming the ledger; its sidecar-verified element comes last.
    const header = `By=${GATE};URI=${LEDGER},By=${GATE};Hash=00;URI=${ATTACKER}`;
    expect(callerFromXfcc(header, { ownSpiffeId: GATE })).toEqual({ ok: true, spiffeId: ATTACKER });
    expect(callerFromXfcc(`By=${GATE};URI=${LEDGER}`, { ownSpiffeId: GATE })).toEqual({ ok: true, spiffeId: LEDGER });
  });

  it("refuses an element not added by the gate's sidecar (By differs), a malformed header, none, or several SPIFFE IDs", () => {
    expect(callerFromXfcc(`By=spiffe://cluster.local/ns/x/sa/y;URI=${LEDGER}`, { ownSpiffeId: GATE }).ok).toBe(false);
    expect(callerFromXfcc(`URI=${LEDGER}`, { ownSpiffeId: GATE }).ok).toBe(false);
    expect(callerFromXfcc(`By=${GATE};Subject="unterminated;URI=${LEDGER}`, { ownSpiffeId: GATE }).ok).toBe(false);
    expect(callerFromXfcc(`By=${GATE};URI=${LEDGER},`, { ownSpiffeId: GATE }).ok).toBe(false);
    expect(callerFromXfcc(undefined, {}).ok).toBe(false);
    expect(callerFromXfcc(`By=${GATE};URI=${LEDGER};URI=${ATTACKER}`, { ownSpiffeId: GATE }).ok).toBe(false);
    expect(callerFromXfcc(`By=${GATE};URI=https://example.com`, { ownSpiffeId: GATE }).ok).toBe(false);
  });

  it("reads the SPIFFE ID from a verified client certificate's URI SAN", () => {
    expect(callerFromCertificate(`DNS:ledger.shop.svc, URI:${LEDGER}`)).toEqual({ ok: true, spiffeId: LEDGER });
    expect(callerFromCertificate("DNS:ledger.shop.svc").ok).toBe(false);
    expect(callerFromCertificate(undefined).ok).toBe(false);
  });
});
