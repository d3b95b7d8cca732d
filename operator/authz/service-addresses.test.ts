import { describe, expect, it } from "vitest";
import { canonicalAddress, ServiceAddresses } from "./service-addresses.js";

describe("ServiceAddresses", () => {
  it("names the one Service with a cluster IP, follows a change of its IPs and forgets it when it goes", () => {
    const addresses = new ServiceAddresses();
    expect(addresses.set("shop", "ledger", ["10.96.0.10"])).toBe(true);
    expect(addresses.set("shop", "ledger", ["10.96.0.10"])).toBe(false);
    expect(addresses.at("10.96.0.10")).toEqual({ namespace: "shop", name: "ledger" });
    addresses.set("shop", "ledger", ["10.96.0.20"]);
    expect(addresses.at("10.96.0.10")).toBeUndefined();
    expect(addresses.at("10.96.0.20")).toEqual({ namespace: "shop", name: "ledger" });
    addresses.set("shop", "ledger", undefined);
    expect(addresses.at("10.96.0.20")).toBeUndefined();
  });

  it("names no Service while two claim one address", () => {
    const addresses = new ServiceAddresses();
    addresses.set("shop", "old", ["10.96.0.10"]);
    addresses.set("other", "new", ["10.96.0.10"]);
    expect(addresses.at("10.96.0.10")).toBeUndefined();
    addresses.set("shop", "old", []);
    expect(addresses.at("10.96.0.10")).toEqual({ namespace: "other", name: "new" });
  });

  it("spells IPv6 addresses one way, IPv4 as given", () => {
    expect(canonicalAddress("FD00:0:0:0:0:0:0:A")).toBe("fd00::a");
    expect(canonicalAddress("10.96.0.1")).toBe("10.96.0.1");
    expect(canonicalAddress("not-an-ip")).toBe("not-an-ip");
  });
});
