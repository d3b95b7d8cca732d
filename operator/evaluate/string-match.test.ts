import { describe, expect, it } from "vitest";
import { matchesIstioString, matchesNamespacePattern, matchesRequestPrincipalPattern } from "./string-match.js";

describe("Istio string patterns", () => {
  it.each([
    ["exact matches only the same string", "/v1/items", "/v1/items", true],
    ["exact does not match a longer string", "/v1/items", "/v1/items/1", false],
    ["prefix abc* matches strings starting with abc", "/v1/*", "/v1/items", true],
    ["prefix abc* matches abc itself", "/v1/*", "/v1/", true],
    ["prefix abc* does not match other strings", "/v1/*", "/v2/items", false],
    ["suffix *abc matches strings ending with abc", "*.json", "/a/b.json", true],
    ["suffix *abc does not match other strings", "*.json", "/a/b.xml", false],
    ["presence * matches any non-empty value", "*", "x", true],
    ["presence * does not match the empty value", "*", "", false],
    ["a leading * wins over a trailing one, as in Istio (*abc* is a suffix)", "*abc*", "xabc*", true],
    ["*abc* is not a substring match", "*abc*", "xabcx", false],
  ])("%s", (_, pattern, value, expected) => {
    expect(matchesIstioString(pattern, value)).toBe(expected);
  });
});

describe("namespace patterns (a glob over the principal's namespace)", () => {
  it.each([
    ["exact name", "prod", "prod", true],
    ["another name does not match", "prod", "prod2", false],
    ["prefix", "team-*", "team-a", true],
    ["suffix", "*-prod", "shop-prod", true],
    ["* in the middle is a glob too", "team-*-prod", "team-a-prod", true],
    ["regex characters in the name are literal", "a.b", "axb", false],
  ])("%s", (_, pattern, namespace, expected) => {
    expect(matchesNamespacePattern(pattern, namespace)).toBe(expected);
  });
});

describe("request principal patterns (issuer and subject matched apart)", () => {
  const issuer = "https://idp.example.com";
  it.each([
    ["exact issuer/subject", `${issuer}/alice`, issuer, "alice", true],
    ["exact with another subject does not match", `${issuer}/alice`, issuer, "bob", false],
    ["* matches any token", "*", issuer, "alice", true],
    ["issuer/* matches any subject of that issuer", `${issuer}/*`, issuer, "bob", true],
    ["issuer/* does not match an issuer that merely starts with it", `${issuer}/*`, `${issuer}/realm`, "bob", false],
    ["issuer/prefix* matches subjects with that prefix", `${issuer}/svc-*`, issuer, "svc-a", true],
    ["*/subject matches that subject from any issuer", "*/alice", "https://other", "alice", true],
    ["*suffix/subject matches issuers with that suffix", "*.example.com/alice", issuer, "alice", true],
    ["a pattern without / and a leading * is a subject suffix", "*@example.com", issuer, "a@example.com", true],
    ["a pattern without / and a trailing * is an issuer prefix", "accounts.*", "accounts.example.com", "alice", true],
    ["the split is at the last /, so a URL issuer needs its subject part", "https://idp.*", issuer, "alice", false],
  ])("%s", (_, pattern, iss, sub, expected) => {
    expect(matchesRequestPrincipalPattern(pattern, iss, sub)).toBe(expected);
  });
});
