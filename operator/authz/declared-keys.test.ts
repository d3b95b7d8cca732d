import { describe, expect, it } from "vitest";
import { apiKeyDigest, apiKeySha256, generateApiKey } from "../credentials/api-key.js";
import type { ApiKeyDeclaration } from "../api/types.js";
import { DeclaredKeys } from "./declared-keys.js";

function idsFound(keys: DeclaredKeys, digest: Uint8Array): string[] {
  const [first, end] = keys.rangeOf(digest);
  return Array.from({ length: end - first }, (_, i) => keys.idAt(first + i));
}

describe("DeclaredKeys", () => {
  it("finds each of 1,000 keys by its digest with what was declared of it, and nothing for an undeclared digest", () => {
    const texts = Array.from({ length: 1000 }, (_, i) => generateApiKey(`key-${i}`));
    const declared: ApiKeyDeclaration[] = texts.map((text, i) => ({
      id: `key-${i}`,
      sha256: apiKeySha256(text),
      ...(i % 3 === 0 ? { tenant: `tenant-${i % 7}` } : {}),
      ...(i % 5 === 0 ? { notBefore: "2026-01-01T00:00:00Z", notAfter: "2027-01-01T00:00:00Z" } : {}),
    }));
    const keys = DeclaredKeys.from(declared);
    expect(keys.size).toBe(1000);
    texts.forEach((text, i) => {
      const [first, end] = keys.rangeOf(apiKeyDigest(text));
      expect(end - first).toBe(1);
      expect(keys.idAt(first)).toBe(`key-${i}`);
      expect(keys.tenantAt(first)).toBe(i % 3 === 0 ? `tenant-${i % 7}` : undefined);
      expect(keys.notBeforeAt(first)).toBe(i % 5 === 0 ? Date.parse("2026-01-01T00:00:00Z") : undefined);
      expect(keys.notAfterAt(first)).toBe(i % 5 === 0 ? Date.parse("2027-01-01T00:00:00Z") : undefined);
    });
    expect(idsFound(keys, apiKeyDigest(generateApiKey("key-1")))).toEqual([]);
  });

  it("finds every id under one digest, and leaves out a sha256 that is not 64 lowercase hex characters", () => {
    const sha256 = apiKeySha256(generateApiKey("a"));
    const keys = DeclaredKeys.from([
      { id: "a", sha256 },
      { id: "upper", sha256: sha256.toUpperCase() },
      { id: "short", sha256: sha256.slice(2) },
      { id: "b", sha256 },
    ]);
    expect(keys.size).toBe(2);
    expect(idsFound(keys, Buffer.from(sha256, "hex")).sort()).toEqual(["a", "b"]);
  });

  it("tells apart digests that share their 31-bit prefix, and finds nothing for an undeclared one among them", () => {
    // 0x...32 and 0x...33 differ only in the bit the prefix leaves out.
    const sharing = ["0011223200", "0011223300", "00112233ff", "0011223380"].map((head, i) => ({ id: `k${i}`, sha256: head.padEnd(64, String(i)) }));
    const elsewhere = [{ id: "low", sha256: "0".repeat(64) }, { id: "high", sha256: "f".repeat(64) }];
    const keys = DeclaredKeys.from([...elsewhere, ...sharing].reverse());
    for (const { id, sha256 } of [...sharing, ...elsewhere]) expect(idsFound(keys, Buffer.from(sha256, "hex"))).toEqual([id]);
    for (const undeclared of ["0011223300".padEnd(64, "9"), "0011223200".padEnd(64, "1"), "00112233".padEnd(64, "0"), "0011223400".padEnd(64, "0")]) {
      expect(idsFound(keys, Buffer.from(undeclared, "hex"))).toEqual([]);
    }
  });

  it("reads an unreadable notAfter as long past and an unreadable notBefore as never reached", () => {
    const keys = DeclaredKeys.from([{ id: "a", sha256: "a".repeat(64), notBefore: "soon", notAfter: "later" }]);
    expect(keys.notAfterAt(0)).toBe(0);
    expect(keys.notBeforeAt(0)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("answers whether any key meets a test over ids and tenants", () => {
    const keys = DeclaredKeys.from([
      { id: "a", sha256: "a".repeat(64), tenant: "acme" },
      { id: "b", sha256: "b".repeat(64) },
    ]);
    expect(keys.some((id, tenant) => id === "b" && tenant === undefined)).toBe(true);
    expect(keys.some((_id, tenant) => tenant === "globex")).toBe(false);
  });
});
