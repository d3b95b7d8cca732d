// An apiKey source -> the ids of the declared keys it admits, or the reason it is left out.
// The mesh never sees API keys: these ids only decide whether a rule is gated (the credential
// gate checks the key itself), so every doubt leaves the source out, as for engines.
import type { ApiKeyDeclaration, ApiKeySource } from "../api/types.js";
import { SourceReason } from "./reasons.js";
import { sortedUnique } from "./sorted.js";
import type { TenantIsolation } from "./tenant-isolation.js";

export type ResolvedApiKeySource =
  | { kind: "apiKey"; keyIds: string[] }
  | { kind: "left-out"; reason: string; message: string };

export interface ApiKeyContext {
  /** authentication.apiKeys.keys of the policy; absent when it declares none. */
  apiKeys?: readonly ApiKeyDeclaration[];
  /** False when the policy turns the gate off: no one would check the key. */
  gateOn?: boolean;
  isolation?: TenantIsolation;
}

/** `at` locates the source for people, e.g. rules[0].from[2]. */
export function resolveApiKeySource(source: ApiKeySource, at: string, context: ApiKeyContext): ResolvedApiKeySource {
  if ((source.id === undefined) === (source.tenant === undefined)) {
    return leftOut(SourceReason.InvalidSource, `${at}.apiKey sets ${source.id === undefined ? "neither" : "both"} of id and tenant; set exactly one`);
  }
  if (context.gateOn === false) {
    return leftOut(SourceReason.GateOff, `${at} admits an API key, but authentication.gate is false, so nothing would check the key; turn the gate on or remove the source`);
  }
  const keys = context.apiKeys ?? [];
  if (source.id !== undefined) {
    const key = keys.find((k) => k.id === source.id);
    if (!key) {
      return leftOut(SourceReason.ApiKeyNotDeclared, `${at} names API key ${source.id}, which authentication.apiKeys.keys does not declare; declare it or correct the id`);
    }
    if (context.isolation && key.tenant !== undefined && key.tenant !== context.isolation.tenant) {
      return leftOut(SourceReason.CrossTenant, `${at} names API key ${key.id} of tenant ${key.tenant}, not the target's tenant ${context.isolation.tenant}; set allowCrossTenant: true to admit other tenants`);
    }
    return { kind: "apiKey", keyIds: [key.id] };
  }
  const tenant = source.tenant as string;
  if (context.isolation && tenant !== context.isolation.tenant) {
    return leftOut(SourceReason.CrossTenant, `${at} names the API keys of tenant ${tenant}, not the target's tenant ${context.isolation.tenant}; set allowCrossTenant: true to admit other tenants`);
  }
  const members = keys.filter((k) => k.tenant === tenant).map((k) => k.id);
  if (members.length === 0) {
    return leftOut(SourceReason.ApiKeyTenantEmpty, `${at} names the API keys of tenant ${tenant}, but no key in authentication.apiKeys.keys has that tenant; set tenant on its keys or correct the name`);
  }
  return { kind: "apiKey", keyIds: sortedUnique(members) };
}

function leftOut(reason: string, message: string): ResolvedApiKeySource {
  return { kind: "left-out", reason, message };
}
