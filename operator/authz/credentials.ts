// Which credentials a request presents to a target: API keys in the target's key headers
// or as "Authorization: ApiKey <key>", and tokens in the headers its issuers declare
// (default "Authorization: Bearer <token>"). Pure: it reads headers, it verifies nothing.
import type { JwtIssuer } from "../api/types.js";
import { DEFAULT_KEY_HEADER, type CompiledPolicy } from "./compiled-policy.js";
import type { RequestHeaders } from "./request.js";

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

/** Where a target's credentials may be: worked out once per list of policies. */
interface HeaderPlan {
  keyHeaders: readonly string[];
  /** Token header name to the scheme prefixes its issuers declare. */
  tokenHeaders: ReadonlyArray<[string, readonly string[]]>;
  acceptsKeys: boolean;
  acceptsTokens: boolean;
}

// The index hands out the same policies array for a target until a policy changes, so the
// plan is computed once per change rather than for every Check.
const plans = new WeakMap<readonly CompiledPolicy[], HeaderPlan>();

function headerPlanOf(policies: readonly CompiledPolicy[]): HeaderPlan {
  const known = plans.get(policies);
  if (known) return known;
  const keyHeaders = new Set<string>(policies.length === 0 ? [DEFAULT_KEY_HEADER] : []);
  let acceptsKeys = policies.length === 0;
  const tokenHeaders = new Map<string, Set<string>>();
  for (const policy of policies) {
    if (policy.keys.size > 0) {
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
  const plan: HeaderPlan = {
    keyHeaders: [...keyHeaders],
    tokenHeaders: [...tokenHeaders].map(([name, prefixes]): [string, string[]] => [name, [...prefixes]]),
    acceptsKeys,
    acceptsTokens: tokenHeaders.size > 0 || policies.length === 0,
  };
  plans.set(policies, plan);
  return plan;
}

export function presentedCredentials(headers: RequestHeaders, policies: readonly CompiledPolicy[]): Presented {
  const plan = headerPlanOf(policies);
  const keys: PresentedKey[] = [];
  for (const header of plan.keyHeaders) {
    const value = headers.get(header);
    if (value !== undefined && value.trim() !== "") keys.push({ header, text: value.trim() });
  }
  const authorization = headers.get("authorization");
  if (authorization !== undefined && authorization.slice(0, API_KEY_SCHEME.length).toLowerCase() === API_KEY_SCHEME) {
    keys.push({ header: "authorization", text: authorization.slice(API_KEY_SCHEME.length).trim() });
  }
  const tokens: PresentedToken[] = [];
  for (const [header, prefixes] of plan.tokenHeaders) {
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
  return { keys, tokens, acceptsKeys: plan.acceptsKeys, acceptsTokens: plan.acceptsTokens };
}

export function tokenHeadersOf(issuer: JwtIssuer): Array<{ name: string; prefix?: string }> {
  return issuer.fromHeaders && issuer.fromHeaders.length > 0 ? issuer.fromHeaders : DEFAULT_TOKEN_HEADERS;
}
