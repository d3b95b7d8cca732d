// Which credentials a request presents to a target: API keys in the target's key headers
// or as "Authorization: ApiKey <key>", and tokens in the headers its issuers declare
// (default "Authorization: Bearer <token>"). Pure: it reads headers, it verifies nothing.
import type { JwtIssuer } from "../api/types.js";
import { DEFAULT_KEY_HEADER, type CompiledPolicy } from "./compiled-policy.js";

export interface PresentedKey {
  header: string;
  text: string;
}

export interface PresentedToken {
  header: string;
  token: string;
}

export interface Presented {
  keys: PresentedKey[];
  tokens: PresentedToken[];
  /** What the target accepts, for the WWW-Authenticate challenge. */
  acceptsKeys: boolean;
  acceptsTokens: boolean;
}

const API_KEY_SCHEME = "apikey ";
const DEFAULT_TOKEN_HEADERS = [{ name: "authorization", prefix: "Bearer " }];

export function presentedCredentials(headers: ReadonlyMap<string, string>, policies: readonly CompiledPolicy[]): Presented {
  const keyHeaders = new Set<string>(policies.length === 0 ? [DEFAULT_KEY_HEADER] : []);
  let acceptsKeys = policies.length === 0;
  const tokenHeaders = new Map<string, Set<string>>();
  for (const policy of policies) {
    if (policy.keys.length > 0) {
      acceptsKeys = true;
      keyHeaders.add(policy.keyHeader);
    }
    for (const issuer of policy.issuers) {
      for (const from of tokenHeadersOf(issuer)) {
        const name = from.name.toLowerCase();
        const prefixes = tokenHeaders.get(name) ?? new Set<string>();
        prefixes.add(from.prefix ?? "");
        tokenHeaders.set(name, prefixes);
      }
    }
  }
  const keys: PresentedKey[] = [];
  for (const header of keyHeaders) {
    const value = headers.get(header);
    if (value !== undefined && value.trim() !== "") keys.push({ header, text: value.trim() });
  }
  const authorization = headers.get("authorization");
  if (authorization !== undefined && authorization.slice(0, API_KEY_SCHEME.length).toLowerCase() === API_KEY_SCHEME) {
    keys.push({ header: "authorization", text: authorization.slice(API_KEY_SCHEME.length).trim() });
  }
  const tokens: PresentedToken[] = [];
  for (const [header, prefixes] of tokenHeaders) {
    const value = headers.get(header);
    if (value === undefined) continue;
    for (const prefix of prefixes) {
      // Scheme names are case-insensitive (RFC 9110), so "bearer x" is a bearer token too.
      if (value.length > prefix.length && value.slice(0, prefix.length).toLowerCase() === prefix.toLowerCase()) {
        tokens.push({ header, token: value.slice(prefix.length).trim() });
        break;
      }
    }
  }
  return { keys, tokens, acceptsKeys, acceptsTokens: tokenHeaders.size > 0 || policies.length === 0 };
}

export function tokenHeadersOf(issuer: JwtIssuer): Array<{ name: string; prefix?: string }> {
  return issuer.fromHeaders && issuer.fromHeaders.length > 0 ? issuer.fromHeaders : DEFAULT_TOKEN_HEADERS;
}
