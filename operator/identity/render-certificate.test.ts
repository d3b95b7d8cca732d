import { describe, expect, it } from "vitest";
import type { EngineIdentity } from "../api/types.js";
import { defaultRenderConfig } from "../config.js";
import { certificateName, identityNameOfCertificateName, renderCertificate } from "./render-certificate.js";
import { formatGoDuration, parseGoDuration } from "./duration.js";

function identity(spec: EngineIdentity["spec"], name = "ledger"): EngineIdentity {
  return {
    apiVersion: "security.nexus.io/v1alpha1",
    kind: "EngineIdentity",
    metadata: { name, namespace: "payments", uid: "uid-1", generation: 3 },
    spec,
  };
}

interface CertSpec {
  uris: string[];
  commonName?: string;
  dnsNames?: string[];
  duration: string;
  renewBefore: string;
  privateKey: { algorithm: string; size?: number; rotationPolicy: string };
  usages: string[];
  issuerRef: { name: string; kind: string; group: string };
  secretName: string;
  secretTemplate: { labels: Record<string, string> };
}

function specOf(id: EngineIdentity): CertSpec {
  const cert = renderCertificate(id, defaultRenderConfig);
  if (!cert) throw new Error("no certificate rendered");
  return cert.spec as CertSpec;
}

describe("renderCertificate", () => {
  it("renders nothing for a mesh-only identity", () => {
    expect(renderCertificate(identity({}), defaultRenderConfig)).toBeUndefined();
  });

  it("puts the SPIFFE ID of the service account as the only URI SAN and no common name", () => {
    const spec = specOf(identity({ serviceAccountName: "ledger-sa", certificate: {} }));
    expect(spec.uris).toEqual(["spiffe://cluster.local/ns/payments/sa/ledger-sa"]);
    expect(spec.commonName).toBeUndefined();
  });

  it("uses the trust domain from the operator configuration", () => {
    const cert = renderCertificate(identity({ certificate: {} }), { ...defaultRenderConfig, trustDomain: "prod.example" });
    expect((cert?.spec as CertSpec).uris).toEqual(["spiffe://prod.example/ns/payments/sa/ledger"]);
  });

  it("asks for digital signature, key encipherment, server auth and client auth", () => {
    expect(specOf(identity({ certificate: {} })).usages).toEqual([
      "digital signature",
      "key encipherment",
      "server auth",
      "client auth",
    ]);
  });

  it.each([
    [{}, "24h", "8h0m0s"],
    [{ duration: "3h" }, "3h", "1h0m0s"],
    [{ duration: "90m" }, "90m", "30m0s"],
    [{ duration: "48h", renewBefore: "12h" }, "48h", "12h"],
  ])("defaults renewBefore to a third of the duration (%j)", (certificate, duration, renewBefore) => {
    const spec = specOf(identity({ certificate }));
    expect(spec.duration).toBe(duration);
    expect(spec.renewBefore).toBe(renewBefore);
  });

  it.each([
    [undefined, "ECDSA", 256],
    [{ algorithm: "ECDSA" as const, size: 384 }, "ECDSA", 384],
    [{ algorithm: "RSA" as const }, "RSA", 2048],
    [{ algorithm: "RSA" as const, size: 4096 }, "RSA", 4096],
    [{ algorithm: "Ed25519" as const }, "Ed25519", undefined],
  ])("sets key %j to %s size %s with rotation policy Always", (privateKey, algorithm, size) => {
    const spec = specOf(identity({ certificate: privateKey ? { privateKey } : {} }));
    expect(spec.privateKey.algorithm).toBe(algorithm);
    expect(spec.privateKey.size).toBe(size);
    expect(spec.privateKey.rotationPolicy).toBe("Always");
  });

  it("takes the issuer from the identity, else from the operator default", () => {
    expect(specOf(identity({ certificate: { issuerRef: { name: "team-ca", kind: "Issuer", group: "cert-manager.io" } } })).issuerRef).toEqual({
      name: "team-ca",
      kind: "Issuer",
      group: "cert-manager.io",
    });
    expect(specOf(identity({ certificate: {} })).issuerRef).toEqual(defaultRenderConfig.defaultIssuer);
  });

  it("names the certificate and secret <name>-svid unless a secret name is given", () => {
    const cert = renderCertificate(identity({ certificate: {} }), defaultRenderConfig);
    expect(cert?.metadata.name).toBe("ledger-svid");
    expect((cert?.spec as CertSpec).secretName).toBe("ledger-svid");
    expect(specOf(identity({ certificate: { secretName: "custom" } })).secretName).toBe("custom");
  });

  it("sorts extra DNS names so the output is deterministic", () => {
    expect(specOf(identity({ certificate: { dnsNames: ["b.svc", "a.svc"] } })).dnsNames).toEqual(["a.svc", "b.svc"]);
  });

  it("is controlled by the identity and labelled for it, also on the issued secret", () => {
    const cert = renderCertificate(identity({ certificate: {} }), defaultRenderConfig);
    expect(cert?.metadata.ownerReferences).toEqual([
      { apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", name: "ledger", uid: "uid-1", controller: true, blockOwnerDeletion: true },
    ]);
    expect(cert?.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "nexus-operator", "security.nexus.io/identity": "ledger" });
    expect((cert?.spec as CertSpec).secretTemplate.labels["security.nexus.io/identity"]).toBe("ledger");
    expect(cert?.metadata.annotations?.["security.nexus.io/source-generation"]).toBe("3");
  });

  it("renders byte-identical output for the same input", () => {
    const id = identity({ certificate: { dnsNames: ["x.svc", "a.svc"], duration: "12h" } });
    expect(JSON.stringify(renderCertificate(id, defaultRenderConfig))).toBe(JSON.stringify(renderCertificate(id, defaultRenderConfig)));
  });
});

describe("Go durations", () => {
  it.each([
    ["24h", 86_400_000],
    ["1h30m", 5_400_000],
    ["90m", 5_400_000],
    ["1.5h", 5_400_000],
    ["500ms", 500],
  ])("parses %s", (text, ms) => expect(parseGoDuration(text)).toBe(ms));

  it.each(["", "24", "h", "1d", "24h ", "-1h"])("rejects %j", (text) => expect(() => parseGoDuration(text)).toThrow(/Go duration/));

  it("prints whole seconds as Go does", () => {
    expect(formatGoDuration(8 * 3_600_000)).toBe("8h0m0s");
    expect(formatGoDuration(30 * 60_000)).toBe("30m0s");
    expect(formatGoDuration(45_000)).toBe("45s");
  });
});

describe("identityNameOfCertificateName", () => {
  it("gives back the identity whose Certificate has the name", () => {
    expect(identityNameOfCertificateName(certificateName(identity({}, "ledger")))).toBe("ledger");
  });

  it("names no identity for a Certificate outside the scheme", () => {
    for (const name of ["ledger", "-svid", "ledger-svid-old"]) expect(identityNameOfCertificateName(name)).toBeUndefined();
  });
});
