// nexus-authz as its own process against the real apiserver: a Check client that builds
// requests as Envoy does, keys and tokens made for the test, a local HTTPS JWKS issuer and
// a real Redis. Every answer of the contract, bad input, rotation, revocation and the
// shared rate-limit budget.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { apiKeySha256, generateApiKey } from "../../operator/credentials/api-key.js";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { waitFor } from "../controlplane/wait.js";
import { adminClient, createNamespace, deleteNamespace, uniqueName } from "../support/kube.js";
import { rememberCreated } from "./support/credentials-created.js";
import { EnvoyCheckClient, envoyCheckRequest, type EnvoyRequest } from "./support/envoy-check-client.js";
import { startGateProcess, type GateProcess } from "./support/gate-process.js";
import { jwksAllowed, startTokenIssuer, type TokenIssuer } from "./support/jwks-server.js";
import { freeLoopbackPort, startRedis, type RedisServer } from "./support/redis.js";
import { svidFor } from "./support/svid.js";

const API = "security.nexus.io/v1alpha1";

function newKey(id: string): string {
  const key = generateApiKey(id);
  rememberCreated(key);
  return key;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe("nexus-authz, the credential gate, as its own process", () => {
  const ns = uniqueName("authz");
  let admin: KubeClient;
  let issuer: TokenIssuer;
  let redis: RedisServer;
  let gate: GateProcess;
  let client: EnvoyCheckClient;
  let caFile: string;
  let webSvid: string;
  const keys = { current: "", old: "", other: "" };
  let oldNotAfter = 0;
  const destination = () => `spiffe://cluster.local/ns/${ns}/sa/ledger`;
  const host = () => `ledger.${ns}.svc.cluster.local:8080`;
  let sources = 0;
  /** A request from a source of its own (rate-limit budgets are per source). */
  const fresh = (request: Omit<EnvoyRequest, "destinationPrincipal" | "host">, from = `127.0.${++sources >> 8}.${sources & 255}`): EnvoyRequest => ({
    destinationPrincipal: destination(),
    host: host(),
    sourceAddress: from,
    ...request,
  });

  const policySpec = (keyList: Array<Record<string, unknown>>) => ({
    targetIdentity: "ledger",
    authentication: {
      apiKeys: { keys: keyList },
      jwt: [{ issuer: issuer.issuer, jwksUri: issuer.jwksUri, audiences: ["ledger"] }],
    },
    rules: [
      { from: [{ apiKey: { tenant: "acme" } }, { jwt: { issuer: issuer.issuer, subjects: ["alice"] } }], to: [{ methods: ["GET", "POST"], paths: ["/v1/*"], ports: [8080] }] },
      { from: [{ identity: { name: "web" } }], to: [{ methods: ["GET"], paths: ["/mesh/*"] }] },
    ],
  });

  beforeAll(async () => {
    const kubeconfig = inject("kubeconfig");
    admin = adminClient(kubeconfig);
    [issuer, redis] = await Promise.all([startTokenIssuer(), startRedis()]);
    const dir = await mkdtemp(path.join(tmpdir(), "nexus-authz-"));
    caFile = path.join(dir, "issuer-ca.pem");
    await writeFile(caFile, issuer.caPem);
    webSvid = await svidFor(`spiffe://cluster.local/ns/${ns}/sa/web`);
    keys.current = newKey("current");
    keys.old = newKey("old");
    keys.other = newKey("other");
    await createNamespace(admin, ns);
    for (const name of ["ledger", "web"]) {
      await admin.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name, namespace: ns }, spec: { tenant: "acme", workloadSelector: { matchLabels: { app: name } } } });
    }
    await admin.create({
      apiVersion: API,
      kind: "AccessPolicy",
      metadata: { name: "ledger-callers", namespace: ns },
      spec: policySpec([
        { id: "current", sha256: apiKeySha256(keys.current), tenant: "acme" },
        { id: "old", sha256: apiKeySha256(keys.old), tenant: "acme" },
        { id: "other", sha256: apiKeySha256(keys.other), tenant: "globex" },
      ]),
    });
    gate = await startGateProcess(kubeconfig, { args: ["--jwks-cooldown=1", "--rate-limit-failures=5", "--rate-limit-window=60", "--rate-limit-block=30", ...jwksAllowed(issuer)], env: { NODE_EXTRA_CA_CERTS: caFile } });
    await gate.waitForLog("caches synced; answering Checks", 60_000);
    client = new EnvoyCheckClient(gate.grpcAddress);
    // The policy was created before the gate started; wait until its index holds it.
    await waitFor(async () => ((await client.check(fresh({ path: "/v1/items", headers: { "x-api-key": keys.current } }))).status === 200 ? true : undefined), {
      timeoutMs: 15_000,
      description: "the gate to accept the current key",
    });
  }, 180_000);

  afterAll(async () => {
    client?.close();
    await gate?.stop();
    await issuer?.stop();
    await redis?.stop();
    if (admin) await deleteNamespace(admin, ns);
    admin?.close();
  });

  it("answers OK for a valid key: the key header removed, x-nexus-caller added", async () => {
    const answer = await client.check(fresh({ method: "POST", path: "/v1/items?page=2&token=abc", headers: { "x-api-key": keys.current, "x-nexus-caller": "forged" } }));
    expect(answer.status).toBe(200);
    expect(answer.headers["x-nexus-caller"]).toBe("current");
    expect(answer.headersToRemove).toEqual(["x-api-key"]);
    const viaAuthorization = await client.check(fresh({ path: "/v1/items", headers: { authorization: `ApiKey ${keys.current}` } }));
    expect(viaAuthorization).toMatchObject({ status: 200, headersToRemove: ["authorization"] });
  });

  it("answers 401 with WWW-Authenticate for a missing, unknown, mistyped or malformed credential", async () => {
    const wrongChecksum = `${keys.current.slice(0, -6)}${keys.current.endsWith("000000") ? "111111" : "000000"}`;
    const unknown = newKey("current");
    for (const headers of [{}, { "x-api-key": unknown }, { "x-api-key": wrongChecksum }, { "x-api-key": "hunter2" }, { authorization: "Bearer not.a.jwt" }] as Array<Record<string, string>>) {
      const answer = await client.check(fresh({ path: "/v1/items", headers }));
      expect(answer.status, JSON.stringify(Object.keys(headers))).toBe(401);
      expect(answer.rpcCode).toBe(16);
      expect(answer.headers["www-authenticate"]).toContain('ApiKey realm="nexus"');
      expect(answer.headers["www-authenticate"]).toContain('Bearer realm="nexus"');
    }
  });

  it("answers 403 with the same body whatever the reason: path, method, port, another tenant's key", async () => {
    const answers = await Promise.all([
      client.check(fresh({ path: "/admin", headers: { "x-api-key": keys.current } })),
      client.check(fresh({ method: "DELETE", path: "/v1/items", headers: { "x-api-key": keys.current } })),
      client.check({ ...fresh({ path: "/v1/items", headers: { "x-api-key": keys.current } }), destinationPort: 9090 }),
      client.check(fresh({ path: "/v1/items", headers: { "x-api-key": keys.other } })),
    ]);
    expect(answers.map((a) => a.status)).toEqual([403, 403, 403, 403]);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect(answers[0]!.body).not.toMatch(/ledger|admin|current|other|tenant|path/);
  });

  it("admits a mesh caller named by a rule, its principal read from its certificate's URI SAN", async () => {
    const answer = await client.check(fresh({ path: "/mesh/health", peerCertificatePem: webSvid }));
    expect(answer.status).toBe(200);
    expect(answer.headers["x-nexus-caller"]).toBe(`spiffe://cluster.local/ns/${ns}/sa/web`);
    const stranger = await svidFor(`spiffe://cluster.local/ns/${ns}/sa/stranger`);
    expect((await client.check(fresh({ path: "/mesh/health", peerCertificatePem: stranger }))).status).toBe(401);
  });

  it("verifies ES256 JWTs from the HTTPS JWKS: allowed subject OK, other subject 403, expired / alg none / undeclared issuer 401", async () => {
    const alice = await issuer.sign({ sub: "alice" });
    const bob = await issuer.sign({ sub: "bob" });
    const expired = await issuer.sign({ sub: "alice" }, { expiresInSeconds: -3600 });
    const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    const payload = Buffer.from(JSON.stringify({ iss: issuer.issuer, sub: "alice", aud: "ledger", exp: Math.floor(Date.now() / 1000) + 300 })).toString("base64url");
    const none = `${header}.${payload}.`;
    const otherIssuer = await startTokenIssuer();
    const undeclared = await otherIssuer.sign({ sub: "alice" });
    await otherIssuer.stop();
    rememberCreated(alice, bob, expired, none, undeclared);
    const ok = await client.check(fresh({ path: "/v1/items", headers: { authorization: `Bearer ${alice}` } }));
    expect(ok).toMatchObject({ status: 200, headersToRemove: ["authorization"] });
    expect(ok.headers["x-nexus-caller"]).toBe(`${issuer.issuer}/alice`);
    expect((await client.check(fresh({ path: "/v1/items", headers: { authorization: `Bearer ${bob}` } }))).status).toBe(403);
    for (const token of [expired, none, undeclared]) {
      const answer = await client.check(fresh({ path: "/v1/items", headers: { authorization: `Bearer ${token}` } }));
      expect(answer.status).toBe(401);
      expect(answer.headers["www-authenticate"]).toContain('error="invalid_token"');
    }
  });

  it("survives bad input with no crash: no attributes (403: no destination), 1,000 headers, a 64 KiB header, non-UTF-8 bytes (401)", async () => {
    expect((await client.checkRaw({})).status).toBe(403);
    const many: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) many[`x-filler-${i}`] = `value-${i}`;
    expect((await client.check(fresh({ path: "/v1/items", headers: many }))).status).toBe(401);
    expect((await client.check(fresh({ path: "/v1/items", headers: { "x-api-key": `nxk_${"a".repeat(64 * 1024)}` } }))).status).toBe(401);
    expect((await client.check(fresh({ path: "/v1/items", headers: { authorization: `Bearer ${"e".repeat(64 * 1024)}` } }))).status).toBe(401);
    const raw = await client.checkRaw(envoyCheckRequest(fresh({ path: "/v1/items", rawHeaders: [["x-api-key", Buffer.from([0x6e, 0x78, 0x6b, 0x5f, 0xff, 0xfe, 0xc3, 0x28])]] })));
    expect(raw.status).toBe(401);
    // Still serving and healthy after all of it.
    expect(gate.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${gate.probePort}/healthz`)).status).toBe(200);
    expect((await client.check(fresh({ path: "/v1/items", headers: { "x-api-key": keys.current } }))).status).toBe(200);
  });

  it("answers 429 with Retry-After to a client's further failing attempts once it spends its failure budget, and still admits its valid key", async () => {
    const source = "127.9.9.9";
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await client.check(fresh({ path: "/v1/items", headers: { "x-api-key": newKey("guess") } }, source))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const blocked = await client.check(fresh({ path: "/v1/items", headers: { "x-api-key": newKey("guess") } }, source));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
    expect((await client.check(fresh({ path: "/v1/items", headers: { "x-api-key": keys.current } }, source))).status).toBe(200);
    expect((await client.check(fresh({ path: "/v1/items", headers: { "x-api-key": keys.current } }))).status).toBe(200);
  });

  it("rotates keys: old and new overlap, both accepted; the old one answers 401 after its notAfter", async () => {
    // The old key's notAfter is set now, a few seconds ahead: the overlap of a rotation.
    oldNotAfter = Date.now() + 3_000;
    await admin.mergePatch(
      resources.accessPolicy,
      "ledger-callers",
      ns,
      {
        spec: policySpec([
          { id: "current", sha256: apiKeySha256(keys.current), tenant: "acme" },
          { id: "old", sha256: apiKeySha256(keys.old), tenant: "acme", notAfter: new Date(oldNotAfter).toISOString() },
          { id: "other", sha256: apiKeySha256(keys.other), tenant: "globex" },
        ]),
      },
      "nexus-test",
    );
    expect((await client.check(fresh({ path: "/v1/items", headers: { "x-api-key": keys.old } }))).status).toBe(200);
    expect((await client.check(fresh({ path: "/v1/items", headers: { "x-api-key": keys.current } }))).status).toBe(200);
    const refused = await waitFor(
      async () => {
        const answer = await client.check(fresh({ path: "/v1/items", headers: { "x-api-key": keys.old } }));
        return answer.status === 401 ? Date.now() : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, description: "the old key to be refused after its notAfter" },
    );
    // RFC 3339 in the policy keeps milliseconds; refusal comes at notAfter, not before.
    expect(refused).toBeGreaterThanOrEqual(oldNotAfter);
    expect((await client.check(fresh({ path: "/v1/items", headers: { "x-api-key": keys.current } }))).status).toBe(200);
  });

  it("refuses a key removed from the policy within one second of the apply (p99 over 50 revocations)", async () => {
    const revocations: number[] = [];
    const name = "revocation";
    const spec = (keyList: Array<Record<string, unknown>>) => ({ targetIdentity: "ledger", authentication: { apiKeys: { keys: keyList } }, rules: [{ from: [{ apiKey: { tenant: "acme" } }], to: [{ paths: ["/revocable/*"] }] }] });
    await admin.create({ apiVersion: API, kind: "AccessPolicy", metadata: { name, namespace: ns }, spec: spec([{ id: "placeholder", sha256: "0".repeat(64), tenant: "acme" }]) });
    for (let i = 0; i < 50; i++) {
      const key = newKey(`r${i}`);
      await admin.mergePatch(resources.accessPolicy, name, ns, { spec: spec([{ id: `r${i}`, sha256: apiKeySha256(key), tenant: "acme" }]) }, "nexus-test");
      // Polls while the key is not yet known fail; each from a source of its own, so no budget is spent.
      await waitFor(async () => ((await client.check(fresh({ path: "/revocable/x", headers: { "x-api-key": key } }))).status === 200 ? true : undefined), {
        timeoutMs: 10_000,
        intervalMs: 5,
        description: `key r${i} to be accepted`,
      });
      const request = fresh({ path: "/revocable/x", headers: { "x-api-key": key } });
      const applied = performance.now();
      await admin.mergePatch(resources.accessPolicy, name, ns, { spec: spec([{ id: "placeholder", sha256: "0".repeat(64), tenant: "acme" }]) }, "nexus-test");
      await waitFor(async () => ((await client.check(request)).status === 401 ? true : undefined), { timeoutMs: 10_000, intervalMs: 2, description: `key r${i} to be refused` });
      revocations.push(performance.now() - applied);
    }
    const p50 = percentile(revocations, 50);
    const p99 = percentile(revocations, 99);
    console.log(`revocation, apply to first 401, 50 tries: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...revocations).toFixed(1)} ms`);
    expect(p99).toBeLessThan(1000);
  }, 180_000);

  it("follows a JWKS key rotation at the issuer: a token of the new key is accepted, refreshes stay bounded", async () => {
    const before = await issuer.sign({ sub: "alice" });
    expect((await client.check(fresh({ path: "/v1/items", headers: { authorization: `Bearer ${before}` } }))).status).toBe(200);
    await issuer.rotate();
    const after = await issuer.sign({ sub: "alice" });
    rememberCreated(before, after);
    const fetchesBefore = issuer.fetches;
    const started = Date.now();
    let attempts = 0;
    await waitFor(
      async () => {
        attempts++;
        return (await client.check(fresh({ path: "/v1/items", headers: { authorization: `Bearer ${after}` } }))).status === 200 ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 20, description: "a token signed with the rotated key to be accepted" },
    );
    const elapsedSeconds = (Date.now() - started) / 1000;
    // An unknown kid refreshes the set at most once per cooldown (1 s here), however many tokens arrive.
    expect(issuer.fetches - fetchesBefore).toBeLessThanOrEqual(Math.ceil(elapsedSeconds) + 1);
    console.log(`JWKS rotation: new key accepted after ${elapsedSeconds.toFixed(2)} s, ${attempts} Checks, ${issuer.fetches - fetchesBefore} JWKS fetches`);
    // A burst of tokens with kids the issuer never published: all 401, at most one refresh per cooldown.
    const burstFetches = issuer.fetches;
    const burstStarted = Date.now();
    const strangers = await Promise.all(Array.from({ length: 20 }, (_, i) => issuer.sign({ sub: "alice" }, { kid: `never-published-${i}` })));
    const answers = await Promise.all(strangers.map((token) => client.check(fresh({ path: "/v1/items", headers: { authorization: `Bearer ${token}` } }))));
    expect(answers.every((a) => a.status === 401)).toBe(true);
    expect(issuer.fetches - burstFetches).toBeLessThanOrEqual(Math.ceil((Date.now() - burstStarted) / 1000) + 1);
    console.log(`JWKS: 20 tokens with unknown kids caused ${issuer.fetches - burstFetches} fetches in ${Date.now() - burstStarted} ms`);
    // The old key is gone from the issuer's set, so its tokens no longer verify.
    expect((await client.check(fresh({ path: "/v1/items", headers: { authorization: `Bearer ${before}` } }))).status).toBe(401);
  });

  it("writes one audit record per decision with the contract's fields and no credential, and counts decisions", async () => {
    const requestId = `audit-${Date.now()}`;
    await client.check(fresh({ path: "/v1/items?api_key=in-query", headers: { "x-api-key": keys.current, cookie: "session=cookie-value", "x-request-id": requestId }, requestId }));
    const record = await waitFor(async () => (await gate.auditRecords()).find((r) => r.requestId === requestId), { timeoutMs: 5_000, description: "the audit record" });
    expect(record).toMatchObject({ decision: "allow", status: 200, reason: "api-key", method: "GET", path: "/v1/items", policy: `${ns}/ledger-callers`, caller: { keyId: "current" }, target: { principal: destination(), port: 8080 } });
    expect(typeof record.time).toBe("string");
    const all = await readFile(gate.auditPath, "utf8");
    for (const secret of [keys.current, keys.old, keys.other, "in-query", "cookie-value", "ApiKey nxk_", "Bearer ey"]) expect(all).not.toContain(secret);
    const metrics = await (await fetch(`http://127.0.0.1:${gate.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/nexus_authz_decisions_total\{decision="allow",reason="api-key"\} [1-9]/);
    expect(metrics).toMatch(/nexus_authz_decisions_total\{decision="unauthenticated",reason="no-credential"\} [1-9]/);
    expect(metrics).toMatch(/nexus_authz_decisions_total\{decision="rate-limited",reason="too-many-failures"\} [1-9]/);
    expect(metrics).toContain("nexus_authz_decision_duration_seconds_bucket");
    expect((await fetch(`http://127.0.0.1:${gate.probePort}/readyz`)).status).toBe(200);
  });

  it("shares one failure budget across two gates through Redis", async () => {
    const kubeconfig = inject("kubeconfig");
    const args = [`--rate-limit-redis=${redis.url}`, "--rate-limit-failures=4", "--rate-limit-window=60", "--rate-limit-block=30"];
    const [a, b] = await Promise.all([startGateProcess(kubeconfig, { args }), startGateProcess(kubeconfig, { args })]);
    const clientA = new EnvoyCheckClient(a.grpcAddress);
    const clientB = new EnvoyCheckClient(b.grpcAddress);
    try {
      await Promise.all([a.waitForLog("caches synced; answering Checks"), b.waitForLog("caches synced; answering Checks")]);
      const source = "127.7.7.7";
      const bad = () => fresh({ path: "/v1/items", headers: { "x-api-key": newKey("guess") } }, source);
      // Four failures, alternating between the replicas: each replica alone saw only two.
      const statuses = [await clientA.check(bad()), await clientB.check(bad()), await clientA.check(bad()), await clientB.check(bad())].map((x) => x.status);
      expect(statuses).toEqual([401, 401, 401, 401]);
      expect((await clientA.check(bad())).status).toBe(429);
      for (const c of [clientA, clientB]) {
        const answer = await c.check(bad());
        expect(answer.status).toBe(429);
        expect(Number(answer.headers["retry-after"])).toBeGreaterThan(0);
      }
      // A valid key of the limited client is still admitted by both.
      const valid = fresh({ path: "/v1/items", headers: { "x-api-key": keys.current } }, source);
      for (const c of [clientA, clientB]) expect((await c.check(valid)).status).toBe(200);
      // Another source is untouched on both.
      expect((await clientB.check(fresh({ path: "/v1/items", headers: { "x-api-key": keys.current } }))).status).toBe(200);
    } finally {
      clientA.close();
      clientB.close();
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 120_000);

  it("is fail-closed while its caches are not synced: 503 on Check and on /readyz", async () => {
    // A kubeconfig whose apiserver does not answer: the informers never sync.
    const kubeconfig = await readFile(inject("kubeconfig"), "utf8");
    const deadPort = await freeLoopbackPort();
    const unreachable = path.join(path.dirname(caFile), "unreachable.kubeconfig");
    await writeFile(unreachable, kubeconfig.replace(/server: https:\/\/[^\s]+/, `server: https://127.0.0.1:${deadPort}`));
    const lonely = await startGateProcess(unreachable);
    const lonelyClient = new EnvoyCheckClient(lonely.grpcAddress);
    try {
      const answer = await lonelyClient.check(fresh({ path: "/v1/items", headers: { "x-api-key": keys.current } }));
      expect(answer.status).toBe(503);
      expect(answer.rpcCode).toBe(14);
      expect((await fetch(`http://127.0.0.1:${lonely.probePort}/readyz`)).status).toBe(503);
    } finally {
      lonelyClient.close();
      await lonely.stop();
    }
  });

  it("logged no key and no token, and exits cleanly on SIGTERM", async () => {
    const text = gate.lines.join("\n");
    for (const key of Object.values(keys)) expect(text).not.toContain(key);
    expect(await gate.stop()).toBe(0);
  });
});
