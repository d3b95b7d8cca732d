// cert-manager's real controller, run against the shared test apiserver, issues
// certificates from a CA issuer bootstrapped the standard way.
import { X509Certificate, createPrivateKey, randomBytes } from "node:crypto";
import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { serverSideApply } from "../controlplane/index.js";
import { type CaIssuer, createCaIssuer, waitForReady } from "./ca-issuer.js";
import { type CertManagerController, startCertManagerController } from "./cert-manager-controller.js";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

describe("cert-manager controller (built from the pinned Go module)", () => {
  const kubeconfig = inject("kubeconfig");
  const suffix = randomBytes(3).toString("hex");
  const namespace = `cm-issuance-${suffix}`;
  const clusterCa = `test-cluster-ca-${suffix}`;
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  let controller: CertManagerController | undefined;
  let namespacedCa: Promise<CaIssuer> | undefined;
  const caIssuer = () => (namespacedCa ??= createCaIssuer(kc, { namespace, name: "test-ca" }));

  // Generous: on a machine without the cached binary this builds cert-manager first.
  beforeAll(async () => {
    controller = await startCertManagerController({ kubeconfigPath: kubeconfig });
  }, 900_000);

  afterAll(async () => {
    await controller?.stop();
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const ignore = () => {};
    const clusterIssuer = (name: string) =>
      custom.deleteClusterCustomObject({ group: "cert-manager.io", version: "v1", plural: "clusterissuers", name }).catch(ignore);
    await Promise.all([
      core.deleteNamespace({ name: namespace }).catch(ignore),
      clusterIssuer(clusterCa),
      clusterIssuer(`${clusterCa}-selfsigned`),
      custom
        .deleteNamespacedCustomObject({
          group: "cert-manager.io",
          version: "v1",
          plural: "certificates",
          namespace: "cert-manager",
          name: `${clusterCa}-root`,
        })
        .catch(ignore),
      core.deleteNamespacedSecret({ name: `${clusterCa}-root`, namespace: "cert-manager" }).catch(ignore),
    ]);
  });

  it("bootstraps a CA Issuer that becomes Ready", async () => {
    const ca = await caIssuer();
    expect(ca.issuerRef).toEqual({ name: "test-ca", kind: "Issuer", group: "cert-manager.io" });
    const root = new X509Certificate(ca.caPem);
    expect(root.ca).toBe(true);
    expect(root.checkIssued(root)).toBe(true);
    expect(root.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
  });

  it("issues an ECDSA P-256 certificate with a URI SAN and client+server auth", async () => {
    const ca = await caIssuer();
    const spiffeId = `spiffe://cluster.local/ns/${namespace}/sa/engine-a`;
    await serverSideApply(kc, [
      {
        apiVersion: "cert-manager.io/v1",
        kind: "Certificate",
        metadata: { name: "engine-a", namespace },
        spec: {
          secretName: "engine-a-svid",
          duration: "1h",
          uris: [spiffeId],
          privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
          usages: ["client auth", "server auth"],
          issuerRef: ca.issuerRef,
        },
      } as never,
    ]);
    await waitForReady(kc, "Certificate", "engine-a", namespace, 60_000);

    const secret = await kc.makeApiClient(CoreV1Api).readNamespacedSecret({ name: "engine-a-svid", namespace });
    expect(secret.type).toBe("kubernetes.io/tls");
    const field = (key: string) => Buffer.from(secret.data?.[key] ?? "", "base64").toString("utf8");
    const cert = new X509Certificate(field("tls.crt"));
    const root = new X509Certificate(ca.caPem);

    expect(cert.subjectAltName).toBe(`URI:${spiffeId}`);
    expect([...(cert.keyUsage ?? [])].sort()).toEqual([SERVER_AUTH, CLIENT_AUTH].sort());
    expect(cert.ca).toBe(false);
    expect(cert.publicKey.asymmetricKeyType).toBe("ec");
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(cert.checkIssued(root)).toBe(true);
    expect(cert.verify(root.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(field("tls.key")))).toBe(true);
    expect(new X509Certificate(field("ca.crt")).fingerprint256).toBe(root.fingerprint256);
  });

  it("serves a CA ClusterIssuer from the cluster resource namespace, as in examples/", async () => {
    const ca = await createCaIssuer(kc, { name: clusterCa, kind: "ClusterIssuer" });
    expect(ca.caSecret.namespace).toBe("cert-manager");
    expect(new X509Certificate(ca.caPem).ca).toBe(true);
  });
});
