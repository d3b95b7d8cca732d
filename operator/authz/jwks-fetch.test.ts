import { describe, expect, it } from "vitest";
import { JwksFetchGuard } from "./jwks-fetch.js";

describe("where the gate may fetch a JWKS", () => {
  const guard = new JwksFetchGuard({ allowedHosts: ["login.example.com", "*.idp.example.net", "keys.example.org:8443"], allowedAddresses: ["10.20.0.0/16"] });

  it("only https to allowed hosts", () => {
    expect(guard.refusesUri("https://login.example.com/jwks")).toBeUndefined();
    expect(guard.refusesUri("https://a.idp.example.net/jwks")).toBeUndefined();
    expect(guard.refusesUri("https://keys.example.org:8443/jwks")).toBeUndefined();
    expect(guard.refusesUri("https://keys.example.org/jwks")).toMatch(/allowed-jwks-hosts/);
    expect(guard.refusesUri("https://idp.example.net/jwks")).toMatch(/allowed-jwks-hosts/);
    expect(guard.refusesUri("https://evil.com/jwks")).toMatch(/allowed-jwks-hosts/);
    expect(guard.refusesUri("http://login.example.com/jwks")).toMatch(/https/);
    expect(guard.refusesUri("https://user:pw@login.example.com/jwks")).toMatch(/credentials/);
  });

  it("never to loopback, private, link-local or mapped addresses unless allowed", () => {
    for (const address of ["127.0.0.1", "10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254"]) {
      expect(guard.addressAllowed(address), address).toBe(false);
    }
    expect(guard.addressAllowed("10.20.3.4")).toBe(true);
    expect(guard.addressAllowed("93.184.216.34")).toBe(true);
    expect(guard.addressAllowed("2606:4700::1")).toBe(true);
    const loopbackHost = new JwksFetchGuard({ allowedHosts: ["127.0.0.1"], allowedAddresses: [] });
    expect(loopbackHost.refusesUri("https://127.0.0.1/jwks")).toMatch(/private, loopback or link-local/);
  });

  it("refuses at the socket a name that resolves to loopback (the connected address is what counts)", async () => {
    const local = new JwksFetchGuard({ allowedHosts: ["localhost:1"], allowedAddresses: [] });
    const controller = new AbortController();
    await expect(local.fetch("https://localhost:1/jwks", { headers: new Headers(), signal: controller.signal })).rejects.toThrow(/private, loopback or link-local/);
  });
});
