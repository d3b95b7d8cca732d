// The gate sends each allow answer's bytes as kept from an earlier Check with the same caller
// header and removed headers. These tests hold the kept bytes to what encoding the answer
// anew gives, and show that no two different answers can share kept bytes.
import { describe, expect, it } from "vitest";
import { AnswerEncoding } from "./answer-encoding.js";
import { checkResponseOf } from "./answers.js";
import { Reason, type Decision } from "./decision.js";
import { authorizationService, authorizationServiceDefinition, encodeCheckResponse } from "./protos.js";

const decode = (bytes: Buffer) => authorizationService().service.Check!.responseDeserialize(bytes) as Record<string, unknown>;
const allow = (callerHeader: string, removeHeaders: string[]): Decision => ({ kind: "allow", reason: Reason.ApiKey, caller: {}, callerHeader, removeHeaders });

describe("the gate's encoded answers", () => {
  it("sends for every decision the bytes that encoding its CheckResponse gives", () => {
    const answers = new AnswerEncoding();
    const decisions: Decision[] = [
      allow("key-1", ["x-api-key"]),
      allow("https://issuer.example/alice", []),
      { kind: "unauthenticated", reason: Reason.NoCredential, caller: {}, challenge: 'ApiKey realm="nexus"' },
      { kind: "forbidden", reason: Reason.NotAdmitted, caller: {} },
      { kind: "rate-limited", reason: Reason.TooManyFailures, caller: {}, retryAfterSeconds: 3 },
      { kind: "unavailable", reason: Reason.NotSynced, caller: {}, retryAfterSeconds: 1 },
    ];
    for (const decision of decisions) {
      const first = answers.bytesOf(decision);
      expect(first.equals(encodeCheckResponse(checkResponseOf(decision)))).toBe(true);
      // Asked again, the same bytes: kept ones for an allow, encoded anew for a refusal.
      expect(answers.bytesOf(decision).equals(first)).toBe(true);
    }
    expect(decode(answers.bytesOf(allow("key-1", ["x-api-key"])))).toMatchObject({ ok_response: { headers: [{ header: { key: "x-nexus-caller", value: "key-1" } }], headers_to_remove: ["x-api-key"] } });
  });

  it("never gives one answer's kept bytes for another, whatever the caller header and header names hold", () => {
    const answers = new AnswerEncoding();
    // Pairs that a key joining the parts with a separator would confuse.
    const confusable = [
      [allow("a", ["b", "c"]), allow("a", ["b,c"])],
      [allow("a\nx-api-key", []), allow("a", ["x-api-key"])],
      [allow("1:a", []), allow("", ["a"])],
      [allow("a", ["1:b"]), allow("a1:", ["b"])],
    ] as const;
    for (const [one, other] of confusable) {
      const oneBytes = answers.bytesOf(one);
      const otherBytes = answers.bytesOf(other);
      expect(otherBytes.equals(oneBytes)).toBe(false);
      expect(otherBytes.equals(encodeCheckResponse(checkResponseOf(other)))).toBe(true);
      expect(answers.bytesOf(one).equals(encodeCheckResponse(checkResponseOf(one)))).toBe(true);
    }
  });

  it("keeps a bounded number of answers and does not keep long caller headers", () => {
    const answers = new AnswerEncoding();
    for (let i = 0; i < 5_000; i++) answers.bytesOf(allow(`key-${i}`, ["x-api-key"]));
    expect(answers.size).toBeGreaterThan(0);
    expect(answers.size).toBeLessThanOrEqual(1_024);
    const before = answers.size;
    const subject = `https://issuer.example/${"s".repeat(300)}`;
    expect(decode(answers.bytesOf(allow(subject, [])))).toMatchObject({ ok_response: { headers: [{ header: { value: subject } }] } });
    expect(answers.size).toBe(before);
  });

  it("lets the server send encoded answers as they are and still encodes messages", () => {
    const serialize = authorizationServiceDefinition().Check!.responseSerialize;
    const bytes = encodeCheckResponse(checkResponseOf(allow("key-1", [])));
    expect(serialize(bytes)).toBe(bytes);
    expect(serialize({ status: { code: 0 }, ok_response: {} }).equals(encodeCheckResponse({ status: { code: 0 }, ok_response: {} }))).toBe(true);
  });
});
