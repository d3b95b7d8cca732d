import { describe, expect, it } from "vitest";
import { parseAddress } from "./bind-address.js";

describe("parseAddress", () => {
  it("reads :port and host:port", () => {
    expect(parseAddress(":8080")).toEqual({ host: "0.0.0.0", port: 8080 });
    expect(parseAddress("127.0.0.1:0")).toEqual({ host: "127.0.0.1", port: 0 });
  });
  it("rejects an address without a port", () => {
    expect(() => parseAddress("localhost")).toThrow(/host:port/);
  });
});
