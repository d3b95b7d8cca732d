// Who can call whom: every caller against every target, per operation. The policies of a
// target are looked up once (AccessModel), and callers the mesh cannot tell apart (the
// same principal: engines sharing a service account) are evaluated once.
import type { AuthorizationPolicyObject } from "../evaluate/index.js";
import type { AccessModel, Target } from "./access-model.js";
import type { Caller } from "./caller.js";
import { checkAccess, type Decision, type Operation } from "./check-access.js";
import { UsageError } from "./exit-codes.js";

export interface MatrixCell {
  from: string;
  to: string;
  operation: Operation;
  decision: Decision;
  /** The deciding AuthorizationPolicy, when one decided. */
  policy?: string;
}

export function accessMatrix(model: AccessModel, callers: readonly Caller[], targets: readonly Target[], operations: readonly Operation[] | undefined, defaultPort: number): MatrixCell[] {
  const cells: MatrixCell[] = [];
  const groups = new Map<string, Caller[]>();
  for (const caller of callers) {
    const key = JSON.stringify(caller.source);
    groups.set(key, [...(groups.get(key) ?? []), caller]);
  }
  for (const target of targets) {
    const ops = operations ?? candidateOperations(model.policiesFor(target), defaultPort);
    for (const group of groups.values()) {
      for (const operation of ops) {
        const answer = checkAccess(model, group[0]!, target, operation);
        const deciding = (answer.ifGateAccepts ?? answer.verdict).decidingPolicy;
        for (const caller of group) {
          cells.push({ from: caller.label, to: `${target.namespace}/${target.name}`, operation, decision: answer.decision, ...(deciding ? { policy: `${deciding.namespace}/${deciding.name}` } : {}) });
        }
      }
    }
  }
  return cells;
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
