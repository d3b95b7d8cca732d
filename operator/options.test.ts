import { describe, expect, it } from "vitest";
import { parseSettings } from "./options.js";
import { parseAuthzSettings } from "./authz/options.js";

describe("parseSettings", () => {
  it("has documented defaults", () => {
    const s = parseSettings([], {});
    expect(s.render).toEqual({
      trustDomain: "cluster.local",
      defaultIssuer: { name: "nexus-ca", kind: "ClusterIssuer", group: "cert-manager.io" },
      tenantLabel: "security.nexus.io/tenant",
      certificateLimits: { allowedDnsSuffixes: [], clusterDomain: "cluster.local", maxDurationMs: 7 * 24 * 3_600_000 },
    });
    expect(s.concurrency).toBe(8);
    expect(s.logLevel).toBe("info");
    expect(s.metricsAddress).toBe(":8080");
    expect(s.probeAddress).toBe(":8081");
    expect(s.eventRateLimit).toEqual({ perSecond: 10, burst: 50 });
  });

  it("takes environment variables and lets flags win over them", () => {
    const s = parseSettings(["--trust-domain", "flag.example"], { NEXUS_TRUST_DOMAIN: "env.example", NEXUS_CONCURRENCY: "3" });
    expect(s.render.trustDomain).toBe("flag.example");
    expect(s.concurrency).toBe(3);
  });

  it("takes the tenant label and the certificate limits administrators set", () => {
    const s = parseSettings(
      ["--tenant-label", "capsule.clastix.io/tenant", "--allowed-cluster-issuers", "nexus-ca, partner-ca,example.io/vault", "--max-certificate-duration", "72h"],
      { NEXUS_ALLOWED_DNS_SUFFIXES: "{namespace}.apps.example.com", NEXUS_CLUSTER_DOMAIN: "corp.local" },
    );
    expect(s.render.tenantLabel).toBe("capsule.clastix.io/tenant");
    expect(s.render.certificateLimits).toEqual({
      allowedClusterIssuers: ["nexus-ca", "partner-ca", "example.io/vault"],
      allowedDnsSuffixes: ["{namespace}.apps.example.com"],
      clusterDomain: "corp.local",
      maxDurationMs: 72 * 3_600_000,
    });
  });

  it.each([
    [["--tenant-label", "not a key"], /--tenant-label \(NEXUS_TENANT_LABEL\) must be a label key/],
    [["--allowed-cluster-issuers", "Bad_Name"], /--allowed-cluster-issuers .* "Bad_Name" is neither/],
    [["--allowed-dns-suffixes", "com"], /--allowed-dns-suffixes .* at least two labels/],
    [["--cluster-domain=Bad_Domain"], /--cluster-domain .* must be a DNS name/],
    [["--max-certificate-duration", "10m"], /--max-certificate-duration .* at least 1h/],
    [["--max-certificate-duration", "7d"], /--max-certificate-duration .* Go duration/],
    [["--trust-domain", "Bad Domain"], /--trust-domain.*lowercase/],
    // The baseline admits only nexus.invalid/ns/none/sa/none: no mesh may have that trust domain.
    [["--trust-domain", "nexus.invalid"], /--trust-domain \(NEXUS_TRUST_DOMAIN\) must not be under the reserved top-level domain \.invalid/],
    [["--trust-domain=mesh.invalid"], /--trust-domain \(NEXUS_TRUST_DOMAIN\) must not be under the reserved top-level domain \.invalid/],
    [["--trust-domain=invalid"], /--trust-domain \(NEXUS_TRUST_DOMAIN\) must not be under the reserved top-level domain \.invalid/],
    [["--default-issuer-kind", "Cluster"], /--default-issuer-kind must be Issuer or ClusterIssuer/],
    [["--concurrency", "0"], /--concurrency must be a whole number/],
    [["--log-level", "loud"], /--log-level must be one of/],
    [["--event-qps", "0"], /--event-qps \(NEXUS_EVENT_QPS\) must be a number of Events per second above 0/],
    [["--event-burst", "1.5"], /--event-burst \(NEXUS_EVENT_BURST\) must be a whole number from 1 to 10000/],
    [["--no-such-flag"], /Unknown option/],
  ])("rejects %j with a message naming the setting", (argv, message) => {
    expect(() => parseSettings(argv, {})).toThrow(message);
  });
});

describe("the reserved trust domain of the baseline's no-caller principal", () => {
  it("is refused from the environment too, naming the flag and the variable", () => {
    expect(() => parseSettings([], { NEXUS_TRUST_DOMAIN: "nexus.invalid" })).toThrow(/--trust-domain \(NEXUS_TRUST_DOMAIN\) must not be under .*\.invalid.*got "nexus\.invalid"/);
  });

  it("is refused by nexus-authz as well, which reads the same setting", () => {
    expect(() => parseAuthzSettings(["--trust-domain", "nexus.invalid"], {})).toThrow(/--trust-domain \(NEXUS_TRUST_DOMAIN\) must not be under the reserved top-level domain \.invalid/);
  });

  it("leaves ordinary trust domains, including ones that merely contain the word, alone", () => {
    for (const domain of ["cluster.local", "invalid.example", "not-invalid", "mesh.invalidated"]) {
      expect(parseSettings(["--trust-domain", domain], {}).render.trustDomain).toBe(domain);
    }
  });
});
