// Who can call whom: every caller against every target, per operation, each target on the
// data plane that runs it. The policies of a target are looked up once (AccessModel), and
// callers the mesh cannot tell apart (the same principal: engines sharing a service account)
// are evaluated once.
import { connectionOf, policiesAtHops, type AuthorizationPolicyObject, type RuleSpec } from "../evaluate/index.js";
import { actionOf, isDryRun, rulesOf } from "../evaluate/authorization-policy.js";
import { decide, type EvaluatedPolicy } from "../evaluate/decide.js";
import { attributesOf, type AccessRequest, type RequestAttributes } from "../evaluate/request.js";
import { conditionHolds } from "../evaluate/conditions.js";
import { operationMatches, sourceMatches } from "../evaluate/rule-match.js";
import { compareStrings } from "../policy/sorted.js";
import type { AccessModel, Target } from "./access-model.js";
import type { Caller } from "./caller.js";
import { requestOf, type Decision, type Operation } from "./check-access.js";
import { SIDECAR_PLANE, type TargetPlane } from "./data-planes.js";
import { UsageError } from "./exit-codes.js";

export interface MatrixCell {
  from: string;
  to: string;
  /** Absent on the one row of a pair with no allowed request among those tried (no --operations). */
  operation?: Operation;
  decision: Decision;
  /** The deciding AuthorizationPolicy, when one decided. */
  policy?: string;
}

/**
 * With `operations`, one cell per caller, target and operation. Without, the requests the
 * target's policies name are tried and only the allowed ones are listed, or one DENY row
 * for a pair that may make none of them. `planeOf` says which data plane runs a target
 * (default: sidecar everywhere).
 */
export function accessMatrix(
  model: AccessModel,
  callers: readonly Caller[],
  targets: readonly Target[],
  operations: readonly Operation[] | undefined,
  defaultPort: number,
  planeOf: (target: Target) => TargetPlane = () => SIDECAR_PLANE,
): MatrixCell[] {
  const cells: MatrixCell[] = [];
  const groups = new Map<string, Caller[]>();
  for (const caller of callers) {
    const key = JSON.stringify(caller.source);
    groups.set(key, [...(groups.get(key) ?? []), caller]);
  }
  // Targets protected by the same policies on the same data plane (say, every engine of a
  // namespace that only namespace-wide policies cover) get the same answers: each distinct set
  // is judged once.
  const answers = new Map<string, Array<Omit<MatrixCell, "from" | "to">>>();
  // Request attributes depend on who is seen (the caller, or at ztunnel the connection's peer) and the operation only.
  const attributes = new Map<string, RequestAttributes>();
  const attributesFor = (key: string, operation: Operation, request: () => AccessRequest) => {
    const attrKey = `${key}\n${operation.method} ${operation.port} ${operation.path}`;
    let found = attributes.get(attrKey);
    if (!found) attributes.set(attrKey, (found = attributesOf(request())));
    return found;
  };
  for (const target of targets) {
    const policies = model.policiesFor(target);
    const plane = planeOf(target);
    const setKey = `${plane.dataPlane} ${plane.waypoint?.principal ?? ""} ${plane.waypoint?.service ?? ""}|${policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(",")}`;
    const to = `${target.namespace}/${target.name}`;
    let hops: Hop[] | undefined;
    let ops: readonly Operation[] | undefined;
    for (const [key, group] of groups) {
      const answerKey = `${setKey}|${key}`;
      let pairCells = answers.get(answerKey);
      if (!pairCells) {
        const requestFor = (operation: Operation) => requestOf(group[0]!, target, operation, plane);
        hops ??= hopsOf(policies, requestFor({ method: "GET", path: "/", port: defaultPort }), model.rootNamespace);
        ops ??= operations ?? candidateOperations(policies, defaultPort);
        // At ztunnel the peer is the waypoint (the same for every caller) or the caller itself.
        const peer = plane.waypoint ? `waypoint ${plane.waypoint.principal}` : `connection ${key}`;
        const seen = (hop: Hop, operation: Operation) =>
          hop.sees === "request" ? attributesFor(key, operation, () => requestFor(operation)) : attributesFor(peer, operation, () => connectionOf(requestFor(operation)));
        const first = ops[0] ?? { method: "GET", path: "/", port: defaultPort };
        const judges = hops.map((hop) => ({ hop, caller: hop.judge.forCaller(seen(hop, first)) }));
        pairCells = [];
        for (const operation of ops) {
          const { decision, policy } = decideOverHops(judges.map(({ hop, caller }) => () => caller.decide(seen(hop, operation))));
          if (operations || decision !== "DENY") pairCells.push({ operation, decision, ...(policy ? { policy } : {}) });
        }
        if (pairCells.length === 0) pairCells.push({ decision: "DENY" });
        answers.set(answerKey, pairCells);
      }
      for (const caller of group) for (const cell of pairCells) cells.push({ from: caller.label, to, ...cell });
    }
  }
  return cells;
}

type HopAnswer = { decision: Decision; policy?: string };

/** One part of the data plane: its policies, and whether it judges the caller's request or the connection (ztunnel). */
interface Hop {
  judge: TargetJudge;
  sees: "request" | "connection";
}

/**
 * The hops of the target's data plane in the order a call meets them, with the policies
 * evaluateRequest gives each (policiesAtHops): the proxy (sidecar, gRPC) alone; for ambient,
 * the waypoint on the request when the call goes through one, then ztunnel on the connection.
 */
function hopsOf(policies: readonly AuthorizationPolicyObject[], shape: AccessRequest, rootNamespace: string): Hop[] {
  const hops = policiesAtHops(policies, shape, rootNamespace);
  if (hops.dataPlane !== "ambient") return [{ judge: new TargetJudge(hops.proxy), sees: "request" }];
  const ztunnel: Hop = { judge: new TargetJudge(hops.ztunnel), sees: "connection" };
  return hops.waypoint ? [{ judge: new TargetJudge(hops.waypoint), sees: "request" }, ztunnel] : [ztunnel];
}

/** The call passes when every hop lets it: the first hop that denies decides, else the first hop's answer (ztunnel asks no gate). */
function decideOverHops(hops: ReadonlyArray<() => HopAnswer>): HopAnswer {
  let passed: HopAnswer | undefined;
  for (const hop of hops) {
    const answer = hop();
    if (answer.decision === "DENY") return answer;
    passed ??= answer;
  }
  return passed!;
}

/**
 * The evaluator's decision at one hop of a target, with its policies sorted and split
 * once instead of per request: the same steps as evaluateRequest (policies in namespace
 * and name order, dry-run ones set aside, then decide), which a unit test holds it to.
 * A rule matches when a source, an operation and every condition match (ruleMatches);
 * the source part does not depend on the request, so it is worked out once per caller.
 */
class TargetJudge {
  private readonly enforced: Array<{ policy: AuthorizationPolicyObject; rules: RuleSpec[] }>;

  constructor(policies: readonly AuthorizationPolicyObject[]) {
    this.enforced = [...policies]
      .sort((a, b) => compareStrings(a.metadata.namespace, b.metadata.namespace) || compareStrings(a.metadata.name, b.metadata.name))
      .filter((policy) => !isDryRun(policy))
      .map((policy) => ({ policy, rules: rulesOf(policy) }));
  }

  forCaller(callerAttributes: RequestAttributes): { decide(request: RequestAttributes): { decision: Decision; policy?: string } } {
    const sourceMatched = this.enforced.map(({ rules }) => rules.map((rule) => (rule.from ?? []).length === 0 || rule.from!.some((entry) => sourceMatches(entry.source ?? {}, callerAttributes))));
    return {
      decide: (request) => {
        const evaluated: EvaluatedPolicy[] = this.enforced.map(({ policy, rules }, p) => {
          const index = rules.findIndex((rule, r) => sourceMatched[p]![r]! && operationAndConditionsMatch(rule, request));
          return {
            ref: { namespace: policy.metadata.namespace, name: policy.metadata.name, action: actionOf(policy) },
            provider: policy.spec?.provider?.name ?? "",
            ruleCount: rules.length,
            matchedRule: index < 0 ? undefined : index,
          };
        });
        const strict = decide(evaluated, () => false);
        const named = (d: ReturnType<typeof decide>) => (d.decidingPolicy ? `${d.decidingPolicy.namespace}/${d.decidingPolicy.name}` : undefined);
        if (strict.allowed) return { decision: "ALLOW", policy: named(strict) };
        if (strict.delegations.length === 0) return { decision: "DENY", policy: named(strict) };
        const gated = decide(evaluated, () => true);
        return gated.allowed ? { decision: "ALLOW_IF_GATE", policy: named(gated) } : { decision: "DENY", policy: named(strict) };
      },
    };
  }
}

function operationAndConditionsMatch(rule: RuleSpec, request: RequestAttributes): boolean {
  const to = rule.to ?? [];
  return (to.length === 0 || to.some((entry) => operationMatches(entry.operation ?? {}, request))) && (rule.when ?? []).every((condition) => conditionHolds(condition, request));
}

const MAX_CANDIDATES = 64;

/**
 * Without --operations: one concrete request for each method, path and port the target's
 * rules name (a pattern stands for one path it matches), plus GET / on the default port,
 * so "may call" means "may make at least one of the requests the policies talk about".
 */
export function candidateOperations(policies: readonly AuthorizationPolicyObject[], defaultPort: number): Operation[] {
  const seen = new Map<string, Operation>();
  const add = (operation: Operation) => {
    const key = `${operation.method} ${operation.path} ${operation.port}`;
    if (!seen.has(key) && seen.size < MAX_CANDIDATES) seen.set(key, operation);
  };
  add({ method: "GET", path: "/", port: defaultPort });
  for (const policy of policies) {
    for (const rule of policy.spec?.rules ?? []) {
      for (const { operation } of rule.to ?? []) {
        const methods = operation?.methods?.length ? operation.methods : ["GET"];
        const paths = operation?.paths?.length ? operation.paths.map(examplePath) : ["/"];
        const ports = operation?.ports?.length ? operation.ports.map(Number).filter(Number.isInteger) : [defaultPort];
        for (const method of methods) for (const path of paths) for (const port of ports) add({ method, path, port });
      }
    }
  }
  return [...seen.values()];
}

/** A path the Istio pattern matches: exact, `prefix*`, `*suffix` or `*`. */
export function examplePath(pattern: string): string {
  if (pattern === "*") return "/";
  if (pattern.startsWith("*")) return `/any${pattern.slice(1)}`;
  if (pattern.endsWith("*")) return `${pattern.slice(0, -1)}any`;
  return pattern;
}

/** `--operations "GET /v1/entries, POST /v1/entries 8443"`: method, path, optional port. */
export function parseOperations(text: string, defaultPort: number): Operation[] {
  return text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [method, path, port, extra] = part.split(/\s+/);
      const portNumber = port === undefined ? defaultPort : Number(port);
      if (!method || !path || extra !== undefined || !path.startsWith("/") || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) {
        throw new UsageError(`--operations "${part}": expected METHOD /path [port], e.g. "GET /v1/entries" or "POST /v1/entries 8443"`);
      }
      return { method: method.toUpperCase(), path, port: portNumber };
    });
}
