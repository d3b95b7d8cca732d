import { describe, expect, it } from "vitest";
import type { EngineIdentity, EngineIdentitySpec } from "../api/types.js";
import { defaultRenderConfig, type RenderConfig } from "../config.js";
import { certificateLimitsOf, certificateRefusal, CertificateRefusalReason, dnsNameAllowed } from "./certificate-limits.js";

function identity(certificate: EngineIdentitySpec["certificate"], namespace = "payments"): EngineIdentity {
  return { apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: "ledger", namespace, uid: "u1", generation: 1 }, spec: { certificate } };
}

const withLimits = (limits: RenderConfig["certificateLimits"]): RenderConfig => ({ ...defaultRenderConfig, certificateLimits: limits });

describe("finding 2: what a namespace may ask for in a certificate", () => {
  it("allows the default request: the default issuer, no extra names, 24h", () => {
    expect(certificateRefusal(identity({}), defaultRenderConfig)).toBeUndefined();
  });

  it.each<[string, EngineIdentitySpec["certificate"]]>([
    ["an Issuer of its own namespace", { issuerRef: { name: "team-ca", kind: "Issuer" } }],
    ["the default ClusterIssuer named explicitly", { issuerRef: { name: "nexus-ca", kind: "ClusterIssuer", group: "cert-manager.io" } }],
    ["its own services' names", { dnsNames: ["ledger.payments.svc", "ledger.payments.svc.cluster.local", "*.ledger.payments.svc", "*.api.payments.svc.cluster.local"] }],
    ["7 days", { duration: "168h" }],
  ])("allows %s", (_what, certificate) => {
    expect(certificateRefusal(identity(certificate), defaultRenderConfig)).toBeUndefined();
  });

  it.each<[string, EngineIdentitySpec["certificate"], string, string]>([
    ["a ClusterIssuer the administrators do not allow", { issuerRef: { name: "corp-root", kind: "ClusterIssuer" } }, CertificateRefusalReason.IssuerNotAllowed, "ClusterIssuer corp-root"],
    ["an external issuer group's ClusterIssuer of the default's name", { issuerRef: { name: "nexus-ca", kind: "ClusterIssuer", group: "awspca.cert-manager.io" } }, CertificateRefusalReason.IssuerNotAllowed, "awspca.cert-manager.io/nexus-ca"],
    ["another namespace's service", { dnsNames: ["ledger.payments.svc", "*.payments.svc.cluster.local"] }, CertificateRefusalReason.DNSNameNotAllowed, "*.payments.svc.cluster.local"],
    ["another namespace's service by its full name", { dnsNames: ["api.billing.svc.cluster.local"] }, CertificateRefusalReason.DNSNameNotAllowed, "api.billing.svc.cluster.local"],
    ["the apiserver's name", { dnsNames: ["kubernetes.default.svc"] }, CertificateRefusalReason.DNSNameNotAllowed, "kubernetes.default.svc"],
    ["an external hostname", { dnsNames: ["login.example.com"] }, CertificateRefusalReason.DNSNameNotAllowed, "login.example.com"],
    ["a wildcard over the namespace", { dnsNames: ["*.payments.svc"] }, CertificateRefusalReason.DNSNameNotAllowed, "*.payments.svc"],
    ["another cluster domain", { dnsNames: ["ledger.payments.svc.other.local"] }, CertificateRefusalReason.DNSNameNotAllowed, "ledger.payments.svc.other.local"],
    ["ten years", { duration: "87600h" }, CertificateRefusalReason.DurationNotAllowed, "87600h"],
    ["a minute over seven days", { duration: "168h1m" }, CertificateRefusalReason.DurationNotAllowed, "168h1m"],
  ])("refuses %s, naming it", (_what, certificate, reason, named) => {
    const refusal = certificateRefusal(identity(certificate), defaultRenderConfig);
    expect(refusal?.reason).toBe(reason);
    expect(refusal?.message).toContain(named);
    expect(refusal?.message).toMatch(/spec\.certificate\.(issuerRef|dnsNames|duration)/);
  });

  it("refuses the apiserver's name even to an identity of namespace default", () => {
    expect(certificateRefusal(identity({ dnsNames: ["kubernetes.default.svc.cluster.local"] }, "default"), defaultRenderConfig)?.reason).toBe(CertificateRefusalReason.DNSNameNotAllowed);
    expect(certificateRefusal(identity({ dnsNames: ["web.default.svc"] }, "default"), defaultRenderConfig)).toBeUndefined();
  });

  it("follows the administrators' settings: allowed ClusterIssuers, suffixes with {namespace}, cluster domain and the cap", () => {
    const config = withLimits({ allowedClusterIssuers: ["corp-root", "awspca.cert-manager.io/pca"], allowedDnsSuffixes: ["{namespace}.apps.example.com", ".internal.example.net"], clusterDomain: "corp.local", maxDurationMs: 48 * 3_600_000 });
    expect(certificateRefusal(identity({ issuerRef: { name: "corp-root", kind: "ClusterIssuer" } }), config)).toBeUndefined();
    expect(certificateRefusal(identity({ issuerRef: { name: "pca", kind: "ClusterIssuer", group: "awspca.cert-manager.io" } }), config)).toBeUndefined();
    // Allowing others replaces the default: the default issuer is then allowed only when listed.
    expect(certificateRefusal(identity({}), config)?.reason).toBe(CertificateRefusalReason.IssuerNotAllowed);
    const limits = certificateLimitsOf(config);
    expect(dnsNameAllowed("web.payments.apps.example.com", "payments", limits)).toBe(true);
    expect(dnsNameAllowed("*.payments.apps.example.com", "payments", limits)).toBe(true);
    expect(dnsNameAllowed("web.billing.apps.example.com", "payments", limits)).toBe(false);
    expect(dnsNameAllowed("evilpayments.apps.example.com", "payments", limits)).toBe(false);
    expect(dnsNameAllowed("db.internal.example.net", "payments", limits)).toBe(true);
    expect(dnsNameAllowed("ledger.payments.svc.corp.local", "payments", limits)).toBe(true);
    expect(dnsNameAllowed("ledger.payments.svc.cluster.local", "payments", limits)).toBe(false);
    expect(certificateRefusal(identity({ issuerRef: { name: "corp-root", kind: "ClusterIssuer" }, duration: "72h" }), config)?.reason).toBe(CertificateRefusalReason.DurationNotAllowed);
  });

  it("allows no ClusterIssuer by default when the default issuer is a namespace's Issuer", () => {
    const config: RenderConfig = { ...defaultRenderConfig, defaultIssuer: { name: "team-ca", kind: "Issuer", group: "cert-manager.io" } };
    expect(certificateRefusal(identity({}), config)).toBeUndefined();
    expect(certificateRefusal(identity({ issuerRef: { name: "nexus-ca", kind: "ClusterIssuer" } }), config)?.message).toContain("the administrators allow none");
  });
});
