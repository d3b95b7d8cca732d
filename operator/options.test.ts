import { describe, expect, it } from "vitest";
import { parseAddress, parseSettings } from "./options.js";

describe("parseSettings", () => {
  it("has documented defaults", () => {
    const s = parseSettings([], {});
    expect(s.render).toEqual({ trustDomain: "cluster.local", defaultIssuer: { name: "nexus-ca", kind: "ClusterIssuer", group: "cert-manager.io" } });
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

  it.each([
    [["--trust-domain", "Bad Domain"], /--trust-domain.*lowercase/],
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

describe("parseAddress", () => {
  it("reads :port and host:port", () => {
    expect(parseAddress(":8080")).toEqual({ host: "0.0.0.0", port: 8080 });
    expect(parseAddress("127.0.0.1:0")).toEqual({ host: "127.0.0.1", port: 0 });
  });
  it("rejects an address without a port", () => {
    expect(() => parseAddress("localhost")).toThrow(/host:port/);
  });
});
