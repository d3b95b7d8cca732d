// A generated, valid set of EngineIdentities and AccessPolicies over a few namespaces and
// tenants: every source kind, references that resolve and some that do not, tenants that
// collide, shared service accounts, dry-run, Deny/Audit, JWT with requireJWT. Seeded, so
// a failure can be replayed. Names carry a suffix so runs never meet in a shared cluster.
import fc from "fast-check";

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec: Record<string, unknown>;
}

export interface CorpusShape {
  namespaces: string[];
  tenants: string[];
  identities: number;
  policies: number;
  seed: number;
}

const ISSUERS = ["https://login.example.com", "https://sts.example.org/realm"];
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
const PATHS = ["/v1/entries", "/v1/entries/*", "/reports/*", "*.json", "/healthz", "*"];

export function generateCorpus(shape: CorpusShape): Manifest[] {
  const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);
  const identityNames = Array.from({ length: shape.identities }, (_, i) => `engine-${i}`);
  const identity = (name: string) =>
    fc.record({
      namespace: pick(shape.namespaces),
      tenant: fc.option(pick(shape.tenants), { nil: undefined }),
      serviceAccountName: fc.option(pick(["shared-sa", "runner"]), { nil: undefined, freq: 3 }),
      selector: fc.option(pick(["app", "engine", "app.kubernetes.io/name"]), { nil: undefined, freq: 6 }),
      certificate: fc.option(
        fc.oneof(
          fc.constant({}),
          fc.record({ privateKey: pick([{ algorithm: "ECDSA", size: 384 }, { algorithm: "RSA", size: 2048 }, { algorithm: "Ed25519" }]) }),
          fc.record({ duration: pick(["48h", "2h"]), renewBefore: pick(["30m", "1h"]), dnsNames: fc.constant([`${name}.svc`]) }),
        ),
        { nil: undefined },
      ),
    }).map((f): Manifest => ({
      apiVersion: "security.nexus.io/v1alpha1",
      kind: "EngineIdentity",
      metadata: { name, namespace: f.namespace },
      spec: {
        ...(f.tenant ? { tenant: f.tenant } : {}),
        ...(f.serviceAccountName ? { serviceAccountName: f.serviceAccountName } : {}),
        ...(f.selector ? { workloadSelector: { matchLabels: { [f.selector]: name } } } : {}),
        // A name of the identity's own namespace: anything else gets no Certificate.
        ...(f.certificate ? { certificate: "dnsNames" in f.certificate ? { ...f.certificate, dnsNames: [`${name}.${f.namespace}.svc`] } : f.certificate } : {}),
      },
    }));

  const identities = identityNames.map((name, i) => fc.sample(identity(name), { seed: shape.seed + i, numRuns: 1 })[0]!);
  const referable = [...identityNames, "ghost"];

  const source = (issuers: string[]) =>
    fc.oneof(
      fc.record({ name: pick(referable), namespace: fc.option(pick(shape.namespaces), { nil: undefined }) }).map((r) => ({ identity: r.namespace ? r : { name: r.name } })),
      pick([...shape.tenants, `${shape.tenants[0]}-empty`]).map((tenant) => ({ tenant })),
      pick([...shape.namespaces, "sandbox"]).map((namespace) => ({ namespace })),
      pick(["spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account", "spiffe://partner.example/ns/x/sa/y"]).map((principal) => ({ principal })),
      ...(issuers.length
        ? [
            fc
              .record({
                issuer: pick(issuers),
                subjects: fc.option(fc.uniqueArray(pick(["alice", "bob", "svc-1"]), { minLength: 1, maxLength: 2 }), { nil: undefined }),
                claims: fc.option(fc.constant({ groups: ["finance-operators"] }), { nil: undefined }),
              })
              .map((jwt) => ({ jwt: Object.fromEntries(Object.entries(jwt).filter(([, v]) => v !== undefined)) })),
          ]
        : []),
    );
  const operation = fc
    .record({
      methods: fc.option(fc.uniqueArray(pick(METHODS), { minLength: 1, maxLength: 3 }), { nil: undefined }),
      paths: fc.option(fc.uniqueArray(pick(PATHS), { minLength: 1, maxLength: 2 }), { nil: undefined }),
      ports: fc.option(fc.uniqueArray(pick([8080, 9090, 443]), { minLength: 1, maxLength: 2 }), { nil: undefined }),
    })
    .map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)));

  const policy = (name: string) =>
    fc
      .record({
        namespace: pick(shape.namespaces),
        target: fc.option(pick(referable), { nil: undefined, freq: 4 }),
        action: pick(["Allow", "Allow", "Allow", "Deny", "Audit"]),
        dryRun: fc.boolean(),
        permissive: fc.boolean(),
        allowCrossTenant: fc.boolean(),
        issuers: fc.uniqueArray(pick(ISSUERS), { maxLength: 2 }),
        requireJWT: fc.boolean(),
      })
      .chain((p) =>
        fc
          .array(
            fc.record({
              from: fc.array(source(p.issuers), { minLength: p.action === "Allow" ? 1 : 0, maxLength: 4 }),
              to: fc.array(operation, { maxLength: 2 }),
            }),
            { minLength: 0, maxLength: 3 },
          )
          .map((rules) => ({ ...p, rules })),
      )
      .map((p): Manifest => ({
        apiVersion: "security.nexus.io/v1alpha1",
        kind: "AccessPolicy",
        metadata: { name, namespace: p.namespace },
        spec: {
          ...(p.target ? { targetIdentity: p.target } : {}),
          action: p.action,
          ...(p.dryRun ? { dryRun: true } : {}),
          ...(p.permissive && p.target ? { mtls: "Permissive" } : {}),
          ...(p.allowCrossTenant ? { allowCrossTenant: true } : {}),
          ...(p.issuers.length
            ? {
                authentication: {
                  jwt: p.issuers.map((issuer) => ({ issuer, jwksUri: `${issuer}/.well-known/jwks.json` })),
                  ...(p.requireJWT ? { requireJWT: true } : {}),
                },
              }
            : {}),
          rules: p.rules.map((r) => ({ ...(r.from.length ? { from: r.from } : {}), ...(r.to.length ? { to: r.to } : {}) })),
        },
      }));

  const policies = Array.from({ length: shape.policies }, (_, i) => fc.sample(policy(`policy-${i}`), { seed: shape.seed * 7919 + i, numRuns: 1 })[0]!);
  return [...identities, ...policies];
}
