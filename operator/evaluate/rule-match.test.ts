import { describe, expect, it } from "vitest";
import type { RuleSpec } from "./authorization-policy.js";
import { attributesOf, type AccessRequest } from "./request.js";
import { ruleMatches } from "./rule-match.js";
import { CALLER, ISSUER, request, withToken } from "./testing/request-builders.js";

type Case = [name: string, rule: RuleSpec, request: AccessRequest, matches: boolean];

const plaintext = request({ source: {} });
const tokenFor = (subject: string, extra: Partial<AccessRequest["source"]> = {}) => request({ source: withToken(subject, extra) });
const source = (s: NonNullable<NonNullable<RuleSpec["from"]>[number]["source"]>): RuleSpec => ({ from: [{ source: s }] });
const operation = (o: NonNullable<NonNullable<RuleSpec["to"]>[number]["operation"]>): RuleSpec => ({ to: [{ operation: o }] });
const when = (key: string, values?: string[], notValues?: string[]): RuleSpec => ({
  when: [{ key, ...(values ? { values } : {}), ...(notValues ? { notValues } : {}) }],
});

function check(cases: Case[]) {
  it.each(cases)("%s", (_, rule, req, expected) => {
    expect(ruleMatches(rule, attributesOf(req))).toBe(expected);
  });
}

describe("a rule with no fields", () => {
  check([
    ["matches an mTLS request", {}, request(), true],
    ["matches a plaintext request", {}, plaintext, true],
    ["with empty from/to/when lists also matches everything", { from: [], to: [], when: [] }, plaintext, true],
    ["with a source entry without fields matches everything", { from: [{ source: {} }] }, plaintext, true],
  ]);
});

describe("from: principals and notPrincipals", () => {
  check([
    ["principals matches the caller's principal", source({ principals: [CALLER] }), request(), true],
    ["a caller principal given as a SPIFFE ID is matched without its scheme", source({ principals: [CALLER] }), request({ source: { principal: `spiffe://${CALLER}` } }), true],
    ["principals does not match another principal", source({ principals: ["cluster.local/ns/shop/sa/other"] }), request(), false],
    ["principals supports prefix patterns", source({ principals: ["cluster.local/ns/shop/*"] }), request(), true],
    ["principals * matches any mTLS caller", source({ principals: ["*"] }), request(), true],
    ["principals * does not match a plaintext caller", source({ principals: ["*"] }), plaintext, false],
    ["notPrincipals excludes the listed caller", source({ notPrincipals: [CALLER] }), request(), false],
    ["notPrincipals admits other callers", source({ notPrincipals: ["cluster.local/ns/x/sa/y"] }), request(), true],
    ["notPrincipals * matches only plaintext callers", source({ notPrincipals: ["*"] }), plaintext, true],
    ["notPrincipals * does not match an mTLS caller", source({ notPrincipals: ["*"] }), request(), false],
  ]);
});

describe("from: namespaces and notNamespaces", () => {
  check([
    ["namespaces matches the namespace derived from the principal", source({ namespaces: ["shop"] }), request(), true],
    ["namespaces does not match another namespace", source({ namespaces: ["billing"] }), request(), false],
    ["an explicit source namespace wins over the principal's", source({ namespaces: ["billing"] }), request({ source: { principal: CALLER, namespace: "billing" } }), true],
    ["namespaces never matches a caller without namespace", source({ namespaces: ["*"] }), plaintext, false],
    ["notNamespaces excludes the listed namespace", source({ notNamespaces: ["shop"] }), request(), false],
    ["notNamespaces matches a caller without namespace", source({ notNamespaces: ["shop"] }), plaintext, true],
  ]);
});

describe("from: requestPrincipals and notRequestPrincipals", () => {
  check([
    ["requestPrincipals matches the token's issuer/subject", source({ requestPrincipals: [`${ISSUER}/alice`] }), tokenFor("alice"), true],
    ["requestPrincipals does not match another subject", source({ requestPrincipals: [`${ISSUER}/alice`] }), tokenFor("bob"), false],
    ["requestPrincipals * matches any valid token", source({ requestPrincipals: ["*"] }), tokenFor("bob"), true],
    ["requestPrincipals * does not match a request without token", source({ requestPrincipals: ["*"] }), request(), false],
    ["notRequestPrincipals * matches a request WITHOUT a token", source({ notRequestPrincipals: ["*"] }), request(), true],
    ["notRequestPrincipals * does not match a request with a token", source({ notRequestPrincipals: ["*"] }), tokenFor("alice"), false],
    ["notRequestPrincipals excludes the listed token", source({ notRequestPrincipals: [`${ISSUER}/alice`] }), tokenFor("alice"), false],
  ]);
});

describe("from: several fields and several entries", () => {
  check([
    ["all fields of one entry must match", source({ principals: [CALLER], namespaces: ["billing"] }), request(), false],
    [
      "any one entry matching is enough",
      { from: [{ source: { namespaces: ["billing"] } }, { source: { principals: [CALLER] } }] },
      request(),
      true,
    ],
    ["ipBlocks are ignored (not in the request model)", source({ ipBlocks: ["10.0.0.0/8"] }), request(), true],
  ]);
});

describe("to: methods, paths, ports", () => {
  check([
    ["methods matches the request method", operation({ methods: ["GET", "HEAD"] }), request(), true],
    ["methods does not match another method", operation({ methods: ["POST"] }), request(), false],
    ["notMethods excludes the listed method", operation({ notMethods: ["GET"] }), request(), false],
    ["paths exact", operation({ paths: ["/api/items"] }), request(), true],
    ["paths prefix", operation({ paths: ["/api/*"] }), request(), true],
    ["paths suffix", operation({ paths: ["*/items"] }), request(), true],
    ["paths ignore the query string", operation({ paths: ["/api/items"] }), request({ operation: { path: "/api/items?page=2" } }), true],
    ["paths does not match another path", operation({ paths: ["/admin/*"] }), request(), false],
    ["notPaths excludes the listed path", operation({ notPaths: ["/api/*"] }), request(), false],
    ["ports are strings matched against the port", operation({ ports: ["8080"] }), request(), true],
    ["ports does not match another port", operation({ ports: ["9090"] }), request(), false],
    ["notPorts excludes the listed port", operation({ notPorts: ["8080"] }), request(), false],
    ["all fields of one operation must match", operation({ methods: ["GET"], ports: ["9090"] }), request(), false],
    ["any one operation matching is enough", { to: [{ operation: { ports: ["9090"] } }, { operation: { methods: ["GET"] } }] }, request(), true],
    ["hosts are ignored (not in the request model)", operation({ hosts: ["other.example.com"] }), request(), true],
    ["from and to must both match", { ...source({ principals: [CALLER] }), ...operation({ methods: ["POST"] }) }, request(), false],
  ]);
});

describe("when conditions", () => {
  const tokenWithClaims = tokenFor("alice", { claims: { groups: ["admin", "dev"], iss: [ISSUER], sub: ["alice"] }, audiences: ["shop-api"] });
  check([
    ["request.auth.claims[name] matches when any claim value matches", when("request.auth.claims[groups]", ["admin"]), tokenWithClaims, true],
    ["request.auth.claims[name] does not match other values", when("request.auth.claims[groups]", ["ops"]), tokenWithClaims, false],
    ["request.auth.claims[name] never matches a missing claim", when("request.auth.claims[team]", ["*"]), tokenWithClaims, false],
    ["request.auth.claims notValues excludes a present value", when("request.auth.claims[groups]", undefined, ["dev"]), tokenWithClaims, false],
    ["request.auth.claims notValues matches a missing claim", when("request.auth.claims[team]", undefined, ["x"]), tokenWithClaims, true],
    ["claims of a request without token are missing", when("request.auth.claims[groups]", ["admin"]), request({ source: { principal: CALLER, claims: { groups: ["admin"] } } }), false],
    ["nested claims [a][b] are looked up under the name a.b", when("request.auth.claims[realm][role]", ["ops"]), tokenFor("alice", { claims: { "realm.role": ["ops"] } }), true],
    ["request.auth.presenter matches the azp claim", when("request.auth.presenter", ["cli"]), tokenFor("alice", { claims: { azp: ["cli"] } }), true],
    ["request.auth.audiences matches an audience", when("request.auth.audiences", ["shop-api"]), tokenWithClaims, true],
    ["request.auth.audiences does not match other audiences", when("request.auth.audiences", ["billing-api"]), tokenWithClaims, false],
    ["request.auth.principal matches the token's principal", when("request.auth.principal", [`${ISSUER}/alice`]), tokenWithClaims, true],
    ["request.auth.principal notValues * matches a request without token", when("request.auth.principal", undefined, ["*"]), request(), true],
    ["source.principal matches the peer principal", when("source.principal", [CALLER]), request(), true],
    ["source.principal never matches a plaintext caller", when("source.principal", ["*"]), plaintext, false],
    ["source.namespace matches the caller's namespace", when("source.namespace", ["shop"]), request(), true],
    ["source.namespace notValues excludes the namespace", when("source.namespace", undefined, ["shop"]), request(), false],
    ["destination.port matches the port", when("destination.port", ["8080"]), request(), true],
    ["destination.port notValues excludes the port", when("destination.port", undefined, ["8080"]), request(), false],
    ["request.headers[name] matches the header, case-insensitively", when("request.headers[X-Tenant]", ["acme"]), request({ operation: { headers: { "x-tenant": "acme" } } }), true],
    ["request.headers[name] never matches a missing header", when("request.headers[x-tenant]", ["*"]), request(), false],
    ["values and notValues must both hold", { when: [{ key: "destination.port", values: ["8080"], notValues: ["8080"] }] }, request(), false],
    [
      "every condition must hold",
      { when: [{ key: "destination.port", values: ["8080"] }, { key: "source.namespace", values: ["billing"] }] },
      request(),
      false,
    ],
    ["a condition on an unmodelled key is treated as satisfied", when("source.ip", ["10.0.0.1"]), request(), true],
  ]);
});
