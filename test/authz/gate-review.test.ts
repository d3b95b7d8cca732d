// Regression tests for the credential gate's findings of the 2026-12 security review (issue
// 22: findings 3, 4, 5, 8, 9, 10, 11, 13 and the doubled log key of issue 24), each played
// as the attacker did, against nexus-authz as its own process and the real apiserver. Each
// fails on c4ef4ec.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { credentials } from "@grpc/grpc-js";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { apiKeySha256, generateApiKey } from "../../operator/credentials/api-key.js";
import type { KubeClient } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { createCertificateAuthority, createSvidCertificate } from "../controlplane/pki.js";
import { waitFor } from "../controlplane/wait.js";
import { adminClient, createNamespace, deleteNamespace, uniqueName } from "../support/kube.js";
import { rememberCreated } from "./support/credentials-created.js";
import { EnvoyCheckClient, sidecarXfccFor, TEST_GATE_SPIFFE_ID, type EnvoyRequest } from "./support/envoy-check-client.js";
import { GateInspector, inspectorUrlOf } from "./support/gate-inspector.js";
import { startGateProcess, type GateProcess } from "./support/gate-process.js";
import { startTokenIssuer, type TokenIssuer } from "./support/jwks-server.js";
import { svidFor } from "./support/svid.js";

const API = "security.nexus.io/v1alpha1";
const GATEWAY = "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway";
const FAILURES = 3;
const MAX_PATH = 4096;
const TOKEN_CACHE_BYTES = 1024 * 1024;

function newKey(id: string): string {
  const key = generateApiKey(id);
  rememberCreated(key);
  return key;
}

async function metric(gate: GateProcess, name: string, labels = ""): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gate.metricsPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(" ")[1]) : Number.NaN;
}

describe("the credential gate after the 2026-12 security review, as its own process", () => {
  const victim = uniqueName("gate-victim");
  const attacker = uniqueName("gate-attacker");
  let admin: KubeClient;
  let gate: GateProcess;
  let inspector: GateInspector;
  let client: EnvoyCheckClient;
  let issuer: TokenIssuer;
  let gatewaySvid: string;
  const keys = { ledger: "", png: "", twin: "", attacker: "" };
  const ledger = () => `spiffe://cluster.local/ns/${victim}/sa/ledger`;
  const evil = () => `spiffe://cluster.local/ns/${attacker}/sa/attacker`;
  let sources = 0;
  /** A request to the ledger from a mesh address of its own (budgets are per client). */
  const toLedger = (request: Omit<EnvoyRequest, "destinationPrincipal">, destination = ledger()): EnvoyRequest => ({
    destinationPrincipal: destination,
    host: `ledger.${victim}.svc.cluster.local:8080`,
    sourceAddress: `127.1.${++sources >> 8}.${sources & 255}`,
    ...request,
  });
  // The attacker's own issuer, keys inline in its own policy.
  let attackerSign: (claims: Record<string, unknown>, withExp?: boolean) => Promise<string>;
  let attackerIssuer = "";

  beforeAll(async () => {
    const kubeconfig = inject("kubeconfig");
    admin = adminClient(kubeconfig);
    issuer = await startTokenIssuer();
    gatewaySvid = await svidFor(GATEWAY);
    keys.ledger = newKey("ledger-client");
    keys.png = newKey("images");
    keys.twin = newKey("twin-client");
    keys.attacker = newKey("mine");
    await createNamespace(admin, victim);
    await createNamespace(admin, attacker);
    for (const [name, serviceAccountName] of [
      ["ledger", "ledger"],
      ["twin-a", "twin"],
      ["twin-b", "twin"],
    ] as const) {
      await admin.create({ apiVersion: API, kind: "EngineIdentity", metadata: { name, namespace: victim }, spec: { serviceAccountName, workloadSelector: { matchLabels: { app: name } } } });
    }
    await admin.create({
      apiVersion: API,
      kind: "AccessPolicy",
      metadata: { name: "ledger-callers", namespace: victim },
      spec: {
        targetIdentity: "ledger",
        authentication: { apiKeys: { keys: [{ id: "ledger-client", sha256: apiKeySha256(keys.ledger) }, { id: "images", sha256: apiKeySha256(keys.png) }] } },
        rules: [
          { from: [{ apiKey: { id: "ledger-client" } }], to: [{ paths: ["/v1/*"] }] },
          { from: [{ apiKey: { id: "images" } }], to: [{ methods: ["GET"], paths: ["*.png"] }] },
        ],
      },
    });
    await admin.create({
      apiVersion: API,
      kind: "AccessPolicy",
      metadata: { name: "twin-callers", namespace: victim },
      spec: { targetIdentity: "twin-a", authentication: { apiKeys: { keys: [{ id: "twin-client", sha256: apiKeySha256(keys.twin) }] } }, rules: [{ from: [{ apiKey: { id: "twin-client" } }] }] },
    });
    // The attacker's namespace: a namespace-wide gated policy with its own key, and its own
    // issuer with a JWKS inline padded to just under the 16 KiB limit.
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "attacker", alg: "ES256" };
    const padding = Array.from({ length: 200 }, (_, i) => ({ kty: "oct", kid: `pad-${i}`, k: "A".repeat(43) }));
    let jwksKeys = [jwk, ...padding];
    while (JSON.stringify({ keys: jwksKeys }).length > 16 * 1024 - 64) jwksKeys = jwksKeys.slice(0, -1);
    attackerIssuer = `https://issuer.${attacker}.example`;
    attackerSign = (claims, withExp = true) => {
      const jwt = new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "attacker" }).setIssuer(attackerIssuer).setAudience("mine").setIssuedAt();
      return (withExp ? jwt.setExpirationTime("10m") : jwt).sign(privateKey);
    };
    await admin.create({
      apiVersion: API,
      kind: "AccessPolicy",
      metadata: { name: "everything", namespace: attacker },
      spec: {
        authentication: {
          apiKeys: { keys: [{ id: "mine", sha256: apiKeySha256(keys.attacker) }] },
          jwt: [
            { issuer: attackerIssuer, jwks: JSON.stringify({ keys: jwksKeys }), audiences: ["mine"] },
            // Keys "served" from the gate's own loopback, through a name that resolves there.
            { issuer: issuer.issuer, jwksUri: issuer.jwksUri.replace("127.0.0.1", "localhost"), audiences: ["ledger"] },
          ],
        },
        rules: [{ from: [{ apiKey: { id: "mine" } }, { jwt: { issuer: attackerIssuer } }, { jwt: { issuer: issuer.issuer } }] }],
      },
    });
    const caFile = path.join(await mkdtemp(path.join(tmpdir(), "nexus-gate-review-")), "issuer-ca.pem");
    await writeFile(caFile, issuer.caPem);
    gate = await startGateProcess(kubeconfig, {
      args: [
        `--rate-limit-failures=${FAILURES}`,
        "--rate-limit-window=60",
        "--rate-limit-block=60",
        `--trusted-gateway-principals=${GATEWAY}`,
        "--trusted-gateway-hops=1",
        `--max-path-length=${MAX_PATH}`,
        `--token-cache-bytes=${TOKEN_CACHE_BYTES}`,
        // The host is allowed, the loopback address it resolves to is not.
        `--allowed-jwks-hosts=${new URL(issuer.jwksUri).host.replace("127.0.0.1", "localhost")}`,
      ],
      env: { NODE_EXTRA_CA_CERTS: caFile },
      // Memory is read after a full collection (finding 8), through node's inspector.
      nodeFlags: ["--inspect=127.0.0.1:0"],
    });
    await gate.waitForLog("caches synced; answering Checks", 60_000);
    const inspectorUrl = inspectorUrlOf(gate.lines);
    if (!inspectorUrl) throw new Error("the gate's inspector did not say where it listens");
    inspector = await GateInspector.connect(inspectorUrl);
    client = new EnvoyCheckClient(gate.grpcAddress);
    await waitFor(async () => ((await client.check(toLedger({ path: "/v1/items", headers: { "x-api-key": keys.ledger } }))).status === 200 ? true : undefined), {
      timeoutMs: 15_000,
      description: "the gate to accept the ledger's key",
    });
  }, 180_000);

  afterAll(async () => {
    client?.close();
    inspector?.close();
    await gate?.stop();
    await issuer?.stop();
    if (admin) await Promise.all([deleteNamespace(admin, victim), deleteNamespace(admin, attacker)]);
    admin?.close();
  });

  it("finding 3: one attacker behind the ingress gateway locks out only itself, per external address and target; valid keys always pass", async () => {
    // Through the gateway, with one trusted load balancer in front: x-forwarded-for is
    // "<whatever the client wrote>, <client address>, <load balancer>".
    const viaGateway = (address: string, headers: Record<string, string>, written = "1.2.3.4") =>
      toLedger({ path: "/v1/items", peerCertificatePem: gatewaySvid, headers: { ...headers, "x-forwarded-for": `${written}, ${address}, 10.0.0.1` } });
    const attackerStatuses = [];
    for (let i = 0; i < FAILURES + 2; i++) attackerStatuses.push((await client.check(viaGateway("203.0.113.66", { "x-api-key": newKey("guess") }, `198.18.0.${i}`))).status);
    expect(attackerStatuses).toEqual([...Array(FAILURES).fill(401), 429, 429]);
    const limited = await client.check(viaGateway("203.0.113.66", { "x-api-key": newKey("guess") }));
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    // Every other internet caller behind the same gateway is untouched...
    expect((await client.check(viaGateway("198.51.100.7", { "x-api-key": keys.ledger }))).status).toBe(200);
    expect((await client.check(viaGateway("198.51.100.7", { "x-api-key": newKey("typo") }))).status).toBe(401);
    // ...and so is the limited address itself when it presents a valid key.
    expect((await client.check(viaGateway("203.0.113.66", { "x-api-key": keys.ledger }))).status).toBe(200);
  });

  it("finding 4: only the destination's own proxy may ask; forged Checks get 403 (audited), are limited per sender and never touch the target's budget", async () => {
    const forged = (xfcc: string | null, headers: Record<string, string> = { "x-api-key": newKey("guess") }) => client.check(toLedger({ path: "/v1/items", headers }), { xfcc });
    const statuses = [];
    for (let i = 0; i < FAILURES + 1; i++) statuses.push((await forged(sidecarXfccFor(evil()))).status);
    expect(statuses).toEqual([...Array(FAILURES).fill(403), 429]);
    // A valid key in a forged Check learns nothing either.
    expect((await forged(sidecarXfccFor(evil()), { "x-api-key": keys.ledger })).status).not.toBe(200);
    // Elements a client writes itself come before the one the gate's sidecar appends: only the last counts.
    expect((await forged(`${sidecarXfccFor(ledger())},${sidecarXfccFor(`spiffe://cluster.local/ns/${attacker}/sa/other`)}`)).status).toBe(403);
    // An element not added by the gate's own sidecar, or none at all.
    expect((await forged(sidecarXfccFor(ledger(), `spiffe://cluster.local/ns/${attacker}/sa/fake-gate`))).status).toBe(403);
    expect((await forged(null)).status).toBe(403);
    // The ledger's own proxy is unaffected: its clients start from a full budget.
    expect((await client.check(toLedger({ path: "/v1/items", headers: { "x-api-key": newKey("typo") } }))).status).toBe(401);
    expect((await client.check(toLedger({ path: "/v1/items", headers: { "x-api-key": keys.ledger } }))).status).toBe(200);
    const records = await waitFor(
      async () => {
        const all = await gate.auditRecords();
        return all.some((r) => r.reason === "unknown-caller") ? all : undefined;
      },
      { timeoutMs: 5_000, description: "audit records of the refused Checks" },
    );
    expect(records.find((r) => r.reason === "caller-not-destination")).toMatchObject({ decision: "forbidden", status: 403, caller: { checkSender: evil() } });
  });

  it("finding 4: with --caller-identity=tls the sender is the client certificate the gate's own mTLS verified", async () => {
    const ca = await createCertificateAuthority("nexus-gate-review-ca");
    const serving = await createSvidCertificate(ca, TEST_GATE_SPIFFE_ID, [{ type: "ip", value: "127.0.0.1" }]);
    const dir = await mkdtemp(path.join(tmpdir(), "nexus-gate-tls-"));
    const files = { cert: path.join(dir, "tls.crt"), key: path.join(dir, "tls.key"), ca: path.join(dir, "ca.crt") };
    await Promise.all([writeFile(files.cert, serving.certPem), writeFile(files.key, serving.keyPem), writeFile(files.ca, ca.certPem)]);
    const tlsGate = await startGateProcess(inject("kubeconfig"), { args: ["--caller-identity=tls", `--tls-cert-file=${files.cert}`, `--tls-key-file=${files.key}`, `--tls-client-ca-file=${files.ca}`] });
    const clientFor = async (spiffeId: string) => {
      const svid = await createSvidCertificate(ca, spiffeId);
      return new EnvoyCheckClient(tlsGate.grpcAddress, credentials.createSsl(Buffer.from(ca.certPem), Buffer.from(svid.keyPem), Buffer.from(svid.certPem)));
    };
    const [asLedger, asAttacker] = await Promise.all([clientFor(ledger()), clientFor(evil())]);
    try {
      await tlsGate.waitForLog("caches synced; answering Checks");
      const valid = toLedger({ path: "/v1/items", headers: { "x-api-key": keys.ledger } });
      await waitFor(async () => ((await asLedger.check(valid, { xfcc: null })).status === 200 ? true : undefined), { timeoutMs: 15_000, description: "the TLS gate to admit the ledger's proxy" });
      // XFCC means nothing here: a client cannot name itself the ledger with a header.
      expect((await asAttacker.check(valid, { xfcc: sidecarXfccFor(ledger()) })).status).toBe(403);
    } finally {
      asLedger.close();
      asAttacker.close();
      await tlsGate.stop();
    }
  });

  it("finding 5: the target is the destination principal only: without one 403 (audited), Host never picks a policy or an engine", async () => {
    // Plaintext to a Permissive target: no destination principal; Host names the attacker's namespace.
    const noPrincipal: EnvoyRequest = { path: "/v1/items", host: `anything.${attacker}.svc.cluster.local`, sourceAddress: "127.2.0.1", headers: { "x-api-key": keys.attacker } };
    const answer = await client.check(noPrincipal, { xfcc: sidecarXfccFor(ledger()) });
    expect(answer.status).toBe(403);
    // Two engines share the service account "twin": Host cannot choose which policy applies.
    const twin = `spiffe://cluster.local/ns/${victim}/sa/twin`;
    const toTwin = await client.check(toLedger({ path: "/", host: `twin-a.${victim}.svc.cluster.local`, headers: { "x-api-key": keys.twin } }, twin));
    expect(toTwin.status).toBe(403);
    const records = await waitFor(
      async () => {
        const all = await gate.auditRecords();
        return all.some((r) => r.reason === "ambiguous-target") && all.some((r) => r.reason === "no-destination-principal") ? all : undefined;
      },
      { timeoutMs: 5_000, description: "audit records of both refusals" },
    );
    expect(records.find((r) => r.reason === "no-destination-principal")).toMatchObject({ decision: "forbidden", status: 403 });
  });

  it("finding 8: 3,000 self-made tokens against a 16 KiB inline JWKS keep the token caches within their byte budget; a larger JWKS is refused at admission", async () => {
    // After full collections on both sides: garbage a loaded machine has not collected yet
    // is not memory the caches hold.
    const heapBefore = (await inspector.memoryAfterFullGc()).heapUsed;
    const tokens = await Promise.all(Array.from({ length: 3000 }, (_, i) => attackerSign({ sub: `bot-${i}`, jti: `${i}` })));
    let next = 0;
    const statuses: Record<number, number> = {};
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < tokens.length) {
          const token = tokens[next++]!;
          const answer = await client.check({ ...toLedger({ path: "/x", headers: { authorization: `Bearer ${token}` } }, `spiffe://cluster.local/ns/${attacker}/sa/attacker`), host: "x" });
          statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        }
      }),
    );
    expect(statuses).toEqual({ 200: 3000 });
    const cached = await metric(gate, "nexus_authz_cache_bytes", '{cache="tokens"}');
    expect(cached).toBeGreaterThan(0);
    expect(cached).toBeLessThanOrEqual(TOKEN_CACHE_BYTES);
    const heapAfter = (await inspector.memoryAfterFullGc()).heapUsed;
    console.log(`3,000 tokens of a 16 KiB JWKS: token caches ${(cached / 1024).toFixed(0)} KiB, heap ${(heapBefore / 2 ** 20).toFixed(1)} -> ${(heapAfter / 2 ** 20).toFixed(1)} MiB`);
    // The token cache budget is 1 MiB; 8 MiB leaves room for JIT code, not for an unbounded cache.
    expect(heapAfter - heapBefore).toBeLessThan(8 * 2 ** 20);
    await expect(
      admin.create({
        apiVersion: API,
        kind: "AccessPolicy",
        metadata: { name: "big-jwks", namespace: attacker },
        spec: { authentication: { gate: true, jwt: [{ issuer: "https://big.example", jwks: JSON.stringify({ keys: [], pad: "x".repeat(17 * 1024) }), audiences: ["a"] }] }, rules: [{ from: [{ jwt: { issuer: "https://big.example" } }] }] },
      }),
    ).rejects.toThrow(/jwks/);
  });

  it("finding 9: paths are matched whole (a *.png key does not pass for a longer path cut at .png) and refused over the limit; the audit keeps a cut path", async () => {
    const prefix = "/api/admin/export;";
    const disguised = `${prefix}${"p".repeat(1024 - prefix.length - 4)}.png;/all-users`;
    expect((await client.check(toLedger({ path: disguised, headers: { "x-api-key": keys.png } }))).status).toBe(403);
    expect((await client.check(toLedger({ path: "/logo.png", headers: { "x-api-key": keys.png } }))).status).toBe(200);
    const requestId = `too-long-${Date.now()}`;
    const tooLong = `/${"a".repeat(MAX_PATH)}.png`;
    expect((await client.check(toLedger({ path: tooLong, requestId, headers: { "x-api-key": keys.png } }))).status).toBe(403);
    const record = await waitFor(async () => (await gate.auditRecords()).find((r) => r.requestId === requestId), { timeoutMs: 5_000, description: "the audit record" });
    expect(record).toMatchObject({ decision: "forbidden", reason: "path-too-long" });
    expect((record.path as string).length).toBeLessThanOrEqual(1024 + 3);
  });

  it("finding 10: an identity change recompiles only the policies it may affect", async () => {
    const before = gate.lines.length;
    await admin.mergePatch(resources.engineIdentity, "twin-b", victim, { spec: { workloadSelector: { matchLabels: { app: "twin-b-v2" } } } }, "nexus-test");
    const line = await waitFor(
      async () => {
        for (const text of gate.lines.slice(before)) {
          const parsed = JSON.parse(text) as Record<string, unknown>;
          if (parsed.msg === "recompiled the policies identity changes affect") return parsed;
        }
        return undefined;
      },
      { timeoutMs: 10_000, description: "the gate to recompile after the identity change" },
    );
    // Three gated policies are compiled; those that do not name the identity are not recompiled.
    expect(await metric(gate, "nexus_authz_indexed", '{kind="policies"}')).toBe(3);
    expect(line.policies as number).toBeLessThan(3);
  });

  it("finding 11: no JWKS fetch to a loopback address, even through an allowed host name that resolves there", async () => {
    const fetchesBefore = issuer.fetches;
    const token = await issuer.sign({ sub: "alice" });
    rememberCreated(token);
    const answer = await client.check({ ...toLedger({ path: "/x", headers: { authorization: `Bearer ${token}` } }, evil()), host: "x" });
    expect(answer.status).toBe(401);
    expect(issuer.fetches).toBe(fetchesBefore);
    // An http:// issuer without keys would be fetched by istiod over plain HTTP: refused at admission.
    await expect(
      admin.create({
        apiVersion: API,
        kind: "AccessPolicy",
        metadata: { name: "plain-http", namespace: attacker },
        spec: { targetIdentity: "x", authentication: { jwt: [{ issuer: "http://login.internal" }] }, rules: [{ from: [{ jwt: { issuer: "http://login.internal" } }] }] },
      }),
    ).rejects.toThrow(/jwksUri/);
  });

  it("finding 13: a token without exp is refused; a gated issuer without audiences is refused at admission, naming the field", async () => {
    const noExp = await attackerSign({ sub: "forever" }, false);
    const withExp = await attackerSign({ sub: "bounded" });
    rememberCreated(noExp, withExp);
    const check = (token: string) => client.check({ ...toLedger({ path: "/x", headers: { authorization: `Bearer ${token}` } }, evil()), host: "x" });
    expect((await check(withExp)).status).toBe(200);
    const refused = await check(noExp);
    expect(refused.status).toBe(401);
    expect(refused.headers["www-authenticate"]).toContain('error="invalid_token"');
    await expect(
      admin.create({
        apiVersion: API,
        kind: "AccessPolicy",
        metadata: { name: "no-audiences", namespace: attacker },
        spec: { authentication: { gate: true, jwt: [{ issuer: "https://login.example.com", jwksUri: "https://login.example.com/jwks" }] }, rules: [{ from: [{ jwt: { issuer: "https://login.example.com" } }] }] },
      }),
    ).rejects.toThrow(/audiences/);
  });

  it("logs the component key once per line (issue 24)", () => {
    const jsonLines = gate.lines.filter((l) => l.startsWith("{") && !l.includes('"audit":true'));
    expect(jsonLines.length).toBeGreaterThan(0);
    for (const line of jsonLines) expect(line.split('"component":').length - 1, line.slice(0, 200)).toBe(1);
    expect(JSON.parse(jsonLines[0]!)).toMatchObject({ component: "nexus-authz" });
  });
});
