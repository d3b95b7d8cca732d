// Admission of EngineIdentity and AccessPolicy by the real apiserver, with the CRDs from
// crds/ installed: invalid objects are refused with a message that names the field and
// says what is allowed, valid edge cases get through, and defaults are filled in.
import { createHash } from "node:crypto";
import type { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type KubeStatus,
  type NexusKind,
  adminKubeConfig,
  createNamespace,
  createNexusObject,
  deleteNamespaces,
  readNexusObject,
} from "./support.js";

type Json = Record<string, unknown>;

interface Example {
  /** What is wrong (invalid cases) or which edge is exercised (valid cases). */
  title: string;
  kind: NexusKind;
  /** Default: a name derived from the case's position in its table. */
  name?: string;
  spec: Json;
}

interface InvalidExample extends Example {
  /** The field path the apiserver must name, e.g. spec.certificate.renewBefore. */
  field: string;
  /** Must match the message of the cause at `field`: what the field accepts. */
  allowed: RegExp;
}

// Valid building blocks; each invalid case below breaks exactly one thing in them.
const selector = { matchLabels: { app: "ledger" } };
const issuerRef = { name: "nexus-ca", kind: "ClusterIssuer" };
const identity = (spec: Json, name?: string): Example => ({ title: "", kind: "EngineIdentity", name, spec });
const withCert = (certificate: Json): Json => ({ workloadSelector: selector, certificate: { issuerRef, ...certificate } });
const policy = (spec: Json): Json => ({ targetIdentity: "ledger", ...spec });
const from = (...sources: Json[]): Json => policy({ rules: [{ from: sources }] });
const to = (...operations: Json[]): Json => policy({ rules: [{ from: [{ namespace: "storefront" }], to: operations }] });
const issuer = (i: number): Json => ({ issuer: `https://issuer-${i}.example.com`, jwksUri: `https://issuer-${i}.example.com/jwks.json` });
const times = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");
const apiKey = (id: string, extra: Json = {}): Json => ({ id, sha256: sha256(`nxk_${id}_example`), ...extra });
/** An Allow policy declaring `keys` whose one rule admits `sources`. */
const withKeys = (keys: Json[], ...sources: Json[]): Json => ({ ...from(...sources), authentication: { apiKeys: { keys } } });

const DNS_LABEL = /must be a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit/;
const KEY_SIZE = /size must be 256, 384 or 521 for ECDSA, 2048, 3072 or 4096 for RSA, and absent for Ed25519/;
const SPIFFE_SYNTAX = /should match '\^spiffe:\/\/\[a-z0-9\._-\]\+/;
const PATH_SYNTAX = /should match '\^\(\[\*\]\|\[\*\]\[\^\*\]\+\|\/\[\^\*\]\*\[\*\]\?\)\$'/;
const ONE_SOURCE_KIND = /a source must set exactly one of identity, tenant, namespace, principal, jwt, apiKey/;
const SHA256_HEX = /sha256 must be the lowercase hex SHA-256 of the key: exactly 64 characters 0-9 and a-f/;
const KEY_DECLARED = /every rules\[\]\.from\[\]\.apiKey\.id must be declared in authentication\.apiKeys\.keys\[\]\.id/;
const KEY_NEEDS_GATE = /apiKey sources need an Allow policy with the credential gate on/;
const NAME_LABEL = /metadata.name must be a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit, no dots/;
const LABEL_KEY = /every matchLabels key must be a label key: an optional DNS subdomain prefix of at most 253 characters and '\/', then a name of at most 63/;

const invalid: InvalidExample[] = [
  // EngineIdentity: names
  { ...identity({ serviceAccountName: "Ledger_Engine" }), title: "serviceAccountName with upper case and '_'", field: "spec.serviceAccountName", allowed: DNS_LABEL },
  { ...identity({ serviceAccountName: "-ledger" }), title: "serviceAccountName starting with '-'", field: "spec.serviceAccountName", allowed: DNS_LABEL },
  { ...identity({ serviceAccountName: "ledger.engine" }), title: "serviceAccountName with a dot", field: "spec.serviceAccountName", allowed: DNS_LABEL },
  { ...identity({ serviceAccountName: "a".repeat(64) }), title: "serviceAccountName of 64 characters", field: "spec.serviceAccountName", allowed: /Too long: may not be more than 63 bytes/ },
  { ...identity({ tenant: "Acme" }), title: "tenant with upper case", field: "spec.tenant", allowed: DNS_LABEL },
  { ...identity({ tenant: "acme.corp" }), title: "tenant with a dot", field: "spec.tenant", allowed: DNS_LABEL },
  { ...identity({ tenant: "" }), title: "empty tenant", field: "spec.tenant", allowed: /should be at least 1 chars long/ },
  { ...identity({}, "ledger.v2"), title: "a dotted metadata.name", field: "metadata.name", allowed: NAME_LABEL },
  { ...identity({ serviceAccountName: "ledger-v2" }, "ledger.v2"), title: "a dotted metadata.name with an explicit serviceAccountName", field: "metadata.name", allowed: NAME_LABEL },
  { ...identity({}, "a".repeat(64)), title: "metadata.name of 64 characters", field: "metadata.name", allowed: NAME_LABEL },
  // EngineIdentity: workload selector
  { ...identity({ workloadSelector: { matchLabels: { "app name": "ledger" } } }), title: "label key with a space", field: "spec.workloadSelector.matchLabels", allowed: LABEL_KEY },
  { ...identity({ workloadSelector: { matchLabels: { "Example.com/app": "ledger" } } }), title: "label key prefix with upper case", field: "spec.workloadSelector.matchLabels", allowed: LABEL_KEY },
  { ...identity({ workloadSelector: { matchLabels: { ["a".repeat(64)]: "ledger" } } }), title: "label key name of 64 characters", field: "spec.workloadSelector.matchLabels", allowed: LABEL_KEY },
  { ...identity({ workloadSelector: { matchLabels: { "example.com/": "ledger" } } }), title: "label key with an empty name", field: "spec.workloadSelector.matchLabels", allowed: LABEL_KEY },
  { ...identity({ workloadSelector: { matchLabels: { app: "-ledger" } } }), title: "label value starting with '-'", field: "spec.workloadSelector.matchLabels[app]", allowed: /a label value must be empty or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit/ },
  { ...identity({ workloadSelector: { matchLabels: { app: "ledger/v2" } } }), title: "label value with '/'", field: "spec.workloadSelector.matchLabels[app]", allowed: /a label value must be empty or at most 63 letters/ },
  { ...identity({ workloadSelector: { matchLabels: { app: "a".repeat(64) } } }), title: "label value of 64 characters", field: "spec.workloadSelector.matchLabels.app", allowed: /Too long: may not be more than 63 bytes/ },
  { ...identity({ workloadSelector: { matchLabels: {} } }), title: "empty matchLabels (would select every pod)", field: "spec.workloadSelector.matchLabels", allowed: /should have at least 1 properties/ },
  // EngineIdentity: certificate durations
  { ...identity(withCert({ duration: "30m" })), title: "duration below 1h", field: "spec.certificate.duration", allowed: /duration must be a Go duration such as 24h, 90m or 1h30m, and at least 1h/ },
  { ...identity(withCert({ duration: "59m59s" })), title: "duration just below 1h", field: "spec.certificate.duration", allowed: /at least 1h/ },
  { ...identity(withCert({ duration: "1d" })), title: "duration in days (not a Go duration)", field: "spec.certificate.duration", allowed: /duration must be a Go duration such as 24h/ },
  { ...identity(withCert({ duration: "24" })), title: "duration without a unit", field: "spec.certificate.duration", allowed: /duration must be a Go duration such as 24h/ },
  { ...identity(withCert({ duration: "-24h" })), title: "negative duration", field: "spec.certificate.duration", allowed: /duration must be a Go duration such as 24h/ },
  { ...identity(withCert({ duration: "1d", renewBefore: "8h" })), title: "malformed duration next to a valid renewBefore (no comparison error)", field: "spec.certificate.duration", allowed: /duration must be a Go duration such as 24h/ },
  { ...identity(withCert({ renewBefore: "eight hours" })), title: "malformed renewBefore", field: "spec.certificate.renewBefore", allowed: /renewBefore must be a Go duration such as 8h or 90m, and at least 5m/ },
  { ...identity(withCert({ renewBefore: "1m" })), title: "renewBefore below cert-manager's minimum of 5m", field: "spec.certificate.renewBefore", allowed: /at least 5m/ },
  { ...identity(withCert({ duration: "2h", renewBefore: "2h" })), title: "renewBefore equal to duration", field: "spec.certificate.renewBefore", allowed: /renewBefore must be strictly less than duration/ },
  { ...identity(withCert({ duration: "2h", renewBefore: "150m" })), title: "renewBefore above duration", field: "spec.certificate.renewBefore", allowed: /renewBefore must be strictly less than duration/ },
  { ...identity(withCert({ renewBefore: "24h" })), title: "renewBefore equal to the 24h default duration", field: "spec.certificate.renewBefore", allowed: /strictly less than duration \(duration defaults to 24h\)/ },
  { ...identity(withCert({ renewBefore: "30h" })), title: "renewBefore above the 24h default duration", field: "spec.certificate.renewBefore", allowed: /strictly less than duration \(duration defaults to 24h\)/ },
  // EngineIdentity: key
  { ...identity(withCert({ privateKey: { algorithm: "ECDSA", size: 2048 } })), title: "ECDSA with an RSA size", field: "spec.certificate.privateKey.size", allowed: KEY_SIZE },
  { ...identity(withCert({ privateKey: { size: 224 } })), title: "ECDSA (default algorithm) with size 224", field: "spec.certificate.privateKey.size", allowed: KEY_SIZE },
  { ...identity(withCert({ privateKey: { algorithm: "RSA", size: 256 } })), title: "RSA with an ECDSA size", field: "spec.certificate.privateKey.size", allowed: KEY_SIZE },
  { ...identity(withCert({ privateKey: { algorithm: "RSA", size: 1024 } })), title: "RSA 1024", field: "spec.certificate.privateKey.size", allowed: KEY_SIZE },
  { ...identity(withCert({ privateKey: { algorithm: "Ed25519", size: 256 } })), title: "Ed25519 with a size", field: "spec.certificate.privateKey.size", allowed: KEY_SIZE },
  { ...identity(withCert({ privateKey: { algorithm: "DSA" } })), title: "unknown key algorithm", field: "spec.certificate.privateKey.algorithm", allowed: /supported values: "ECDSA", "RSA", "Ed25519"/ },
  // EngineIdentity: issuer, secret, DNS names
  { ...identity(withCert({ issuerRef: { name: "nexus-ca", kind: "VaultIssuer" } })), title: "issuerRef kind other than Issuer or ClusterIssuer", field: "spec.certificate.issuerRef.kind", allowed: /supported values: "Issuer", "ClusterIssuer"/ },
  { ...identity(withCert({ issuerRef: { name: "Nexus CA" } })), title: "issuerRef name that is not a resource name", field: "spec.certificate.issuerRef.name", allowed: /issuerRef.name must be the name of an Issuer or ClusterIssuer: lowercase letters, digits, '-' and '.'/ },
  { ...identity(withCert({ issuerRef: { kind: "Issuer" } })), title: "issuerRef without name", field: "spec.certificate.issuerRef.name", allowed: /Required value/ },
  { ...identity(withCert({ issuerRef: { name: "ca", group: "Cert-Manager.IO" } })), title: "issuerRef group that is not an API group", field: "spec.certificate.issuerRef.group", allowed: /issuerRef.group must be an API group/ },
  { ...identity(withCert({ secretName: "Ledger_SVID" })), title: "secretName that is not a Secret name", field: "spec.certificate.secretName", allowed: /secretName must be a Secret name \(a DNS-1123 subdomain\)/ },
  { ...identity(withCert({ dnsNames: times(17, (i) => `ledger-${i}.payments.svc`) })), title: "17 dnsNames", field: "spec.certificate.dnsNames", allowed: /must have at most 16 items/ },
  { ...identity(withCert({ dnsNames: ["Ledger.Payments.svc"] })), title: "dnsName with upper case", field: "spec.certificate.dnsNames[0]", allowed: /a dnsNames entry must be a lowercase DNS name such as ledger.payments.svc, optionally starting with '\*\.' for a wildcard/ },
  { ...identity(withCert({ dnsNames: ["ledger.payments.svc", "ledger..svc"] })), title: "dnsName with an empty label", field: "spec.certificate.dnsNames[1]", allowed: /a dnsNames entry must be a lowercase DNS name/ },
  { ...identity(withCert({ dnsNames: ["ledger.*.svc"] })), title: "dnsName with a wildcard that is not leftmost", field: "spec.certificate.dnsNames[0]", allowed: /a dnsNames entry must be a lowercase DNS name/ },
  { ...identity(withCert({ dnsNames: ["https://ledger.payments.svc"] })), title: "dnsName that is a URL", field: "spec.certificate.dnsNames[0]", allowed: /a dnsNames entry must be a lowercase DNS name/ },

  // AccessPolicy: enums and the baseline
  { kind: "AccessPolicy", title: "unknown action", spec: policy({ action: "Permit", rules: [{ from: [{ namespace: "a" }] }] }), field: "spec.action", allowed: /supported values: "Allow", "Deny", "Audit"/ },
  { kind: "AccessPolicy", title: "mtls Disable (there is no Disable)", spec: { ...from({ namespace: "a" }), mtls: "Disable" }, field: "spec.mtls", allowed: /supported values: "Strict", "Permissive"/ },
  { kind: "AccessPolicy", title: "mtls Permissive without targetIdentity", spec: { mtls: "Permissive", rules: [{ from: [{ namespace: "a" }] }] }, field: "spec.mtls", allowed: /mtls: Permissive requires targetIdentity/ },
  { kind: "AccessPolicy", title: "targetIdentity that is not a resource name", spec: { ...from({ namespace: "a" }), targetIdentity: "Ledger" }, field: "spec.targetIdentity", allowed: /targetIdentity must be the name of an EngineIdentity: lowercase letters, digits, '-' and '.'/ },
  // AccessPolicy: rules that would admit anyone
  { kind: "AccessPolicy", title: "Allow rule without from", spec: policy({ rules: [{ to: [{ methods: ["GET"] }] }] }), field: "spec.rules", allowed: /every rule of an Allow policy needs a non-empty from: a rule without sources would admit anyone \(use action Deny or Audit/ },
  { kind: "AccessPolicy", title: "Allow rule with an empty from", spec: policy({ action: "Allow", rules: [{ from: [{ namespace: "a" }] }, { from: [] }] }), field: "spec.rules", allowed: /every rule of an Allow policy needs a non-empty from/ },
  // AccessPolicy: sources
  { kind: "AccessPolicy", title: "source with no kind", spec: from({}), field: "spec.rules[0].from[0]", allowed: ONE_SOURCE_KIND },
  { kind: "AccessPolicy", title: "source with two kinds", spec: from({ namespace: "a" }, { tenant: "acme", namespace: "storefront" }), field: "spec.rules[0].from[1]", allowed: ONE_SOURCE_KIND },
  { kind: "AccessPolicy", title: "identity source name that is not a resource name", spec: from({ identity: { name: "Web" } }), field: "spec.rules[0].from[0].identity.name", allowed: /identity.name must be the name of an EngineIdentity/ },
  { kind: "AccessPolicy", title: "identity source namespace that is not a DNS label", spec: from({ identity: { name: "web", namespace: "store.front" } }), field: "spec.rules[0].from[0].identity.namespace", allowed: /identity.namespace must be a DNS-1123 label/ },
  { kind: "AccessPolicy", title: "identity source without name", spec: from({ identity: { namespace: "storefront" } }), field: "spec.rules[0].from[0].identity.name", allowed: /Required value/ },
  { kind: "AccessPolicy", title: "tenant source with upper case", spec: from({ tenant: "Acme" }), field: "spec.rules[0].from[0].tenant", allowed: /tenant must be a DNS-1123 label/ },
  { kind: "AccessPolicy", title: "namespace source with '_'", spec: from({ namespace: "kube_system" }), field: "spec.rules[0].from[0].namespace", allowed: /namespace must be a DNS-1123 label/ },
  { kind: "AccessPolicy", title: "principal without the spiffe:// scheme", spec: from({ principal: "cluster.local/ns/a/sa/b" }), field: "spec.rules[0].from[0].principal", allowed: SPIFFE_SYNTAX },
  { kind: "AccessPolicy", title: "principal with another scheme", spec: from({ principal: "https://cluster.local/ns/a/sa/b" }), field: "spec.rules[0].from[0].principal", allowed: SPIFFE_SYNTAX },
  { kind: "AccessPolicy", title: "principal with an upper-case trust domain", spec: from({ principal: "spiffe://Cluster.Local/ns/a/sa/b" }), field: "spec.rules[0].from[0].principal", allowed: SPIFFE_SYNTAX },
  { kind: "AccessPolicy", title: "principal without a path", spec: from({ principal: "spiffe://cluster.local" }), field: "spec.rules[0].from[0].principal", allowed: SPIFFE_SYNTAX },
  { kind: "AccessPolicy", title: "principal with a trailing '/'", spec: from({ principal: "spiffe://cluster.local/ns/a/sa/b/" }), field: "spec.rules[0].from[0].principal", allowed: SPIFFE_SYNTAX },
  { kind: "AccessPolicy", title: "principal with a '..' segment", spec: from({ principal: "spiffe://cluster.local/ns/a/../sa/b" }), field: "spec.rules[0].from[0].principal", allowed: SPIFFE_SYNTAX },
  { kind: "AccessPolicy", title: "principal with a '.' segment", spec: from({ principal: "spiffe://cluster.local/ns/./sa/b" }), field: "spec.rules[0].from[0].principal", allowed: SPIFFE_SYNTAX },
  { kind: "AccessPolicy", title: "principal with a wildcard", spec: from({ principal: "spiffe://cluster.local/ns/a/sa/*" }), field: "spec.rules[0].from[0].principal", allowed: SPIFFE_SYNTAX },
  { kind: "AccessPolicy", title: "jwt source whose issuer is not declared in authentication.jwt", spec: { ...from({ jwt: { issuer: "https://other.example.com" } }), authentication: { jwt: [issuer(1)] } }, field: "spec.rules", allowed: /every rules\[\]\.from\[\]\.jwt\.issuer must be declared in authentication\.jwt\[\]\.issuer/ },
  { kind: "AccessPolicy", title: "jwt source without any authentication", spec: from({ jwt: { issuer: "https://login.example.com" } }), field: "spec.rules", allowed: /must be declared in authentication\.jwt\[\]\.issuer/ },
  { kind: "AccessPolicy", title: "jwt claim with an empty accepted value", spec: { ...from({ jwt: { issuer: issuer(1).issuer, claims: { groups: [""] } } }), authentication: { jwt: [issuer(1)] } }, field: "spec.rules[0].from[0].jwt.claims.groups[0]", allowed: /at least 1 chars long/ },
  { kind: "AccessPolicy", title: "jwt claim name with a space", spec: { ...from({ jwt: { issuer: issuer(1).issuer, claims: { "my group": ["a"] } } }), authentication: { jwt: [issuer(1)] } }, field: "spec.rules[0].from[0].jwt.claims", allowed: /claim names are 1 to 128 letters, digits/ },
  // AccessPolicy: sizes
  { kind: "AccessPolicy", title: "65 rules", spec: policy({ rules: times(65, (i) => ({ from: [{ namespace: `ns-${i}` }] })) }), field: "spec.rules", allowed: /must have at most 64 items/ },
  { kind: "AccessPolicy", title: "65 sources in a rule", spec: from(...times(65, (i) => ({ namespace: `ns-${i}` }))), field: "spec.rules[0].from", allowed: /must have at most 64 items/ },
  { kind: "AccessPolicy", title: "33 operations in a rule", spec: to(...times(33, (i) => ({ ports: [8000 + i] }))), field: "spec.rules[0].to", allowed: /must have at most 32 items/ },
  // AccessPolicy: operations
  { kind: "AccessPolicy", title: "unknown HTTP method", spec: to({ methods: ["FETCH"] }), field: "spec.rules[0].to[0].methods[0]", allowed: /supported values: "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"/ },
  { kind: "AccessPolicy", title: "lower-case HTTP method", spec: to({ methods: ["GET", "post"] }), field: "spec.rules[0].to[0].methods[1]", allowed: /supported values: "GET"/ },
  { kind: "AccessPolicy", title: "path with '*' in the middle", spec: to({ paths: ["/a*b"] }), field: "spec.rules[0].to[0].paths[0]", allowed: PATH_SYNTAX },
  { kind: "AccessPolicy", title: "path '**'", spec: to({ paths: ["/v1/*", "**"] }), field: "spec.rules[0].to[0].paths[1]", allowed: PATH_SYNTAX },
  { kind: "AccessPolicy", title: "path with '*' at both ends", spec: to({ paths: ["*/v1/*"] }), field: "spec.rules[0].to[0].paths[0]", allowed: PATH_SYNTAX },
  { kind: "AccessPolicy", title: "path without a leading '/'", spec: to({ paths: ["v1/items"] }), field: "spec.rules[0].to[0].paths[0]", allowed: PATH_SYNTAX },
  { kind: "AccessPolicy", title: "port 0", spec: to({ ports: [0] }), field: "spec.rules[0].to[0].ports[0]", allowed: /should be greater than or equal to 1/ },
  { kind: "AccessPolicy", title: "port 65536", spec: to({ ports: [8080, 65536] }), field: "spec.rules[0].to[0].ports[1]", allowed: /should be less than or equal to 65535/ },
  // AccessPolicy: authentication
  { kind: "AccessPolicy", title: "9 jwt issuers", spec: { ...from({ namespace: "a" }), authentication: { jwt: times(9, issuer) } }, field: "spec.authentication.jwt", allowed: /must have at most 8 items/ },
  { kind: "AccessPolicy", title: "the same jwt issuer twice", spec: { ...from({ namespace: "a" }), authentication: { jwt: [issuer(1), issuer(2), issuer(1)] } }, field: "spec.authentication.jwt[2]", allowed: /Duplicate value: .*issuer-1\.example\.com/ },
  { kind: "AccessPolicy", title: "jwksUri and jwks both set", spec: { ...from({ namespace: "a" }), authentication: { jwt: [{ ...issuer(1), jwks: '{"keys":[]}' }] } }, field: "spec.authentication.jwt[0].jwks", allowed: /set at most one of jwksUri and jwks, not both/ },
  { kind: "AccessPolicy", title: "jwksUri over plain http", spec: { ...from({ namespace: "a" }), authentication: { jwt: [{ issuer: "https://login.example.com", jwksUri: "http://login.example.com/jwks.json" }] } }, field: "spec.authentication.jwt[0].jwksUri", allowed: /jwksUri must be an https:\/\/ URL such as/ },
  { kind: "AccessPolicy", title: "jwksUri without a host", spec: { ...from({ namespace: "a" }), authentication: { jwt: [{ issuer: "https://login.example.com", jwksUri: "https:///jwks.json" }] } }, field: "spec.authentication.jwt[0].jwksUri", allowed: /jwksUri must be an https:\/\/ URL/ },
  { kind: "AccessPolicy", title: "requireJWT without any jwt issuer", spec: { ...from({ namespace: "a" }), authentication: { requireJWT: true } }, field: "spec.authentication.requireJWT", allowed: /requireJWT: true needs at least one issuer in authentication.jwt/ },
  { kind: "AccessPolicy", title: "requireJWT with an empty jwt list", spec: { ...from({ namespace: "a" }), authentication: { requireJWT: true, jwt: [] } }, field: "spec.authentication.requireJWT", allowed: /needs at least one issuer in authentication.jwt/ },
  // AccessPolicy: API keys and the credential gate
  { kind: "AccessPolicy", title: "key sha256 in upper case", spec: withKeys([apiKey("ci", { sha256: sha256("k").toUpperCase() })], { apiKey: { id: "ci" } }), field: "spec.authentication.apiKeys.keys[0].sha256", allowed: SHA256_HEX },
  { kind: "AccessPolicy", title: "key sha256 of 63 hex characters", spec: withKeys([apiKey("ci"), apiKey("cd", { sha256: sha256("k").slice(1) })], { apiKey: { id: "ci" } }), field: "spec.authentication.apiKeys.keys[1].sha256", allowed: SHA256_HEX },
  { kind: "AccessPolicy", title: "key sha256 that is base64, not hex", spec: withKeys([apiKey("ci", { sha256: createHash("sha256").update("k").digest("base64").padEnd(64, "=") })], { apiKey: { id: "ci" } }), field: "spec.authentication.apiKeys.keys[0].sha256", allowed: SHA256_HEX },
  { kind: "AccessPolicy", title: "key without sha256", spec: withKeys([{ id: "ci" }], { apiKey: { id: "ci" } }), field: "spec.authentication.apiKeys.keys[0].sha256", allowed: /Required value/ },
  { kind: "AccessPolicy", title: "the same key id twice", spec: withKeys([apiKey("ci"), apiKey("cd"), apiKey("ci", { sha256: sha256("other") })], { apiKey: { id: "ci" } }), field: "spec.authentication.apiKeys.keys[2]", allowed: /Duplicate value: .*"ci"/ },
  { kind: "AccessPolicy", title: "key id with upper case", spec: withKeys([apiKey("CI")], { namespace: "a" }), field: "spec.authentication.apiKeys.keys[0].id", allowed: /id must be a DNS-1123 label/ },
  { kind: "AccessPolicy", title: "key id with '_' (the separator of the key text)", spec: withKeys([apiKey("ci_bot")], { namespace: "a" }), field: "spec.authentication.apiKeys.keys[0].id", allowed: /id must be a DNS-1123 label/ },
  { kind: "AccessPolicy", title: "key tenant with a dot", spec: withKeys([apiKey("ci", { tenant: "acme.corp" })], { apiKey: { id: "ci" } }), field: "spec.authentication.apiKeys.keys[0].tenant", allowed: DNS_LABEL },
  { kind: "AccessPolicy", title: "key notAfter before notBefore", spec: withKeys([apiKey("ci", { notBefore: "2026-12-01T00:00:00Z", notAfter: "2026-11-30T23:59:59Z" })], { apiKey: { id: "ci" } }), field: "spec.authentication.apiKeys.keys[0].notAfter", allowed: /notAfter must be later than notBefore/ },
  { kind: "AccessPolicy", title: "key notAfter equal to notBefore", spec: withKeys([apiKey("ci"), apiKey("cd", { notBefore: "2026-12-01T00:00:00Z", notAfter: "2026-12-01T00:00:00Z" })], { apiKey: { id: "ci" } }), field: "spec.authentication.apiKeys.keys[1].notAfter", allowed: /notAfter must be later than notBefore/ },
  { kind: "AccessPolicy", title: "key notBefore that is not an RFC 3339 time", spec: withKeys([apiKey("ci", { notBefore: "tomorrow" })], { apiKey: { id: "ci" } }), field: "spec.authentication.apiKeys.keys[0].notBefore", allowed: /must be of type date-time/ },
  { kind: "AccessPolicy", title: "257 keys", spec: withKeys(times(257, (i) => apiKey(`key-${i}`)), { apiKey: { id: "key-0" } }), field: "spec.authentication.apiKeys.keys", allowed: /must have at most 256 items/ },
  { kind: "AccessPolicy", title: "apiKeys without keys", spec: { ...from({ namespace: "a" }), authentication: { apiKeys: { header: "x-api-key" } } }, field: "spec.authentication.apiKeys.keys", allowed: /Required value/ },
  { kind: "AccessPolicy", title: "key header authorization", spec: { ...from({ namespace: "a" }), authentication: { apiKeys: { header: "Authorization", keys: [apiKey("ci")] } } }, field: "spec.authentication.apiKeys.header", allowed: /header must not be authorization, proxy-authorization, cookie, host or x-nexus-caller/ },
  { kind: "AccessPolicy", title: "key header with a space", spec: { ...from({ namespace: "a" }), authentication: { apiKeys: { header: "x api key", keys: [apiKey("ci")] } } }, field: "spec.authentication.apiKeys.header", allowed: /header must be an HTTP header name/ },
  { kind: "AccessPolicy", title: "apiKey source whose id is not declared", spec: withKeys([apiKey("ci")], { apiKey: { id: "ci" } }, { apiKey: { id: "deploy-bot" } }), field: "spec.rules", allowed: KEY_DECLARED },
  { kind: "AccessPolicy", title: "apiKey source without any authentication.apiKeys", spec: from({ apiKey: { id: "ci" } }), field: "spec.rules", allowed: KEY_DECLARED },
  { kind: "AccessPolicy", title: "apiKey source with both id and tenant", spec: withKeys([apiKey("ci", { tenant: "acme" })], { apiKey: { id: "ci", tenant: "acme" } }), field: "spec.rules[0].from[0].apiKey", allowed: /apiKey must set exactly one of id \(one declared key\) and tenant/ },
  { kind: "AccessPolicy", title: "apiKey source with neither id nor tenant", spec: withKeys([apiKey("ci")], { apiKey: {} }), field: "spec.rules[0].from[0].apiKey", allowed: /apiKey must set exactly one of id/ },
  { kind: "AccessPolicy", title: "source with apiKey and namespace", spec: withKeys([apiKey("ci")], { apiKey: { id: "ci" }, namespace: "a" }), field: "spec.rules[0].from[0]", allowed: ONE_SOURCE_KIND },
  { kind: "AccessPolicy", title: "apiKey source tenant with upper case", spec: withKeys([apiKey("ci")], { apiKey: { tenant: "Acme" } }), field: "spec.rules[0].from[0].apiKey.tenant", allowed: /apiKey.tenant must be a DNS-1123 label/ },
  { kind: "AccessPolicy", title: "apiKey source in a Deny policy", spec: { action: "Deny", rules: [{ from: [{ apiKey: { id: "ci" } }] }], authentication: { apiKeys: { keys: [apiKey("ci")] } } }, field: "spec.rules", allowed: KEY_NEEDS_GATE },
  { kind: "AccessPolicy", title: "apiKey source with the gate turned off", spec: { ...withKeys([apiKey("ci")], { apiKey: { id: "ci" } }), authentication: { gate: false, apiKeys: { keys: [apiKey("ci")] } } }, field: "spec.rules", allowed: KEY_NEEDS_GATE },
  { kind: "AccessPolicy", title: "gate on without apiKeys or jwt issuers", spec: { ...from({ namespace: "a" }), authentication: { gate: true } }, field: "spec.authentication.gate", allowed: /gate: true needs authentication.apiKeys or at least one issuer in authentication.jwt/ },
  { kind: "AccessPolicy", title: "gated jwt issuer without audiences", spec: { ...from({ jwt: { issuer: issuer(1).issuer as string } }), authentication: { gate: true, jwt: [issuer(1)] } }, field: "spec.authentication.jwt", allowed: /every authentication\.jwt\[\] issuer must declare audiences/ },
  { kind: "AccessPolicy", title: "jwt issuer without audiences next to API keys (gate on by default)", spec: { ...withKeys([apiKey("ci")], { apiKey: { id: "ci" } }), authentication: { apiKeys: { keys: [apiKey("ci")] }, jwt: [issuer(1)] } }, field: "spec.authentication.jwt", allowed: /must declare audiences/ },
  { kind: "AccessPolicy", title: "http:// issuer without jwksUri or jwks (istiod would fetch its keys over plain HTTP)", spec: { ...from({ namespace: "a" }), authentication: { jwt: [{ issuer: "http://login.example.com" }] } }, field: "spec.authentication.jwt[0].jwksUri", allowed: /needs jwksUri \(https\) or jwks/ },
  { kind: "AccessPolicy", title: "inline jwks over 16 KiB", spec: { ...from({ namespace: "a" }), authentication: { jwt: [{ issuer: "https://a.example.com", jwks: JSON.stringify({ keys: [], pad: "x".repeat(16384) }) }] } }, field: "spec.authentication.jwt[0].jwks", allowed: /may not be (longer|more) than 16384/ },
  { kind: "AccessPolicy", title: "gate on in a Deny policy", spec: { action: "Deny", rules: [{ to: [{ methods: ["DELETE"] }] }], authentication: { gate: true, jwt: [issuer(1)] } }, field: "spec.authentication.gate", allowed: /gate: true is for Allow policies only/ },
  { kind: "AccessPolicy", title: "a dotted metadata.name (nexus-a.1 would be a shard of policy a)", name: "a.1", spec: from({ namespace: "a" }), field: "metadata.name", allowed: NAME_LABEL },
  { kind: "AccessPolicy", title: "a policy name of 64 characters", name: "a".repeat(64), spec: from({ namespace: "a" }), field: "metadata.name", allowed: NAME_LABEL },
];

const valid: Example[] = [
  // EngineIdentity
  { ...identity({}), title: "no spec fields at all (mesh identity only, name as ServiceAccount)" },
  { ...identity({ serviceAccountName: "a".repeat(63), tenant: "b".repeat(63) }), title: "serviceAccountName and tenant of 63 characters" },
  { ...identity({ serviceAccountName: "ledger" }, "a".repeat(63)), title: "metadata.name of 63 characters" },
  { kind: "AccessPolicy", name: "default-deny", title: "an AccessPolicy named default-deny (its objects are nexus-default-deny, the baseline nexus.default-deny)", spec: from({ namespace: "a" }) },
  { ...identity({ workloadSelector: { matchLabels: { app: "ledger", "app.kubernetes.io/name": "Ledger_v2.1", empty: "" } } }), title: "prefixed label key, mixed-case value with '_' and '.', empty value" },
  { ...identity({ workloadSelector: { matchLabels: { [`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}/${"E".repeat(63)}`]: "x" } } }), title: "the longest label key (253-character prefix, 63-character name)" },
  { ...identity(withCert({ privateKey: { algorithm: "Ed25519" } })), title: "Ed25519 without size" },
  { ...identity(withCert({ privateKey: { algorithm: "RSA", size: 4096 } })), title: "RSA 4096" },
  { ...identity(withCert({ privateKey: { algorithm: "RSA" } })), title: "RSA without size" },
  { ...identity(withCert({ privateKey: { algorithm: "ECDSA", size: 521 } })), title: "ECDSA P-521" },
  { ...identity(withCert({ duration: "2h", renewBefore: "1h59m59s" })), title: "renewBefore just under duration" },
  { ...identity(withCert({ renewBefore: "23h59m" })), title: "renewBefore just under the 24h default duration" },
  { ...identity(withCert({ duration: "1h", renewBefore: "5m" })), title: "the shortest duration (1h) and renewBefore (5m)" },
  { ...identity(withCert({ duration: "2160h", renewBefore: "720h" })), title: "a 90-day certificate" },
  { ...identity(withCert({ duration: "1.5h", renewBefore: "30m" })), title: "a fractional Go duration" },
  { ...identity(withCert({ dnsNames: ["*.ledger.payments.svc", "ledger.payments.svc.cluster.local"] })), title: "wildcard dnsName" },
  { ...identity(withCert({ dnsNames: times(16, (i) => `ledger-${i}.payments.svc`) })), title: "16 dnsNames" },
  { ...identity({ certificate: {} }), title: "an empty certificate (every setting from operator defaults)" },
  { ...identity(withCert({ issuerRef: { name: "vault", kind: "Issuer", group: "vault.example.com" }, secretName: "ledger.tls" })), title: "external issuer group and a dotted secretName" },
  // AccessPolicy
  { kind: "AccessPolicy", title: "Deny rule without from", spec: { action: "Deny", rules: [{ to: [{ methods: ["DELETE"] }] }] } },
  { kind: "AccessPolicy", title: "Audit policy without from", spec: { targetIdentity: "ledger", action: "Audit", rules: [{ to: [{ paths: ["/admin/*"] }] }] } },
  { kind: "AccessPolicy", title: "a policy without rules (allows nothing)", spec: {} },
  { kind: "AccessPolicy", title: "Permissive with a targetIdentity", spec: { ...from({ namespace: "storefront" }), mtls: "Permissive" } },
  { kind: "AccessPolicy", title: "dry-run policy with every source kind", spec: { ...from({ identity: { name: "web", namespace: "storefront" } }, { identity: { name: "ledger.v2" } }, { tenant: "acme" }, { namespace: "storefront" }, { principal: "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account" }, { jwt: { issuer: "https://login.example.com", subjects: ["alice"], audiences: ["ledger"], claims: { groups: ["finance"], "https://example.com/roles": ["admin"] } } }), dryRun: true, authentication: { jwt: [{ issuer: "https://login.example.com" }] } } },
  { kind: "AccessPolicy", title: "principal with underscores", spec: from({ principal: "spiffe://example_org.local/ns/team_a/sa/batch_worker" }) },
  { kind: "AccessPolicy", title: "principal with dots, dashes, upper case and '...' in its path", spec: from({ principal: "spiffe://prod.example-corp.com/region/EU-West.1/.../svc" }) },
  { kind: "AccessPolicy", title: "paths exact, prefix, suffix and '*'", spec: to({ paths: ["/v1/entries", "/v1/entries/*", "*.json", "*", "/"] }) },
  { kind: "AccessPolicy", title: "ports 1 and 65535, every method", spec: to({ ports: [1, 65535], methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"] }) },
  { kind: "AccessPolicy", title: "64 rules", spec: policy({ rules: times(64, (i) => ({ from: [{ namespace: `ns-${i}` }] })) }) },
  { kind: "AccessPolicy", title: "64 sources in a rule", spec: from(...times(64, (i) => ({ namespace: `ns-${i}` }))) },
  { kind: "AccessPolicy", title: "32 operations in a rule", spec: to(...times(32, (i) => ({ ports: [8000 + i] }))) },
  { kind: "AccessPolicy", title: "8 jwt issuers with requireJWT", spec: { ...from({ jwt: { issuer: issuer(7).issuer as string } }), authentication: { requireJWT: true, jwt: times(8, issuer) } } },
  { kind: "AccessPolicy", title: "inline jwks, header token and a jwksUri with a query", spec: { ...from({ namespace: "a" }), authentication: { jwt: [{ issuer: "a", jwks: '{"keys":[]}', fromHeaders: [{ name: "X-Token", prefix: "Bearer " }], forwardOriginalToken: true }, { issuer: "b", jwksUri: "https://b.example.com:8443/keys?format=jwks" }] } } },
  { kind: "AccessPolicy", title: "cross-tenant allowed", spec: { ...from({ tenant: "globex" }), allowCrossTenant: true } },
  { kind: "AccessPolicy", title: "256 keys, sources by key id and by key tenant, rotation times", spec: { ...withKeys([...times(255, (i) => apiKey(`key-${i}`, { tenant: i % 2 ? "acme" : "globex" })), apiKey("ci-2026-12", { tenant: "acme", notBefore: "2026-12-01T00:00:00Z", notAfter: "2027-03-01T00:00:00.5+01:00" })], ...times(63, (i) => ({ apiKey: { id: `key-${i}` } })), { apiKey: { tenant: "acme" } }), allowCrossTenant: true } },
  { kind: "AccessPolicy", title: "API keys in a custom header next to jwt sources, gate explicitly on", spec: { ...from({ apiKey: { id: "ci" } }, { jwt: { issuer: issuer(1).issuer as string } }, { namespace: "a" }), authentication: { gate: true, jwt: [{ ...issuer(1), audiences: ["ledger"] }], apiKeys: { header: "X-Nexus-Key", keys: [apiKey("ci")] } } } },
  { kind: "AccessPolicy", title: "gate on with jwt issuers only", spec: { ...from({ jwt: { issuer: issuer(1).issuer as string } }), authentication: { gate: true, jwt: [{ ...issuer(1), audiences: ["ledger"] }] } } },
  { kind: "AccessPolicy", title: "an issuer without audiences where the gate is off", spec: { ...from({ jwt: { issuer: issuer(1).issuer as string } }), authentication: { jwt: [issuer(1)] } } },
  { kind: "AccessPolicy", title: "an inline jwks of exactly 16 KiB", spec: { ...from({ namespace: "a" }), authentication: { jwt: [{ issuer: "https://a.example.com", jwks: JSON.stringify({ keys: [], pad: "x".repeat(16384 - 20) }) }] } } },
  { kind: "AccessPolicy", title: "keys declared with the gate off and no apiKey source (staged)", spec: { ...from({ namespace: "a" }), authentication: { gate: false, apiKeys: { keys: [apiKey("next")] } } } },
];

/** The causes of a rejection, without the apiserver's note that further rules were skipped. */
function causes(status: KubeStatus) {
  return (status.details?.causes ?? []).filter((c) => !((c.field === undefined || c.field === "<nil>") && /some validation rules were not checked/.test(c.message ?? "")));
}

function describeRejection(status: KubeStatus): string {
  return `${status.message ?? ""}\ncauses: ${JSON.stringify(causes(status), null, 1)}`;
}

let kc: KubeConfig;
let namespace: string;

beforeAll(async () => {
  kc = adminKubeConfig();
  namespace = await createNamespace(kc, "api-validation");
});

afterAll(async () => {
  if (namespace) await deleteNamespaces(kc, [namespace]);
});

describe("invalid objects are rejected with the field and what it allows", () => {
  it("the table holds at least 35 cases with distinct titles", () => {
    expect(invalid.length).toBeGreaterThanOrEqual(35);
    expect(new Set(invalid.map((c) => c.title)).size).toBe(invalid.length);
  });

  it.each(invalid.map((c, i) => ({ ...c, index: i })))("$kind with $title is rejected at $field", async (c) => {
    const name = c.name ?? `invalid-${c.index}`;
    const outcome = await createNexusObject(kc, c.kind, namespace, { metadata: { name }, spec: c.spec });
    if (outcome.accepted) throw new Error(`accepted, stored as ${JSON.stringify(outcome.object.spec)}`);
    expect(outcome.code, describeRejection(outcome.status)).toBe(422);
    expect(outcome.status.reason).toBe("Invalid");
    // The person reading kubectl's output sees the field path, then what is allowed.
    expect(outcome.status.message).toContain(`${c.field}:`);
    const atField = causes(outcome.status).filter((cause) => cause.field === c.field);
    expect(atField, describeRejection(outcome.status)).not.toHaveLength(0);
    expect(atField.map((cause) => cause.message).join("\n")).toMatch(c.allowed);
    // Each case breaks one thing: nothing else in the object may be reported.
    const elsewhere = causes(outcome.status).filter((cause) => cause.field !== c.field);
    expect(elsewhere, describeRejection(outcome.status)).toEqual([]);
  });
});

describe("valid edge cases are accepted", () => {
  it.each(valid.map((c, i) => ({ ...c, index: i })))("$kind with $title is accepted", async (c) => {
    const name = c.name ?? `valid-${c.index}`;
    const outcome = await createNexusObject(kc, c.kind, namespace, { metadata: { name }, spec: c.spec });
    if (!outcome.accepted) throw new Error(`rejected with HTTP ${outcome.code}: ${describeRejection(outcome.status)}`);
    // Nothing the test sent was pruned: every field it set is stored as sent.
    expect(outcome.object.spec).toMatchObject(c.spec);
  });
});

describe("defaults", () => {
  it("an AccessPolicy defaults to action Allow, mtls Strict, dryRun false, allowCrossTenant false", async () => {
    const outcome = await createNexusObject(kc, "AccessPolicy", namespace, {
      metadata: { name: "defaults-policy" },
      spec: { targetIdentity: "ledger", rules: [{ from: [{ namespace: "storefront" }] }], authentication: { jwt: [{ issuer: "https://login.example.com" }] } },
    });
    if (!outcome.accepted) throw new Error(describeRejection(outcome.status));
    const stored = await readNexusObject(kc, "AccessPolicy", namespace, "defaults-policy");
    expect(stored.spec).toMatchObject({ action: "Allow", mtls: "Strict", dryRun: false, allowCrossTenant: false });
    expect(stored.spec.authentication.requireJWT).toBe(false);
  });

  it("authentication.apiKeys.header defaults to x-api-key", async () => {
    const outcome = await createNexusObject(kc, "AccessPolicy", namespace, {
      metadata: { name: "defaults-api-keys" },
      spec: withKeys([apiKey("ci")], { apiKey: { id: "ci" } }),
    });
    if (!outcome.accepted) throw new Error(describeRejection(outcome.status));
    expect(outcome.object.spec.authentication.apiKeys.header).toBe("x-api-key");
    expect(outcome.object.spec.authentication.gate).toBeUndefined();
  });

  it("an EngineIdentity's issuerRef defaults to kind Issuer, group cert-manager.io, and its key to ECDSA", async () => {
    const outcome = await createNexusObject(kc, "EngineIdentity", namespace, {
      metadata: { name: "defaults-identity" },
      spec: { certificate: { issuerRef: { name: "nexus-ca" }, privateKey: {} } },
    });
    if (!outcome.accepted) throw new Error(describeRejection(outcome.status));
    const stored = await readNexusObject(kc, "EngineIdentity", namespace, "defaults-identity");
    expect(stored.spec.certificate.issuerRef).toEqual({ name: "nexus-ca", kind: "Issuer", group: "cert-manager.io" });
    expect(stored.spec.certificate.privateKey).toEqual({ algorithm: "ECDSA" });
  });

  it("a default ECDSA key accepts an ECDSA size and the default is applied before validation", async () => {
    const outcome = await createNexusObject(kc, "EngineIdentity", namespace, {
      metadata: { name: "defaults-key-size" },
      spec: { certificate: { privateKey: { size: 384 } } },
    });
    if (!outcome.accepted) throw new Error(describeRejection(outcome.status));
    expect(outcome.object.spec.certificate.privateKey).toEqual({ algorithm: "ECDSA", size: 384 });
  });
});
