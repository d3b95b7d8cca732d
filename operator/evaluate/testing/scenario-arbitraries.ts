// Random NEXUS worlds for the intent property: identities first, then AccessPolicies and
// requests built mostly around them (so that targets and sources resolve and requests meet
// the policies), with enough strays (missing names, unknown tenants, foreign principals,
// undeclared issuers) that every fail-closed path is taken too. Small pools of names make
// tenants, shared service accounts and overlapping selectors collide.
import fc from "fast-check";
import type { AccessPolicy, AccessRule, AccessSource, JwtCaller, Operation } from "../../api/types.js";
import type { IntentRequest, Scenario, ScenarioIdentity, Token } from "./intent-oracle.js";

export const TRUST_DOMAIN = "cluster.local";
const NAMESPACES = ["ns-a", "ns-b", "ns-c"];
/** Appears only as the namespace of callers, sources and workloads, never with NEXUS objects. */
const FREE_NAMESPACE = "ns-free";
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
/** Mostly one of `likely`, sometimes anything of `other`. */
const mostly = <T>(likely: readonly T[], other: fc.Arbitrary<T>) =>
  likely.length ? fc.oneof({ arbitrary: fc.constantFrom(...likely), weight: 4 }, { arbitrary: other, weight: 1 }) : other;
/** True about one time in five: often enough to be met, rarely enough not to mask the rest. */
const rarely = () => fc.integer({ min: 0, max: 4 }).map((n) => n === 0);
/** Leaves out keys whose value is undefined, as objects read from the API do. */
const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

const identityArb: fc.Arbitrary<ScenarioIdentity> = fc
  .record({
    namespace: fc.constantFrom(...NAMESPACES),
    name: fc.constantFrom(...NAMES),
    tenant: option(fc.constantFrom(...TENANTS)),
    sharesServiceAccount: rarely(),
    // Own labels mostly; an empty selector or none makes the identity untargetable, and
    // "common" selectors overlap between identities.
    selector: fc.constantFrom<"own" | Record<string, string> | undefined>("own", "own", undefined, {}, { app: "common" }, { app: "common", tier: "back" }),
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

const principalArb = fc
  .record({
    trustDomain: fc.constantFrom(TRUST_DOMAIN, TRUST_DOMAIN, "partner.example"),
    namespace: fc.constantFrom(...NAMESPACES, FREE_NAMESPACE),
    // MISSING_NAME: a workload running as the service account a missing identity would have.
    serviceAccount: fc.constantFrom(...NAMES, SHARED_SERVICE_ACCOUNT, UNMANAGED_SERVICE_ACCOUNT, MISSING_NAME),
  })
  .map(({ trustDomain, namespace, serviceAccount }) => `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`);

function principalOf(identity: ScenarioIdentity): string {
  return `${TRUST_DOMAIN}/ns/${identity.namespace}/sa/${identity.serviceAccount}`;
}

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

function sourceArb(identities: ScenarioIdentity[]): fc.Arbitrary<AccessSource> {
  const missing = { name: MISSING_NAME, namespace: NAMESPACES[0] };
  return fc.oneof(
    fc
      .record({ identity: mostly(identities, fc.constant(missing as ScenarioIdentity)), namespaceOmitted: fc.boolean() })
      // Without a namespace the reference means the policy's own; that is drawn too.
      .map(({ identity, namespaceOmitted }) => ({ identity: namespaceOmitted ? { name: identity.name } : { name: identity.name, namespace: identity.namespace } })),
    mostly(identities.flatMap((i) => (i.tenant ? [i.tenant] : [])), fc.constantFrom(...TENANTS, UNKNOWN_TENANT)).map((tenant) => ({ tenant })),
    mostly(identities.map((i) => i.namespace), fc.constantFrom(...NAMESPACES, FREE_NAMESPACE)).map((namespace) => ({ namespace })),
    mostly(identities.map(principalOf), principalArb).map((principal) => ({ principal: `spiffe://${principal}` })),
    jwtCallerArb.map((jwt) => ({ jwt })),
  );
}

const operationArb: fc.Arbitrary<Operation> = fc
  .record({ methods: option(someOf(METHODS)), paths: option(someOf(PATH_PATTERNS)), ports: option(someOf(PORTS)) })
  .map(defined);

function ruleArb(identities: ScenarioIdentity[]): fc.Arbitrary<AccessRule> {
  return fc
    .record({
      // Mostly with sources: admission refuses a sourceless Allow rule, but the renderer must still fail closed on one.
      from: fc.oneof({ arbitrary: fc.array(sourceArb(identities), { minLength: 1, maxLength: 3 }), weight: 6 }, { arbitrary: fc.constant(undefined), weight: 1 }),
      to: option(fc.array(operationArb, { minLength: 1, maxLength: 2 })),
    })
    .map(defined);
}

function policyArb(identities: ScenarioIdentity[]): fc.Arbitrary<AccessPolicy> {
  return fc
    .record({
      // The policy sits next to an identity and targets it, or the whole namespace, or a missing one.
      anchor: mostly(identities, fc.record({ namespace: fc.constantFrom(...NAMESPACES), name: fc.constant(MISSING_NAME) }) as fc.Arbitrary<ScenarioIdentity>),
      targeting: fc.constantFrom("anchor", "anchor", "namespace"),
      name: fc.constantFrom("p1", "p2", "p3"),
      action: fc.constantFrom("Allow" as const, "Allow" as const, "Deny" as const, "Audit" as const, undefined),
      dryRun: rarely(),
      allowCrossTenant: rarely(),
      rules: fc.array(ruleArb(identities), { maxLength: 3 }),
      issuers: fc.subarray(ISSUERS),
      requireJWT: rarely(),
    })
    .map(({ anchor, targeting, name, issuers, requireJWT, ...spec }) => ({
      apiVersion: "security.nexus.io/v1alpha1",
      kind: "AccessPolicy",
      metadata: { name, namespace: anchor.namespace, generation: 1 },
      spec: defined({
        ...spec,
        targetIdentity: targeting === "anchor" ? anchor.name : undefined,
        authentication:
          issuers.length || requireJWT
            ? defined({ jwt: issuers.length ? issuers.map((issuer) => ({ issuer, jwksUri: `${issuer}/jwks` })) : undefined, requireJWT: requireJWT || undefined })
            : undefined,
      }),
    }));
}

export const scenarioArb: fc.Arbitrary<Scenario> = fc
  .uniqueArray(identityArb, { selector: (i) => `${i.namespace}/${i.name}`, maxLength: 6 })
  .chain((identities) =>
    fc
      .uniqueArray(policyArb(identities), { selector: (p) => `${p.metadata.namespace}/${p.metadata.name}`, maxLength: 5 })
      .map((policies) => ({ trustDomain: TRUST_DOMAIN, identities, policies })),
  );

/**
 * A request drawn independently of the scenario and aimed at it afterwards (requestFor):
 * the picks are indexes into what the scenario holds, so a failing case shrinks the
 * scenario and the requests separately, down to a small counterexample.
 */
export interface RequestDraw {
  caller: { pick: number } | { principal: string };
  token?: { issuerPick: number; subject: string; audiences: string[]; groups: string[] };
  workload: { pick: number } | { namespace: string; labels: Record<string, string> };
  operation: IntentRequest["operation"];
}

const pickOr = <T>(other: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: fc.nat().map((pick) => ({ pick })), weight: 4 }, { arbitrary: other, weight: 1 });

export const requestDrawArb: fc.Arbitrary<RequestDraw> = fc
  .record({
    caller: pickOr(principalArb.map((principal) => ({ principal }))),
    token: fc.option(
      fc.record({ issuerPick: fc.nat(), subject: fc.constantFrom(...SUBJECTS), audiences: fc.subarray(AUDIENCES), groups: fc.subarray(GROUPS) }),
      { nil: undefined, freq: 2 },
    ),
    workload: pickOr(
      fc.record({
        namespace: fc.constantFrom(...NAMESPACES, FREE_NAMESPACE),
        labels: fc.constantFrom<Record<string, string>>({ app: "api" }, { app: "common" }, { app: "common", tier: "back" }, {}),
      }),
    ),
    operation: fc.record({ method: fc.constantFrom(...METHODS), path: fc.constantFrom(...REQUEST_PATHS), port: fc.constantFrom(...PORTS) }),
  })
  .map(defined);

/**
 * The request a draw stands for in this scenario: callers are its identities' principals
 * and the principals its sources name; workloads are those its identities and its
 * policies' targets select; tokens come from the issuers it declares.
 */
export function requestFor(scenario: Scenario, draw: RequestDraw): IntentRequest {
  const pick = <T>(list: readonly T[], index: number, fallback: T): T => (list.length ? (list[index % list.length] as T) : fallback);
  const selectorOf = (namespace: string, name: string | undefined) =>
    scenario.identities.find((i) => i.namespace === namespace && i.name === name)?.workloadSelector ?? {};
  const principalSources = scenario.policies.flatMap((p) =>
    (p.spec.rules ?? []).flatMap((r) => (r.from ?? []).flatMap((s) => (s.principal ? [s.principal.slice("spiffe://".length)] : []))),
  );
  const callers = [...scenario.identities.map(principalOf), ...principalSources];
  const workloads = [
    ...scenario.policies.map((p) => ({ namespace: p.metadata.namespace, labels: { ...selectorOf(p.metadata.namespace, p.spec.targetIdentity) } })),
    ...scenario.identities.map((i) => ({ namespace: i.namespace, labels: { ...i.workloadSelector } })),
  ];
  const declared = scenario.policies.flatMap((p) => (p.spec.authentication?.jwt ?? []).map((j) => j.issuer));
  const { caller, token, workload, operation } = draw;
  return defined({
    callerPrincipal: "pick" in caller ? pick(callers, caller.pick, `${TRUST_DOMAIN}/ns/${FREE_NAMESPACE}/sa/${UNMANAGED_SERVICE_ACCOUNT}`) : caller.principal,
    token: token && {
      issuer: pick(declared.length ? declared : ISSUERS, token.issuerPick, ISSUERS[0]!),
      subject: token.subject,
      audiences: token.audiences,
      claims: (token.groups.length ? { group: token.groups } : {}) as Record<string, string[]>,
    },
    workload: "pick" in workload ? pick(workloads, workload.pick, { namespace: FREE_NAMESPACE, labels: {} }) : workload,
    operation,
  });
}

/** API keys every gated scenario declares: one per tenant and one without a tenant. */
export const SCENARIO_API_KEYS = [
  { id: "key-t1", sha256: "1".repeat(64), tenant: "t1" },
  { id: "key-t2", sha256: "2".repeat(64), tenant: "t2" },
  { id: "key-free", sha256: "3".repeat(64) },
];
const apiKeySourceArb: fc.Arbitrary<AccessSource> = fc.oneof(
  fc.constantFrom(...SCENARIO_API_KEYS.map((k) => k.id), "key-undeclared").map((id) => ({ apiKey: { id } })),
  fc.constantFrom(...TENANTS, UNKNOWN_TENANT).map((tenant) => ({ apiKey: { tenant } })),
);

/**
 * A scenario whose Allow policies may declare API keys, admit apiKey sources in their rules
 * and set authentication.gate either way, so the credential gate is rendered (or not) next
 * to everything the plain scenarios exercise.
 */
export const gatedScenarioArb: fc.Arbitrary<Scenario> = scenarioArb.chain((scenario) =>
  fc
    .array(fc.record({ declare: fc.boolean(), gate: fc.constantFrom<boolean | undefined>(undefined, undefined, true), sources: fc.array(apiKeySourceArb, { maxLength: 3 }) }), {
      minLength: scenario.policies.length,
      maxLength: scenario.policies.length,
    })
    .map((draws) => ({
      ...scenario,
      policies: scenario.policies.map((policy, i) => {
        const draw = draws[i];
        if (!draw || (policy.spec.action ?? "Allow") !== "Allow" || !draw.declare) return policy;
        const rules = (policy.spec.rules ?? []).map((rule, r) => (r === 0 ? { ...rule, from: [...(rule.from ?? []), ...draw.sources] } : rule));
        const authentication = defined({ ...policy.spec.authentication, apiKeys: { keys: SCENARIO_API_KEYS }, gate: draw.gate });
        return { ...policy, spec: { ...policy.spec, rules, authentication } };
      }),
    })),
);
