// One audit record per decision: who asked for what, the answer and why, and the policy
// version that decided. Built from the decision's facts only, so no key, token,
// Authorization header, cookie or query string can reach it.
import type pino from "pino";
import { STATUS_OF, type Decision } from "./decision.js";
import type { GateRequest } from "./request.js";

export interface AuditRecord {
  time: string;
  audit: true;
  decision: Decision["kind"];
  status: number;
  reason: string;
  caller: Decision["caller"];
  target: { principal?: string; host: string; port?: number };
  method: string;
  path: string;
  policy?: string;
  policyHash?: string;
  requestId?: string;
  latencyMs: number;
}

export function auditRecordOf(decision: Decision, request: GateRequest, at: number, latencyMs: number): AuditRecord {
  return {
    time: new Date(at).toISOString(),
    audit: true,
    decision: decision.kind,
    status: STATUS_OF[decision.kind],
    reason: decision.reason,
    caller: decision.caller,
    target: {
      ...(request.destinationPrincipal ? { principal: request.destinationPrincipal } : {}),
      host: request.host,
      ...(request.port !== undefined ? { port: request.port } : {}),
    },
    method: request.method,
    path: request.path,
    ...(decision.policy ? { policy: `${decision.policy.namespace}/${decision.policy.name}` } : {}),
    ...(decision.policy?.policyHash ? { policyHash: decision.policy.policyHash } : {}),
    ...(request.requestId ? { requestId: request.requestId } : {}),
    latencyMs: Math.round(latencyMs * 1000) / 1000,
  };
}

/** Where records go: a file of their own, or standard output beside the log lines. */
export interface AuditSink {
  write(record: AuditRecord): void;
  flushSync(): void;
}

export function auditSinkOn(destination: pino.DestinationStream & { flushSync(): void }): AuditSink {
  return {
    write: (record) => void destination.write(`${JSON.stringify(record)}\n`),
    flushSync: () => destination.flushSync(),
  };
}
