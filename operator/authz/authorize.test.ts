import { describe, expect, it } from "vitest";
import { operationMatches } from "./authorize.js";
import type { Operation } from "../api/types.js";
import type { GateRequest } from "./request.js";

const request = (method: string, path: string, port?: number): GateRequest => ({ headers: new Map(), method, path, host: "ledger", ...(port === undefined ? {} : { port }) });

describe("operations a rule names, as Istio matches them", () => {
  it("no operations, or an operation with no lists, match any request", () => {
    expect(operationMatches(undefined, request("DELETE", "/x", 1))).toBe(true);
    expect(operationMatches([], request("DELETE", "/x"))).toBe(true);
    expect(operationMatches([{}], request("DELETE", "/x"))).toBe(true);
  });

  it("every list an operation has must match: method, any of its paths, port", () => {
    const operation: Operation = { methods: ["GET", "HEAD"], paths: ["/v1/*", "/health"], ports: [8080] };
    expect(operationMatches([operation], request("GET", "/v1/items", 8080))).toBe(true);
    expect(operationMatches([operation], request("HEAD", "/health", 8080))).toBe(true);
    expect(operationMatches([operation], request("POST", "/v1/items", 8080))).toBe(false);
    expect(operationMatches([operation], request("GET", "/v2/items", 8080))).toBe(false);
    expect(operationMatches([operation], request("GET", "/v1/items", 9090))).toBe(false);
    // A port list and a request whose port Envoy did not name: no match, never a wildcard.
    expect(operationMatches([operation], request("GET", "/v1/items"))).toBe(false);
  });

  it("any one of several operations is enough", () => {
    const operations: Operation[] = [{ methods: ["POST"], paths: ["/write"] }, { methods: ["GET"] }];
    expect(operationMatches(operations, request("GET", "/anything"))).toBe(true);
    expect(operationMatches(operations, request("POST", "/write"))).toBe(true);
    expect(operationMatches(operations, request("POST", "/read"))).toBe(false);
  });
});
