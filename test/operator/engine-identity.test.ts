// The EngineIdentity reconciler against the real apiserver, with cert-manager's real
// controller issuing the certificates: ServiceAccounts, X.509-SVIDs read back from their
// Secrets, rotation, spec changes, garbage collection and issuer faults.
import { X509Certificate, createPublicKey } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { KubeClient, KubeObject } from "../../operator/runtime/kube-client.js";
import { resources } from "../../operator/runtime/resources.js";
import { createCaIssuer, type CaIssuer } from "../certmanager/ca-issuer.js";
import { startCertManagerController, type CertManagerController } from "../certmanager/cert-manager-controller.js";
import { adminClient, conditionOf, createNamespace, deleteNamespace, getOrUndefined, hasCondition, uniqueName, waitForGone, waitForObject } from "../support/kube.js";
import { startTestOperator, type TestOperator } from "../support/operator.js";

const ISSUE_TIMEOUT = 60_000;

interface IdentityStatus {
  spiffeID: string;
  principal: string;
  serviceAccount: string;
  certificate?: { name: string; secretName: string; notBefore?: string; notAfter?: string; renewalTime?: string; revision?: number };
}

function statusOf(object: KubeObject): IdentityStatus {
  return object.status as IdentityStatus;
}

describe("EngineIdentity reconciler with cert-manager", () => {
  let client: KubeClient;
  let certManager: CertManagerController;
  let running: TestOperator;
  let ca: CaIssuer;
  const ns = uniqueName("eid");

  beforeAll(async () => {
    const kubeconfig = inject("kubeconfig");
    client = adminClient(kubeconfig);
    await createNamespace(client, ns);
    certManager = await startCertManagerController({ kubeconfigPath: kubeconfig });
    ca = await createCaIssuer(kubeconfig, { name: "team-ca", kind: "Issuer", namespace: ns });
    running = await startTestOperator(kubeconfig);
  });

  afterAll(async () => {
    await running?.stop();
    await certManager?.stop();
    await deleteNamespace(client, ns);
    client?.close();
  });

  function identity(name: string, spec: Record<string, unknown>): KubeObject {
    return { apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name, namespace: ns }, spec };
  }

  const issuerRef = () => ({ name: ca.issuerRef.name, kind: "Issuer", group: "cert-manager.io" });

  async function readyIdentity(name: string, check: (o: KubeObject) => boolean = () => true): Promise<KubeObject> {
    return waitForObject(client, resources.engineIdentity, name, ns, (o) => hasCondition(o, "Ready", "True") && check(o), `${name} Ready`, ISSUE_TIMEOUT);
  }

  async function issuedCertificate(secretName: string): Promise<{ cert: X509Certificate; keyPem: string; caPem: string }> {
    const secret = await client.get<KubeObject & { data: Record<string, string> }>(resources.secret, secretName, ns);
    const decode = (key: string) => Buffer.from(secret.data[key] ?? "", "base64").toString("utf8");
    return { cert: new X509Certificate(decode("tls.crt")), keyPem: decode("tls.key"), caPem: decode("ca.crt") };
  }

  it("creates the ServiceAccount, labelled as managed and owned by the identity", async () => {
    await client.create(identity("mesh-only", { tenant: "acme" }));
    const eid = await readyIdentity("mesh-only");
    const sa = await client.get<KubeObject>(resources.serviceAccount, "mesh-only", ns);
    expect(sa.metadata.labels).toMatchObject({ "app.kubernetes.io/managed-by": "nexus-operator", "security.nexus.io/identity": "mesh-only" });
    expect(sa.metadata.ownerReferences?.[0]).toMatchObject({ kind: "EngineIdentity", name: "mesh-only", uid: eid.metadata.uid });
    expect(statusOf(eid)).toMatchObject({
      spiffeID: `spiffe://cluster.local/ns/${ns}/sa/mesh-only`,
      principal: `cluster.local/ns/${ns}/sa/mesh-only`,
      serviceAccount: "mesh-only",
    });
    expect(conditionOf(eid, "CertificateReady")?.reason).toBe("CertificateNotRequested");
    expect(await getOrUndefined(client, resources.certificate, "mesh-only-svid", ns)).toBeUndefined();
  });

  it("never touches a ServiceAccount it did not create, and leaves it when the identity goes", async () => {
    await client.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "preexisting", namespace: ns, labels: { team: "payments" } } });
    await client.create(identity("uses-existing", { serviceAccountName: "preexisting" }));
    const eid = await readyIdentity("uses-existing");
    expect(conditionOf(eid, "ServiceAccountReady")?.reason).toBe("ServiceAccountExisting");
    const sa = await client.get<KubeObject>(resources.serviceAccount, "preexisting", ns);
    expect(sa.metadata.labels).toEqual({ team: "payments" });
    expect(sa.metadata.ownerReferences).toBeUndefined();
    await client.delete(resources.engineIdentity, "uses-existing", ns);
    await waitForGone(client, resources.engineIdentity, "uses-existing", ns);
    await running.operator.idle();
    expect(await getOrUndefined(client, resources.serviceAccount, "preexisting", ns)).toBeDefined();
  });

  it.each([
    ["ecdsa-default", {}, { algorithm: "ECDSA", size: 256 }],
    ["rsa-3072", { privateKey: { algorithm: "RSA", size: 3072 } }, { algorithm: "RSA", size: 3072 }],
    ["ed-key", { privateKey: { algorithm: "Ed25519" } }, { algorithm: "Ed25519", size: undefined }],
  ])("issues an X.509-SVID for %s: SPIFFE ID as the only URI, no CN, right key, validity, chain and usages", async (name, certificate, key) => {
    await client.create(identity(name, { certificate: { issuerRef: issuerRef(), duration: "2h", ...certificate } }));
    const eid = await readyIdentity(name, (o) => statusOf(o).certificate?.notAfter !== undefined && statusOf(o).certificate?.revision !== undefined);
    const status = statusOf(eid);
    expect(status.certificate).toMatchObject({ name: `${name}-svid`, secretName: `${name}-svid`, revision: 1 });
    const { cert, keyPem, caPem } = await issuedCertificate(`${name}-svid`);
    expect(cert.subjectAltName).toBe(`URI:spiffe://cluster.local/ns/${ns}/sa/${name}`);
    expect(cert.subject ?? "").not.toMatch(/CN=/);
    const publicKey = createPublicKey(keyPem);
    expect(cert.publicKey.equals(publicKey)).toBe(true);
    expect(publicKey.asymmetricKeyType).toBe(key.algorithm === "ECDSA" ? "ec" : key.algorithm === "RSA" ? "rsa" : "ed25519");
    if (key.algorithm === "ECDSA") expect(publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    if (key.algorithm === "RSA") expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(key.size);
    const validityMs = Date.parse(cert.validTo) - Date.parse(cert.validFrom);
    expect(validityMs).toBe(2 * 3_600_000);
    const caCert = new X509Certificate(caPem);
    expect(caPem).toBe(ca.caPem);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.keyUsage).toEqual(expect.arrayContaining(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]));
    expect(Date.parse(status.certificate!.notAfter!)).toBe(Date.parse(cert.validTo));
  });

  it("rotates on a forced renewal: a new key and certificate, a higher revision, a later expiry", async () => {
    const before = statusOf(await readyIdentity("ecdsa-default", (o) => statusOf(o).certificate?.revision === 1));
    const old = await issuedCertificate("ecdsa-default-svid");
    // What `cmctl renew` does: mark the Certificate as due for issuance.
    await client.mergePatch(
      resources.certificate,
      "ecdsa-default-svid",
      ns,
      { status: { conditions: [{ type: "Issuing", status: "True", reason: "ManuallyTriggered", message: "renewal forced by the test", lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") }] } },
      "cmctl",
      "status",
    );
    const after = statusOf(await readyIdentity("ecdsa-default", (o) => (statusOf(o).certificate?.revision ?? 0) > 1));
    const renewed = await issuedCertificate("ecdsa-default-svid");
    expect(after.certificate!.revision).toBe(2);
    expect(Date.parse(after.certificate!.notAfter!)).toBeGreaterThanOrEqual(Date.parse(before.certificate!.notAfter!));
    expect(renewed.cert.serialNumber).not.toBe(old.cert.serialNumber);
    expect(renewed.keyPem).not.toBe(old.keyPem);
    expect(renewed.cert.publicKey.equals(old.cert.publicKey)).toBe(false);
  });

  it("updates the Certificate when the identity's spec changes", async () => {
    await client.mergePatch(resources.engineIdentity, "rsa-3072", ns, { spec: { certificate: { duration: "3h", dnsNames: [`rsa.${ns}.svc`, `*.api.${ns}.svc.cluster.local`] } } }, "kubectl-edit");
    const cert = await waitForObject(client, resources.certificate, "rsa-3072-svid", ns, (o) => (o.spec as { duration: string }).duration === "3h", "Certificate updated");
    expect(cert.spec).toMatchObject({ duration: "3h", renewBefore: "1h0m0s", dnsNames: [`*.api.${ns}.svc.cluster.local`, `rsa.${ns}.svc`] });
    await readyIdentity("rsa-3072", (o) => (statusOf(o).certificate?.revision ?? 0) >= 2);
    const { cert: issued } = await issuedCertificate("rsa-3072-svid");
    expect(issued.subjectAltName?.split(", ").sort()).toEqual([`DNS:*.api.${ns}.svc.cluster.local`, `DNS:rsa.${ns}.svc`, `URI:spiffe://cluster.local/ns/${ns}/sa/rsa-3072`].sort());
  });

  it("removes the Certificate and its own ServiceAccount through garbage collection when the identity is deleted", async () => {
    await readyIdentity("ed-key");
    await client.delete(resources.engineIdentity, "ed-key", ns);
    await waitForGone(client, resources.certificate, "ed-key-svid", ns, 60_000);
    await waitForGone(client, resources.serviceAccount, "ed-key", ns, 60_000);
  });

  it("reports a missing issuer, and becomes Ready by itself once the issuer exists", async () => {
    await client.create(identity("late-issuer", { certificate: { issuerRef: { name: "not-yet", kind: "Issuer" } } }));
    const waiting = await waitForObject(client, resources.engineIdentity, "late-issuer", ns, (o) => hasCondition(o, "CertificateReady", "False", "IssuerNotFound"), "IssuerNotFound");
    expect(conditionOf(waiting, "CertificateReady")?.message).toContain("not-yet");
    expect(conditionOf(waiting, "Ready")?.status).toBe("False");
    await createCaIssuer(inject("kubeconfig"), { name: "not-yet", kind: "Issuer", namespace: ns });
    await readyIdentity("late-issuer");
  });

  it("reports an issuer that exists but is not ready, with cert-manager's own message", async () => {
    await client.create({ apiVersion: "cert-manager.io/v1", kind: "Issuer", metadata: { name: "broken-ca", namespace: ns }, spec: { ca: { secretName: "no-such-secret" } } });
    await client.create(identity("broken-issuer", { certificate: { issuerRef: { name: "broken-ca", kind: "Issuer" } } }));
    const eid = await waitForObject(client, resources.engineIdentity, "broken-issuer", ns, (o) => hasCondition(o, "CertificateReady", "False", "IssuerNotReady"), "IssuerNotReady", ISSUE_TIMEOUT);
    expect(conditionOf(eid, "CertificateReady")?.message).toMatch(/broken-ca.*not ready: .*no-such-secret/);
  });

  it("never writes key material or certificates into its logs", () => {
    const joined = running.logLines.join("\n");
    expect(running.logLines.length).toBeGreaterThan(0);
    expect(joined).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE|tls\.key/);
  });
});
