import { describe, expect, it } from "vitest";
import { gateRequestOf } from "./request.js";

const withHeaders = (headers: Record<string, string>, http: Record<string, unknown> = {}) => gateRequestOf({ attributes: { request: { http: { headers, ...http } } } });

describe("a CheckRequest's headers", () => {
  it("a lower-cased headers map is read by name, and names every object inherits find nothing", () => {
    const request = withHeaders({ "x-api-key": "nxk_a_b_c", ":path": "/v1/items?page=2", ":method": "GET", ":authority": "ledger:8080" }, { path: "" });
    expect(request.headers.get("x-api-key")).toBe("nxk_a_b_c");
    expect(request.headers.get("authorization")).toBeUndefined();
    for (const inherited of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) expect(request.headers.get(inherited)).toBeUndefined();
    expect(request.path).toBe("/v1/items");
    expect(request.method).toBe("GET");
    expect(request.host).toBe("ledger:8080");
  });

  it("names that are not lower-case are lower-cased, and one name sent twice is joined with a comma", () => {
    const request = withHeaders({ "X-Api-Key": "first", "x-api-key": "second", "X-Ä": "umlaut" });
    expect(request.headers.get("x-api-key")).toBe("first,second");
    expect(request.headers.get("X-Api-Key")).toBeUndefined();
    expect(request.headers.get("x-ä")).toBe("umlaut");
    for (const inherited of ["constructor", "__proto__", "toString"]) expect(request.headers.get(inherited)).toBeUndefined();
  });

  it("raw header bytes, when Envoy sends them, are read as latin1 and the headers map is not", () => {
    const request = gateRequestOf({
      attributes: {
        request: {
          http: {
            headers: { "x-api-key": "from-the-map" },
            header_map: { headers: [{ key: "X-Api-Key", raw_value: Buffer.from([0x6e, 0xe9]) }, { key: "x-api-key", value: "second" }] },
          },
        },
      },
    });
    expect(request.headers.get("x-api-key")).toBe("n\u00e9,second");
  });
});
