import { describe, expect, it } from "vitest";
import { KubeApiError } from "./kube-client.js";
import { classifyWriteFailure } from "./write-failure.js";

describe("a failed write of a rendered object is classified by what it means for the policy", () => {
  it.each([
    ["etcd's size limit", new KubeApiError(500, "InternalError", "PATCH /x: etcdserver: request is too large"), "TooLarge", true],
    ["gRPC's message limit", new KubeApiError(500, "InternalError", "PATCH /x: rpc error: code = ResourceExhausted desc = trying to send message larger than max (2500000 vs. 2097152)"), "TooLarge", true],
    ["the apiserver's request body limit", new KubeApiError(413, "RequestEntityTooLarge", "PATCH /x: HTTP 413"), "TooLarge", true],
    ["Istio's CRD validation", new KubeApiError(422, "Invalid", 'PATCH /x: AuthorizationPolicy.security.istio.io "nexus-p" is invalid: spec.rules[0]: Invalid value'), "Rejected", true],
    ["a malformed request", new KubeApiError(400, "BadRequest", "PATCH /x: bad"), "Rejected", true],
    ["missing RBAC", new KubeApiError(403, "Forbidden", "PATCH /x: forbidden"), "Forbidden", true],
    ["a namespace being deleted", new KubeApiError(403, "Forbidden", "PATCH /x: unable to create new content in namespace a because it is being terminated"), "WriteFailed", false],
    ["an overloaded apiserver", new KubeApiError(429, "TooManyRequests", "PATCH /x: slow down"), "WriteFailed", false],
    ["an apiserver error", new KubeApiError(503, "ServiceUnavailable", "PATCH /x: unavailable"), "WriteFailed", false],
    ["a refused connection", new KubeApiError(0, "ConnectionFailed", "PATCH /x: connect ECONNREFUSED"), "WriteFailed", false],
    ["a conflict", new KubeApiError(409, "Conflict", "PATCH /x: conflict"), "WriteFailed", false],
    ["an error that is not the API's", new Error("request timed out after 60s"), "WriteFailed", false],
  ])("%s -> %s (permanent: %s), with the apiserver's message", (_what, err, reason, permanent) => {
    expect(classifyWriteFailure(err)).toEqual({ reason, permanent, message: err.message });
  });
});
