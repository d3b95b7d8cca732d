import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import type { AccessPolicy, EngineIdentity } from "../api/types.js";
import { apiKeySha256, generateApiKey } from "../credentials/api-key.js";
import { checkResponseOf } from "./answers.js";
import { auditRecordOf } from "./audit.js";
import { RateLimitedFailures } from "./failure-limiter.js";
import { Gate, authenticateKey, type CheckSender } from "./gate.js";
import { GateIndex } from "./gate-index.js";
import { JoseTokenVerifier } from "./jwt-verifier.js";
import { gateRequestOf, type GateRequest } from "./request.js";

const NS = "shop";
const LEDGER = `spiffe://cluster.local/ns/${NS}/sa/ledger`;
const WEB = `spiffe://cluster.local/ns/${NS}/sa/web`;
const ISSUER = "https://login.example.com";
const NOW = Date.parse("2026-12-01T10:00:00Z");

function identity(name: string, tenant?: string): EngineIdentity {
  return { apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name, namespace: NS }, spec: { workloadSelector: { matchLabels: { app: name } }, ...(tenant ? { tenant } : {}) } };
}

function policy(spec: AccessPolicy["spec"], name = "ledger-callers"): AccessPolicy {
  return { apiVersion: "security.nexus.io/v1alpha1", kind: "AccessPolicy", metadata: { name, namespace: NS }, spec, status: { policyHash: "sha256:abc" } };
}

function request(headers: Record<string, string>, overrides: Partial<GateRequest> = {}): GateRequest {
  return {
    ...gateRequestOf({
      attributes: {
        source: { principal: WEB, address: { socket_address: { address: "127.0.0.1", port_value: 40000 } } },
        destination: { principal: LEDGER, address: { socket_address: { address: "127.0.0.1", port_value: 8080 } } },
        request: { http: { method: "GET", path: "/v1/items?secret=1", host: "ledger.shop.svc.cluster.local", headers: { ":path": "/v1/items?secret=1", ...headers } } },
      },
    }),
    ...overrides,
  };
}

/** A Check as the destination's own sidecar sends it: the sender is the destination principal. */
function fromDestination(request: GateRequest): CheckSender {
  return request.destinationPrincipal ? { identity: { ok: true, spiffeId: request.destinationPrincipal } } : { identity: { ok: false, problem: "none" } };
}

async function setup(options: { failures?: number; tenant?: string; keyTenant?: string; trustedGateways?: string[]; hops?: number; maxPathLength?: number } = {}) {
  const current = generateApiKey("current");
  const old = generateApiKey("old");
  const other = generateApiKey("other");
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" };
  const index = new GateIndex("cluster.local");
  index.setIdentity(identity("ledger", options.tenant));
  index.setIdentity(identity("web"));
  index.setPolicy(
    policy({
      targetIdentity: "ledger",
      authentication: {
        apiKeys: {
          keys: [
            { id: "current", sha256: apiKeySha256(current), ...(options.keyTenant ? { tenant: options.keyTenant } : {}) },
            { id: "old", sha256: apiKeySha256(old), notAfter: "2026-12-01T09:00:00Z" },
            { id: "future", sha256: apiKeySha256(generateApiKey("future")), notBefore: "2027-01-01T00:00:00Z" },
          ],
        },
        jwt: [{ issuer: ISSUER, jwks: JSON.stringify({ keys: [jwk] }), audiences: ["ledger"] }],
      },
      rules: [
        { from: [{ apiKey: { id: "current" } }, { apiKey: { id: "old" } }, { jwt: { issuer: ISSUER, subjects: ["alice"] } }], to: [{ methods: ["GET"], paths: ["/v1/*"] }] },
        { from: [{ identity: { name: "web" } }], to: [{ methods: ["GET"], paths: ["/mesh/*"] }] },
      ],
    }),
  );
  index.setPolicy(policy({ targetIdentity: "web", authentication: { apiKeys: { keys: [{ id: "other", sha256: apiKeySha256(other) }] } }, rules: [{ from: [{ apiKey: { id: "other" } }] }] }, "web-callers"));
  index.recompileAll();
  let ready = true;
  const realGate = new Gate({
    index,
    tokens: new JoseTokenVerifier({ cooldownMs: 1000, cacheMaxAgeMs: 60_000, clockToleranceSeconds: 0 }),
    limiter: RateLimitedFailures.inMemory({ failures: options.failures ?? 100, windowSeconds: 60, blockSeconds: 30 }),
    ready: () => ready,
    realm: "nexus",
    clients: { trustedGateways: new Set(options.trustedGateways ?? []), trustedHops: options.hops ?? 0 },
    maxPathLength: options.maxPathLength ?? 8192,
    now: () => NOW,
  });
  const gate = { decide: (r: GateRequest, sender: CheckSender = fromDestination(r)) => realGate.decide(r, sender) };
  // Tokens are checked by jose against the real clock, keys against the gate's (NOW).
  const token = (claims: Record<string, unknown>, exp = Math.floor(Date.now() / 1000) + 600) => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer(ISSUER).setAudience("ledger").setIssuedAt();
    // exp 0: a token without exp.
    return (exp === 0 ? jwt : jwt.setExpirationTime(exp)).sign(privateKey);
  };
  return { gate, index, current, old, other, token, jwks: JSON.stringify({ keys: [jwk] }), setReady: (r: boolean) => (ready = r) };
}

describe("credential gate decisions", () => {
  it("allows a valid key on an admitted operation, strips the key and names the caller", async () => {
    const { gate, current } = await setup();
    const decision = await gate.decide(request({ "x-api-key": current }));
    expect(decision).toMatchObject({ kind: "allow", reason: "api-key", callerHeader: "current", removeHeaders: ["x-api-key"] });
    const response = checkResponseOf(decision) as { status: { code: number }; ok_response: { headers: Array<{ header: { key: string; value: string } }>; headers_to_remove: string[] } };
    expect(response.status.code).toBe(0);
    expect(response.ok_response.headers[0]!.header).toEqual({ key: "x-nexus-caller", value: "current" });
    expect(response.ok_response.headers_to_remove).toEqual(["x-api-key"]);
  });

  it("decides a key at once and a token through a promise, to the same answers", async () => {
    const { gate, current, token } = await setup();
    // check-server.ts answers a decision that is not a promise in the same turn.
    const byKey = gate.decide(request({ "x-api-key": current }));
    expect(byKey).not.toBeInstanceOf(Promise);
    expect(byKey).toMatchObject({ kind: "allow", reason: "api-key", callerHeader: "current" });
    expect(gate.decide(request({ "x-api-key": current }, { path: "/admin" }))).toMatchObject({ kind: "forbidden", reason: "not-admitted" });
    const byToken = gate.decide(request({ authorization: `Bearer ${await token({ sub: "alice" })}` }));
    expect(byToken).toBeInstanceOf(Promise);
    expect(await byToken).toMatchObject({ kind: "allow", reason: "jwt" });
    // A failed key is counted by the limiter, which may wait for its store.
    expect(await gate.decide(request({ "x-api-key": generateApiKey("current") }))).toMatchObject({ kind: "unauthenticated" });
  });

  it("accepts the key as Authorization: ApiKey and removes that header", async () => {
    const { gate, current } = await setup();
    expect(await gate.decide(request({ authorization: `ApiKey ${current}` }))).toMatchObject({ kind: "allow", removeHeaders: ["authorization"] });
  });

  it("answers 401 with a challenge for no credential, and for malformed, mistyped, unknown, expired and not-yet-valid keys", async () => {
    const { gate, old, current } = await setup();
    const wrongChecksum = current.slice(0, -6) + (current.endsWith("AAAAAA") ? "BBBBBB" : "AAAAAA");
    const cases: Array<[Record<string, string>, string]> = [
      [{}, "no-credential"],
      [{ "x-api-key": "not-a-key" }, "malformed-key"],
      [{ "x-api-key": wrongChecksum }, "malformed-key"],
      [{ "x-api-key": generateApiKey("current") }, "unknown-key"],
      [{ "x-api-key": old }, "expired-key"],
    ];
    for (const [headers, reason] of cases) {
      const decision = await gate.decide(request(headers));
      expect(decision, reason).toMatchObject({ kind: "unauthenticated", reason });
      expect(decision.challenge).toContain('ApiKey realm="nexus"');
      expect(decision.challenge).toContain('Bearer realm="nexus"');
    }
  });

  it("tells a key that is not valid yet from an expired one", async () => {
    const { index } = await setup();
    const future = generateApiKey("soon");
    index.setPolicy(policy({ targetIdentity: "ledger", authentication: { apiKeys: { keys: [{ id: "soon", sha256: apiKeySha256(future), notBefore: "2027-01-01T00:00:00Z" }] } }, rules: [{ from: [{ apiKey: { id: "soon" } }] }] }, "soon"));
    expect(authenticateKey(future, index, NOW)).toEqual({ ok: false, reason: "key-not-yet-valid" });
    expect(authenticateKey(future, index, Date.parse("2027-01-02T00:00:00Z"))).toMatchObject({ ok: true });
  });

  it("answers 403 with one body for a valid key that no rule admits, whatever the reason", async () => {
    const { gate, current, other } = await setup();
    const wrongPath = await gate.decide(request({ "x-api-key": current }, { path: "/admin" }));
    const wrongMethod = await gate.decide(request({ "x-api-key": current }, { method: "DELETE" }));
    const otherPolicysKey = await gate.decide(request({ "x-api-key": other }));
    for (const d of [wrongPath, wrongMethod, otherPolicysKey]) expect(d).toMatchObject({ kind: "forbidden", reason: "not-admitted" });
    const bodies = new Set([wrongPath, wrongMethod, otherPolicysKey].map((d) => JSON.stringify(checkResponseOf(d))));
    expect(bodies.size).toBe(1);
  });

  it("verifies JWTs: allowed subject OK, other subject 403, expired / alg none / undeclared issuer / bad signature 401", async () => {
    const { gate, token } = await setup();
    const alice = await token({ sub: "alice" });
    const allowed = await gate.decide(request({ authorization: `Bearer ${alice}` }));
    expect(allowed).toMatchObject({ kind: "allow", reason: "jwt", callerHeader: `${ISSUER}/alice`, removeHeaders: ["authorization"] });
    expect(await gate.decide(request({ authorization: `Bearer ${await token({ sub: "bob" })}` }))).toMatchObject({ kind: "forbidden" });
    const expired = await token({ sub: "alice" }, Math.floor(Date.now() / 1000) - 3600);
    expect(await gate.decide(request({ authorization: `Bearer ${expired}` }))).toMatchObject({ kind: "unauthenticated", reason: "expired-token" });
    const none = new UnsecuredJWT({ sub: "alice" }).setIssuer(ISSUER).setAudience("ledger").encode();
    expect(await gate.decide(request({ authorization: `Bearer ${none}` }))).toMatchObject({ kind: "unauthenticated", reason: "invalid-token" });
    const { privateKey: stranger } = await generateKeyPair("ES256");
    const foreign = await new SignJWT({ sub: "alice" }).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer("https://evil.example.com").setAudience("ledger").setExpirationTime("5m").sign(stranger);
    expect(await gate.decide(request({ authorization: `Bearer ${foreign}` }))).toMatchObject({ kind: "unauthenticated", reason: "undeclared-issuer" });
    const forged = await new SignJWT({ sub: "alice" }).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer(ISSUER).setAudience("ledger").setExpirationTime(Math.floor(Date.now() / 1000) + 600).sign(stranger);
    const bad = await gate.decide(request({ authorization: `Bearer ${forged}` }));
    expect(bad).toMatchObject({ kind: "unauthenticated", reason: "invalid-token" });
    expect(bad.challenge).toContain('error="invalid_token"');
  });

  it("refuses a token it accepted before once the policy no longer accepts it", async () => {
    const { gate, index, token } = await setup();
    const alice = await token({ sub: "alice" });
    for (let i = 0; i < 2; i++) expect((await gate.decide(request({ authorization: `Bearer ${alice}` }))).kind).toBe("allow");
    const { privateKey: other, publicKey } = await generateKeyPair("ES256");
    const rotated = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "k2", alg: "ES256" }] });
    index.setPolicy(policy({ targetIdentity: "ledger", authentication: { apiKeys: { keys: [{ id: "later", sha256: "0".repeat(64) }] }, jwt: [{ issuer: ISSUER, jwks: rotated, audiences: ["ledger"] }] }, rules: [{ from: [{ jwt: { issuer: ISSUER } }] }] }));
    expect(await gate.decide(request({ authorization: `Bearer ${alice}` }))).toMatchObject({ kind: "unauthenticated", reason: "invalid-token" });
    const signedByNewKey = await new SignJWT({ sub: "alice" }).setProtectedHeader({ alg: "ES256", kid: "k2" }).setIssuer(ISSUER).setAudience("ledger").setExpirationTime("5m").sign(other);
    expect((await gate.decide(request({ authorization: `Bearer ${signedByNewKey}` }))).kind).toBe("allow");
  });

  it("admits a mesh caller named by a rule without any credential, and asks others for one", async () => {
    const { gate } = await setup();
    expect(await gate.decide(request({}, { path: "/mesh/status" }))).toMatchObject({ kind: "allow", reason: "mesh-identity", callerHeader: WEB });
    expect(await gate.decide(request({}, { path: "/mesh/status", sourcePrincipal: "spiffe://cluster.local/ns/other/sa/x" }))).toMatchObject({ kind: "unauthenticated", reason: "no-credential" });
  });

  it("rate-limits failed authentication per (client, target) with 429 and Retry-After, and still answers a valid key on its merits", async () => {
    const { gate, current } = await setup({ failures: 3 });
    const bad = { "x-api-key": generateApiKey("current") };
    const kinds = [];
    for (let i = 0; i < 4; i++) kinds.push((await gate.decide(request(bad))).kind);
    expect(kinds).toEqual(["unauthenticated", "unauthenticated", "unauthenticated", "rate-limited"]);
    const limited = await gate.decide(request(bad));
    expect(limited).toMatchObject({ kind: "rate-limited", reason: "too-many-failures" });
    const response = checkResponseOf(limited) as { denied_response: { status: { code: number }; headers: Array<{ header: { key: string; value: string } }> } };
    expect(response.denied_response.status.code).toBe(429);
    expect(Number(response.denied_response.headers.find((h) => h.header.key === "retry-after")!.header.value)).toBeGreaterThan(0);
    // The limited client's valid key is still admitted: the limiter never locks out a holder.
    expect(await gate.decide(request({ "x-api-key": current }))).toMatchObject({ kind: "allow" });
    // Another client keeps its own budget for failures.
    expect(await gate.decide(request(bad, { sourcePrincipal: "spiffe://cluster.local/ns/shop/sa/other" }))).toMatchObject({ kind: "unauthenticated" });
  });

  it("counts failures through a trusted gateway per external address (x-forwarded-for from the right), not per gateway", async () => {
    const GATEWAY = "spiffe://cluster.local/ns/istio-system/sa/ingressgateway";
    const { gate, current } = await setup({ failures: 2, trustedGateways: [GATEWAY], hops: 1 });
    const via = (xff: string, headers: Record<string, string>) => request({ ...headers, "x-forwarded-for": xff }, { sourcePrincipal: GATEWAY });
    const bad = { "x-api-key": generateApiKey("current") };
    // The attacker writes what it likes on the left; the load balancer (one trusted hop) adds its address, the gateway the LB's.
    const attackerKinds = [];
    for (let i = 0; i < 3; i++) attackerKinds.push((await gate.decide(via(`9.9.9.${i}, 203.0.113.7, 10.0.0.1`, bad))).kind);
    expect(attackerKinds).toEqual(["unauthenticated", "unauthenticated", "rate-limited"]);
    // Another internet client behind the same gateway fails on its own budget, and a valid key is admitted.
    expect((await gate.decide(via("198.51.100.4, 10.0.0.1", bad))).kind).toBe("unauthenticated");
    expect((await gate.decide(via("198.51.100.4, 10.0.0.1", { "x-api-key": current }))).kind).toBe("allow");
    expect((await gate.decide(via("203.0.113.7, 10.0.0.1", { "x-api-key": current }))).kind).toBe("allow");
    // x-forwarded-for from an untrusted peer is ignored: its failures count against its principal.
    const other = (xff: string) => request({ ...bad, "x-forwarded-for": xff }, { sourcePrincipal: "spiffe://cluster.local/ns/shop/sa/other" });
    expect([(await gate.decide(other("1.1.1.1"))).kind, (await gate.decide(other("2.2.2.2"))).kind, (await gate.decide(other("3.3.3.3"))).kind]).toEqual(["unauthenticated", "unauthenticated", "rate-limited"]);
  });

  it("accepts a Check only from the destination's own proxy: another sender gets 403, is rate-limited itself, and never spends the target's budget", async () => {
    const { gate, current } = await setup({ failures: 2 });
    const forger: CheckSender = { identity: { ok: true, spiffeId: "spiffe://cluster.local/ns/evil/sa/attacker" } };
    const forged = [];
    for (let i = 0; i < 3; i++) forged.push(await gate.decide(request({ "x-api-key": generateApiKey("current") }), forger));
    expect(forged.map((d) => d.kind)).toEqual(["forbidden", "forbidden", "rate-limited"]);
    expect(forged[0]).toMatchObject({ reason: "caller-not-destination", caller: { checkSender: "spiffe://cluster.local/ns/evil/sa/attacker" } });
    // A forged Check with the valid key learns nothing: refused like any other.
    expect((await gate.decide(request({ "x-api-key": current }), forger)).kind).not.toBe("allow");
    expect(await gate.decide(request({ "x-api-key": current }), { identity: { ok: false, problem: "no xfcc" }, peer: "ipv4:10.0.0.9:5000" })).toMatchObject({ kind: "forbidden", reason: "unknown-caller" });
    // The target's own proxy is untouched: its clients' failures start from zero.
    expect((await gate.decide(request({ "x-api-key": generateApiKey("current") }))).kind).toBe("unauthenticated");
    expect((await gate.decide(request({ "x-api-key": current }))).kind).toBe("allow");
  });

  it("finds the target by the destination principal only: no principal is 403, Host never chooses", async () => {
    const { gate, current, other } = await setup();
    const noPrincipal = request({ "x-api-key": current }, { destinationPrincipal: undefined as never });
    delete noPrincipal.destinationPrincipal;
    expect(await gate.decide(noPrincipal, { identity: { ok: true, spiffeId: LEDGER } })).toMatchObject({ kind: "forbidden", reason: "no-destination-principal" });
    // web's key, with a Host naming web, sent to ledger: ledger's policies decide.
    expect((await gate.decide(request({ "x-api-key": other }, { host: "web.shop.svc.cluster.local" }))).kind).not.toBe("allow");
  });

  it("refuses a gated target whose service account another EngineIdentity shares", async () => {
    const { gate, index, current } = await setup();
    index.setIdentity({ ...identity("ledger-twin"), spec: { serviceAccountName: "ledger", workloadSelector: { matchLabels: { app: "twin" } } } });
    index.recompilePending();
    expect(await gate.decide(request({ "x-api-key": current }))).toMatchObject({ kind: "forbidden", reason: "ambiguous-target" });
    index.setIdentity({ ...identity("ledger-twin"), spec: { serviceAccountName: "ledger", workloadSelector: { matchLabels: { app: "twin" } } } }, true);
    index.recompilePending();
    expect((await gate.decide(request({ "x-api-key": current }))).kind).toBe("allow");
  });

  it("matches paths whole and refuses paths over the limit; the audit record keeps a cut path", async () => {
    const { gate, current } = await setup({ maxPathLength: 2048 });
    const long = `/v1/${"p".repeat(1500)}`;
    expect((await gate.decide(request({ "x-api-key": current }, { path: long }))).kind).toBe("allow");
    const tooLong = `/v1/${"p".repeat(3000)}`;
    const req = request({ "x-api-key": current }, { path: tooLong });
    const decision = await gate.decide(req);
    expect(decision).toMatchObject({ kind: "forbidden", reason: "path-too-long" });
    expect(auditRecordOf(decision, req, NOW, 0.1).path.length).toBeLessThanOrEqual(1024 + 3);
  });

  it("refuses tokens without exp, and every token of an issuer that declares no audiences", async () => {
    const { gate, index, token, jwks } = await setup();
    const noExp = await token({ sub: "alice" }, 0);
    expect(await gate.decide(request({ authorization: `Bearer ${noExp}` }))).toMatchObject({ kind: "unauthenticated", reason: "invalid-token" });
    const alice = await token({ sub: "alice" });
    expect((await gate.decide(request({ authorization: `Bearer ${alice}` }))).kind).toBe("allow");
    // The same issuer and keys, with its audiences left out: nothing it signs is accepted.
    index.setPolicy(policy({ targetIdentity: "ledger", authentication: { gate: true, jwt: [{ issuer: ISSUER, jwks }] }, rules: [{ from: [{ jwt: { issuer: ISSUER } }], to: [{ paths: ["/v1/*"] }] }] }));
    expect(await gate.decide(request({ authorization: `Bearer ${alice}` }))).toMatchObject({ kind: "unauthenticated", reason: "invalid-token" });
  });

  it("answers 503 until its caches are synced (fail closed)", async () => {
    const { gate, current, setReady } = await setup();
    setReady(false);
    const decision = await gate.decide(request({ "x-api-key": current }));
    expect(decision.kind).toBe("unavailable");
    expect((checkResponseOf(decision) as { denied_response: { status: { code: number } } }).denied_response.status.code).toBe(503);
  });

  it("leaves out keys of another tenant than the target's", async () => {
    const { gate, current } = await setup({ tenant: "acme", keyTenant: "globex" });
    expect(await gate.decide(request({ "x-api-key": current }))).toMatchObject({ kind: "forbidden" });
  });

  it("isolates a target by its namespace's tenant label, and follows a relabelled namespace", async () => {
    const { gate, index, current } = await setup({ keyTenant: "globex" });
    expect((await gate.decide(request({ "x-api-key": current }))).kind).toBe("allow");
    expect(index.setNamespaceTenant(NS, "acme")).toBe(true);
    index.recompileAll();
    expect(await gate.decide(request({ "x-api-key": current }))).toMatchObject({ kind: "forbidden" });
    expect(index.setNamespaceTenant(NS, "acme")).toBe(false);
    index.setNamespaceTenant(NS, "globex");
    index.recompileAll();
    expect((await gate.decide(request({ "x-api-key": current }))).kind).toBe("allow");
  });

  it("refuses a key once the policy no longer declares it", async () => {
    const { gate, index, current } = await setup();
    expect((await gate.decide(request({ "x-api-key": current }))).kind).toBe("allow");
    index.setPolicy(policy({ targetIdentity: "ledger", authentication: { apiKeys: { keys: [{ id: "later", sha256: "0".repeat(64) }] } }, rules: [{ from: [{ apiKey: { id: "later" } }] }] }));
    expect(await gate.decide(request({ "x-api-key": current }))).toMatchObject({ kind: "unauthenticated", reason: "unknown-key" });
  });

  it("keeps its keys when identities change, and drops a policy's keys when its target goes", async () => {
    const { gate, index, current } = await setup();
    const keys = index.size.keys;
    index.setIdentity(identity("web", "acme"));
    index.recompileAll();
    expect(index.size.keys).toBe(keys);
    expect((await gate.decide(request({ "x-api-key": current }))).kind).toBe("allow");
    index.setIdentity(identity("ledger"), true);
    index.recompileAll();
    expect(await gate.decide(request({ "x-api-key": current }))).toMatchObject({ kind: "unauthenticated", reason: "unknown-key" });
    index.setIdentity(identity("ledger"));
    index.recompileAll();
    expect((await gate.decide(request({ "x-api-key": current }))).kind).toBe("allow");
  });

  it("writes audit records without the key, the token or the query string", async () => {
    const { gate, current, token } = await setup();
    const jwt = await token({ sub: "alice" });
    const cases: Array<Record<string, string>> = [{ "x-api-key": current }, { authorization: `Bearer ${jwt}` }, { "x-api-key": current.slice(0, -1) + "x", cookie: "session=s3cret" }];
    for (const headers of cases) {
      const req = request({ ...headers, "x-request-id": "req-1" });
      const record = auditRecordOf(await gate.decide(req), req, NOW, 0.1);
      const text = JSON.stringify(record);
      expect(text).not.toContain(current);
      expect(text).not.toContain(jwt);
      expect(text).not.toContain("secret=1");
      expect(text).not.toContain("s3cret");
      expect(record).toMatchObject({ path: "/v1/items", method: "GET", requestId: "req-1", target: { principal: LEDGER, port: 8080 } });
    }
  });

  it("reads raw header bytes that are not UTF-8 without failing", async () => {
    const { gate } = await setup();
    const req = gateRequestOf({
      attributes: {
        destination: { principal: LEDGER },
        request: { http: { method: "GET", path: "/v1/x", header_map: { headers: [{ key: "x-api-key", raw_value: Buffer.from([0x6e, 0x78, 0x6b, 0x5f, 0xff, 0xfe, 0xc3]) }] } } },
      },
    });
    expect(await gate.decide(req)).toMatchObject({ kind: "unauthenticated", reason: "malformed-key" });
  });
});
