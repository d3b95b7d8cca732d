// Random NEXUS worlds for the intent property: identities, AccessPolicies and requests,
// drawn from small pools of names so that references resolve often, but not always, and
// tenants, shared service accounts and overlapping selectors collide.
import fc from "fast-check";
import type { AccessPolicy, AccessRule, AccessSource, JwtCaller, Operation } from "../../api/types.js";
import type { IntentRequest, Scenario, ScenarioIdentity, Token } from "./intent-oracle.js";

export const TRUST_DOMAIN = "cluster.local";
const NAMESPACES = ["ns-a", "ns-b", "ns-c"];
/** Namespaces that only ever appear as a caller's or a source's, never with NEXUS objects. */
const OTHER_NAMESPACES = ["ns-free"];
const NAMES = ["api", "web", "db"];
const MISSING_NAME = "ghost";
const SHARED_SERVICE_ACCOUNT = "shared";
const UNMANAGED_SERVICE_ACCOUNT = "unmanaged";
const TENANTS = ["t1", "t2"];
const UNKNOWN_TENANT = "t-none";
const ISSUERS = ["https://idp-1.example", "https://idp-2.example"];
const SUBJECTS = ["alice", "bob"];
const AUDIENCES = ["api", "web"];
const GROUPS = ["admin", "dev"];
const METHODS = ["GET", "POST", "DELETE"] as const;
const PATH_PATTERNS = ["/api/*", "*.json", "/health", "*"];
const REQUEST_PATHS = ["/api/items", "/api/items.json", "/health", "/admin/report.json", "/admin"];
const PORTS = [8080, 9090];

const option = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const someOf = <T>(values: readonly T[]) => fc.subarray([...values], { minLength: 1 });
/** Leaves out keys whose value is undefined, as objects read from the API do. */
const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

const selectorArb = fc.constantFrom<Record<string, string> | undefined>(
  undefined,
  {},
  { app: "common" },
  { app: "common", tier: "back" },
);

const identityArb: fc.Arbitrary<ScenarioIdentity> = fc
  .record({
    namespace: fc.constantFrom(...NAMESPACES),
    name: fc.constantFrom(...NAMES),
    tenant: option(fc.constantFrom(...TENANTS)),
    sharesServiceAccount: fc.boolean(),
    selector: fc.oneof(selectorArb, fc.constant("own")),
  })
  .map(({ namespace, name, tenant, sharesServiceAccount, selector }) =>
    defined({
      namespace,
      name,
      tenant,
      serviceAccount: sharesServiceAccount ? SHARED_SERVICE_ACCOUNT : name,
      workloadSelector: selector === "own" ? { app: name } : selector,
    }),
  );

const serviceAccountArb = fc.constantFrom(...NAMES, SHARED_SERVICE_ACCOUNT, UNMANAGED_SERVICE_ACCOUNT);
const principalArb = fc
  .record({
    trustDomain: fc.constantFrom(TRUST_DOMAIN, TRUST_DOMAIN, "partner.example"),
    namespace: fc.constantFrom(...NAMESPACES, ...OTHER_NAMESPACES),
    serviceAccount: serviceAccountArb,
  })
  .map(({ trustDomain, namespace, serviceAccount }) => `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`);

const jwtCallerArb: fc.Arbitrary<JwtCaller> = fc
  .record({
    issuer: fc.constantFrom(...ISSUERS),
    subjects: option(someOf(SUBJECTS)),
    audiences: option(someOf(AUDIENCES)),
    groups: option(someOf(GROUPS)),
  })
  .map(({ issuer, subjects, audiences, groups }) =>
    defined({ issuer, subjects, audiences, claims: groups ? { group: groups as [string, ...string[]] } : undefined }),
  );

const sourceArb: fc.Arbitrary<AccessSource> = fc.oneof(
  fc
    .record({ name: fc.constantFrom(...NAMES, MISSING_NAME), namespace: option(fc.constantFrom(...NAMESPACES)) })
    .map((identity) => ({ identity: defined(identity) })),
  fc.constantFrom(...TENANTS, UNKNOWN_TENANT).map((tenant) => ({ tenant })),
  fc.constantFrom(...NAMESPACES, ...OTHER_NAMESPACES).map((namespace) => ({ namespace })),
  principalArb.map((principal) => ({ principal: `spiffe://${principal}` })),
  jwtCallerArb.map((jwt) => ({ jwt })),
);

const operationArb: fc.Arbitrary<Operation> = fc
  .record({ methods: option(someOf(METHODS)), paths: option(someOf(PATH_PATTERNS)), ports: option(someOf(PORTS)) })
  .map(defined);

const ruleArb: fc.Arbitrary<AccessRule> = fc
  .record({ from: option(fc.array(sourceArb, { minLength: 1, maxLength: 3 })), to: option(fc.array(operationArb, { minLength: 1, maxLength: 2 })) })
  .map(defined);

const policyArb: fc.Arbitrary<AccessPolicy> = fc
  .record({
    namespace: fc.constantFrom(...NAMESPACES),
    name: fc.constantFrom("p1", "p2", "p3"),
    targetIdentity: option(fc.constantFrom(...NAMES, MISSING_NAME)),
    action: option(fc.constantFrom("Allow" as const, "Deny" as const, "Audit" as const)),
    dryRun: fc.boolean(),
    allowCrossTenant: fc.boolean(),
    rules: fc.array(ruleArb, { maxLength: 3 }),
    issuers: fc.subarray(ISSUERS),
    requireJWT: fc.boolean(),
  })
  .map(({ namespace, name, issuers, requireJWT, ...spec }) => ({
    apiVersion: "security.nexus.io/v1alpha1",
    kind: "AccessPolicy",
    metadata: { name, namespace, generation: 1 },
    spec: defined({
      ...spec,
      authentication: issuers.length || requireJWT
        ? defined({ jwt: issuers.length ? issuers.map((issuer) => ({ issuer, jwksUri: `${issuer}/jwks` })) : undefined, requireJWT: requireJWT || undefined })
        : undefined,
    }),
  }));

export const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  trustDomain: fc.constant(TRUST_DOMAIN),
  identities: fc.uniqueArray(identityArb, { selector: (i) => `${i.namespace}/${i.name}`, maxLength: 6 }),
  policies: fc.uniqueArray(policyArb, { selector: (p) => `${p.metadata.namespace}/${p.metadata.name}`, maxLength: 5 }),
});

const tokenArb: fc.Arbitrary<Token> = fc.record({
  issuer: fc.constantFrom(...ISSUERS),
  subject: fc.constantFrom(...SUBJECTS),
  audiences: fc.subarray(AUDIENCES),
  claims: fc.subarray(GROUPS).map((groups): Record<string, string[]> => (groups.length ? { group: groups } : {})),
});

export const requestArb: fc.Arbitrary<IntentRequest> = fc
  .record({
    callerPrincipal: principalArb,
    token: option(tokenArb),
    workload: fc.record({
      namespace: fc.constantFrom(...NAMESPACES, ...OTHER_NAMESPACES),
      labels: fc.constantFrom<Record<string, string>>({ app: "api" }, { app: "web" }, { app: "common" }, { app: "common", tier: "back" }, {}),
    }),
    operation: fc.record({ method: fc.constantFrom(...METHODS), path: fc.constantFrom(...REQUEST_PATHS), port: fc.constantFrom(...PORTS) }),
  })
  .map(defined);
