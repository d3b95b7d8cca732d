// NEXUS API keys: nxk_<id>_<secret>_<checksum>. The prefix and the checksum let secret
// scanners recognise a key (and reject look-alikes) without asking anyone; the id lets logs,
// metrics and rules name the caller without the secret. Only the SHA-256 of the whole key
// text is ever stored (AccessPolicy authentication.apiKeys.keys[].sha256). Shared by the
// `nexus apikey` commands and the credential gate, so both agree on every byte.
import { hash, randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";

export const API_KEY_PREFIX = "nxk_";

/** The random part carries at least this much entropy (the contract's minimum). */
export const API_KEY_MIN_RANDOM_BYTES = 32;

const BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Characters of base62 it takes to hold `bytes` random bytes: 43 for 32 bytes. */
export function base62LengthFor(bytes: number): number {
  return Math.ceil((bytes * 8) / Math.log2(62));
}

/** Length of the random part of a key made from the minimum of 32 random bytes. */
export const API_KEY_MIN_SECRET_LENGTH = base62LengthFor(API_KEY_MIN_RANDOM_BYTES);

/** Generous upper bounds, so a parser never works on an attacker's megabyte. */
const MAX_SECRET_LENGTH = 512;
const MAX_ID_LENGTH = 63;
export const API_KEY_MAX_LENGTH = API_KEY_PREFIX.length + MAX_ID_LENGTH + 1 + MAX_SECRET_LENGTH + 1 + 6;

/** CRC32 in base62 is at most 6 characters (62^6 > 2^32); shorter values are padded with '0'. */
const CHECKSUM_LENGTH = 6;

const ID_PATTERN = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const BASE62_PATTERN = /^[0-9A-Za-z]+$/;

/**
 * The shape of a key anywhere in a text, for secret scanning: prefix, a DNS-1123 label id,
 * at least 43 base62 characters and a 6-character checksum. Matches are candidates; only
 * `parseApiKey` (checksum) says whether one is a NEXUS key.
 */
export const API_KEY_SCAN_PATTERN = /nxk_[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?_[0-9A-Za-z]{43,512}_[0-9A-Za-z]{6}/g;

/** The id a key may carry: a DNS-1123 label, as authentication.apiKeys.keys[].id. */
export function isApiKeyId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** `bytes` as a base62 number, left-padded with '0' to `length` characters. */
export function base62Encode(bytes: Uint8Array, length: number): string {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  let text = "";
  while (value > 0n) {
    text = BASE62_ALPHABET[Number(value % 62n)] + text;
    value /= 62n;
  }
  if (text.length > length) throw new Error(`${bytes.length} bytes need more than ${length} base62 characters`);
  return text.padStart(length, "0");
}

/** The checksum of everything before it (nxk_<id>_<secret>): CRC32 of those bytes, base62, 6 characters. */
export function apiKeyChecksum(body: string): string {
  const value = crc32(Buffer.from(body, "utf8")) >>> 0;
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return base62Encode(bytes, CHECKSUM_LENGTH);
}

/** A new key for `id` with `randomByteCount` (at least 32) bytes from the system's CSPRNG. */
export function generateApiKey(id: string, randomByteCount = API_KEY_MIN_RANDOM_BYTES): string {
  if (!isApiKeyId(id)) {
    throw new Error(`API key id "${id}" must be a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit`);
  }
  if (!Number.isInteger(randomByteCount) || randomByteCount < API_KEY_MIN_RANDOM_BYTES || base62LengthFor(randomByteCount) > MAX_SECRET_LENGTH) {
    throw new Error(`an API key takes ${API_KEY_MIN_RANDOM_BYTES} to ${Math.floor((MAX_SECRET_LENGTH * Math.log2(62)) / 8)} random bytes, not ${randomByteCount}`);
  }
  const body = `${API_KEY_PREFIX}${id}_${base62Encode(randomBytes(randomByteCount), base62LengthFor(randomByteCount))}`;
  return `${body}_${apiKeyChecksum(body)}`;
}

export type ApiKeyProblem =
  /** Not nxk_<id>_<secret>_<checksum> at all: wrong prefix, id, characters or lengths. */
  | "malformed"
  /** The right shape, but the checksum does not match: a typo or a made-up key. */
  | "checksum";

export type ParsedApiKey = { ok: true; id: string } | { ok: false; problem: ApiKeyProblem };

/**
 * Checks the shape and the checksum of a presented key without any lookup, so the gate can
 * answer a typo or a forged key at once. Never throws; works on at most API_KEY_MAX_LENGTH
 * characters whatever it is given. The id it returns is safe to log; the rest is not.
 */
export function parseApiKey(text: string): ParsedApiKey {
  if (text.length > API_KEY_MAX_LENGTH || !text.startsWith(API_KEY_PREFIX)) return { ok: false, problem: "malformed" };
  const last = text.lastIndexOf("_");
  const idEnd = text.indexOf("_", API_KEY_PREFIX.length);
  if (idEnd < 0 || last <= idEnd) return { ok: false, problem: "malformed" };
  const id = text.slice(API_KEY_PREFIX.length, idEnd);
  const secret = text.slice(idEnd + 1, last);
  const checksum = text.slice(last + 1);
  const wellFormed =
    isApiKeyId(id) &&
    secret.length >= API_KEY_MIN_SECRET_LENGTH &&
    secret.length <= MAX_SECRET_LENGTH &&
    BASE62_PATTERN.test(secret) &&
    checksum.length === CHECKSUM_LENGTH &&
    BASE62_PATTERN.test(checksum);
  if (!wellFormed) return { ok: false, problem: "malformed" };
  if (apiKeyChecksum(text.slice(0, last)) !== checksum) return { ok: false, problem: "checksum" };
  return { ok: true, id };
}

/** The SHA-256 of the whole key text as bytes: what the gate looks a presented key up by. */
export function apiKeyDigest(key: string): Uint8Array {
  // Not hash()'s Buffer: that makes an ArrayBuffer for every key presented, which cost four
  // to five times the digest itself (and the collector has to sweep it). The digest as a
  // "binary" (latin1) string, one character per byte, copied into 32 bytes that V8 keeps
  // inside its own heap costs a fifth of that.
  const text = hash("sha256", key, "binary");
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The lowercase hex SHA-256 of the whole key text: the value of keys[].sha256. */
export function apiKeySha256(key: string): string {
  // The one-shot form straight to hex takes a third of the time of a Hash object and a
  // Buffer turned into hex, and the gate computes it for every key presented.
  return hash("sha256", key, "hex");
}
