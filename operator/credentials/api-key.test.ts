import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  API_KEY_SCAN_PATTERN,
  apiKeyChecksum,
  apiKeyDigest,
  apiKeySha256,
  base62Encode,
  generateApiKey,
  parseApiKey,
} from "./api-key.js";

// Expected values computed outside this code base (Python's zlib.crc32 and hashlib.sha256).
const ZERO_SECRET_KEY = `nxk_ci_${"0".repeat(43)}_3hkkwy`;
const ZERO_SECRET_KEY_SHA256 = "635bcdb799726f5830d0ca768dd0f363c02f26db6639880dce3e6f1dc700488a";

const SHAPE = /^nxk_([a-z0-9-]+)_([0-9A-Za-z]{43})_([0-9A-Za-z]{6})$/;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function base62Decode(text: string): bigint {
  return [...text].reduce((value, char) => value * 62n + BigInt(BASE62.indexOf(char)), 0n);
}

describe("key format", () => {
  it("a new key is nxk_<id>_<43 base62 characters>_<6-character checksum> and parses back to its id", () => {
    const key = generateApiKey("ci-deploy");
    const match = SHAPE.exec(key);
    expect(match?.[1]).toBe("ci-deploy");
    expect(parseApiKey(key)).toEqual({ ok: true, id: "ci-deploy" });
  });

  it("the random part holds at least 32 bytes: 43 base62 characters can reach 2^256 - 1", () => {
    expect(base62Encode(new Uint8Array(32).fill(0xff), 43)).toBe("yhjskwdA6OZ1AL1YmHWZWm8LLG7HjnuCA2j5rOw8Xp1");
    expect(base62Decode(base62Encode(new Uint8Array(32).fill(0xff), 43))).toBe(2n ** 256n - 1n);
    expect(() => base62Encode(new Uint8Array(33).fill(0xff), 43)).toThrow(/more than 43 base62 characters/);
  });

  it("keys do not repeat and their random parts use the whole alphabet", () => {
    const keys = Array.from({ length: 2000 }, () => generateApiKey("ci"));
    expect(new Set(keys).size).toBe(keys.length);
    const characters = new Set(keys.flatMap((key) => [...(SHAPE.exec(key)?.[2] ?? "")]));
    expect(characters.size).toBe(62);
  });

  it("more random bytes give a longer random part that still parses", () => {
    const key = generateApiKey("ci", 64);
    expect(key.split("_")[2]).toHaveLength(86);
    expect(parseApiKey(key)).toEqual({ ok: true, id: "ci" });
  });

  it("refuses an id that is not a DNS-1123 label and fewer than 32 random bytes", () => {
    expect(() => generateApiKey("CI_bot")).toThrow(/id "CI_bot" must be a DNS-1123 label/);
    expect(() => generateApiKey("")).toThrow(/must be a DNS-1123 label/);
    expect(() => generateApiKey("a".repeat(64))).toThrow(/must be a DNS-1123 label/);
    expect(() => generateApiKey("ci", 31)).toThrow(/takes 32 to \d+ random bytes, not 31/);
  });
});

describe("checksum", () => {
  it("is the CRC32 of the text before it in base62, padded to 6 characters", () => {
    // CRC32("123456789") is the standard check value 0xCBF43926.
    expect(apiKeyChecksum("123456789")).toBe("3jZRME");
    expect(base62Decode("3jZRME")).toBe(0xcbf43926n);
    expect(apiKeyChecksum(`nxk_ci_${"0".repeat(43)}`)).toBe("3hkkwy");
    expect(apiKeyChecksum("")).toBe("000000");
  });

  it("a key with one character of its secret or id changed fails the checksum", () => {
    const key = generateApiKey("ci");
    const secretStart = "nxk_ci_".length;
    for (let i = secretStart; i < secretStart + 43; i++) {
      const replacement = key[i] === "A" ? "B" : "A";
      const changed = key.slice(0, i) + replacement + key.slice(i + 1);
      expect(parseApiKey(changed)).toEqual({ ok: false, problem: "checksum" });
    }
    expect(parseApiKey(key.replace("nxk_ci_", "nxk_cd_"))).toEqual({ ok: false, problem: "checksum" });
  });

  it("a known key parses, and the same key with another checksum does not", () => {
    expect(parseApiKey(ZERO_SECRET_KEY)).toEqual({ ok: true, id: "ci" });
    expect(parseApiKey(ZERO_SECRET_KEY.replace(/_3hkkwy$/, "_3hkkwz"))).toEqual({ ok: false, problem: "checksum" });
  });
});

describe("parsing what a caller presents", () => {
  const key = generateApiKey("ci");
  const [, id, secret, checksum] = SHAPE.exec(key) ?? [];

  it.each([
    ["empty", ""],
    ["another prefix", key.replace(/^nxk_/, "ghp_")],
    ["upper-case prefix", key.replace(/^nxk_/, "NXK_")],
    ["no checksum", `nxk_${id}_${secret}`],
    ["an id with upper case", `nxk_CI_${secret}_${checksum}`],
    ["an empty id", `nxk__${secret}_${checksum}`],
    ["a secret of 42 characters", `nxk_${id}_${secret?.slice(1)}_${checksum}`],
    ["a secret with '-'", `nxk_${id}_${secret?.slice(1)}-_${checksum}`],
    ["a checksum of 5 characters", `nxk_${id}_${secret}_${checksum?.slice(1)}`],
    ["a checksum of 7 characters", `${key}0`],
    ["non-ASCII letters in the secret", `nxk_${id}_${secret?.slice(2)}éé_${checksum}`],
    ["a bearer token", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0."],
    ["surrounding whitespace", ` ${key}`],
    ["64 KiB of key-like text", `nxk_${id}_${"A".repeat(64 * 1024)}_${checksum}`],
    ["1 MiB without any '_'", `nxk_${"a".repeat(1024 * 1024)}`],
  ])("%s is malformed", (_title, text) => {
    expect(parseApiKey(text)).toEqual({ ok: false, problem: "malformed" });
  });
});

describe("hash", () => {
  it("sha256 is the lowercase hex SHA-256 of the whole key text", () => {
    expect(apiKeySha256(ZERO_SECRET_KEY)).toBe(ZERO_SECRET_KEY_SHA256);
    expect(apiKeySha256(ZERO_SECRET_KEY)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("the digest the gate looks keys up by is the 32 bytes that sha256 spells, bytes above 127 included", () => {
    const digest = apiKeyDigest(ZERO_SECRET_KEY);
    expect(digest).toHaveLength(32);
    expect(Buffer.from(digest).toString("hex")).toBe(ZERO_SECRET_KEY_SHA256);
    expect(digest.some((byte) => byte > 127)).toBe(true);
  });

  it("a presented value that is not ASCII is digested as its UTF-8 bytes, as its sha256 is", () => {
    for (const text of ["nxk_ci_é_ü", "nxk_\u{1F511}_x", "\u00ff\u0100"]) {
      expect(Buffer.from(apiKeyDigest(text)).toString("hex")).toBe(createHash("sha256").update(Buffer.from(text, "utf8")).digest("hex"));
      expect(Buffer.from(apiKeyDigest(text)).toString("hex")).toBe(apiKeySha256(text));
    }
  });
});

describe("secret scanning", () => {
  it("the scan pattern finds every key in surrounding text and nothing in its hash", () => {
    const keys = [generateApiKey("ci"), generateApiKey("a"), generateApiKey("x".repeat(63), 48)];
    const text = `header x-api-key: ${keys[0]}\n{"k":"${keys[1]}"} ${keys[2]}, sha ${apiKeySha256(keys[0] as string)}`;
    expect([...text.matchAll(API_KEY_SCAN_PATTERN)].map((m) => m[0])).toEqual(keys);
  });
});
