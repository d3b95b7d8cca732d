// The gRPC shell: envoy.service.auth.v3.Authorization/Check over @grpc/grpc-js. It turns
// each CheckRequest into a GateRequest, asks the gate, audits, counts, and answers; any
// failure inside becomes a 503 answer, never a gRPC error.
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { AnswerEncoding } from "./answer-encoding.js";
import { auditRecordOf, type AuditSink } from "./audit.js";
import { Reason, type Decision } from "./decision.js";
import type { CheckSender, Gate } from "./gate.js";
import { callerFromCertificate, callerFromXfcc, type CallerIdentity } from "./caller-identity.js";
import type { AuthzMetrics } from "./metrics.js";
import { authorizationServiceDefinition } from "./protos.js";
import { gateRequestOf, type CheckRequestMessage, type GateRequest } from "./request.js";

export interface CheckServerOptions {
  gate: Gate;
  audit: AuditSink;
  metrics: AuthzMetrics;
  log: Logger;
  host: string;
  port: number;
  /** How the sender of a Check is known: the gate's sidecar's XFCC, or the gate's own mTLS. */
  callerIdentity: "sidecar-xfcc" | "tls";
  /** The gate's own SPIFFE ID, required in By= of the XFCC element read. */
  gateSpiffeId?: string;
  /** PEM contents for --caller-identity=tls. */
  tls?: { cert: Buffer; key: Buffer; clientCa: Buffer };
}

/** The sender of one Check, from the one source the configuration trusts. */
export function senderOf(call: ServerUnaryCall<unknown, unknown>, options: Pick<CheckServerOptions, "callerIdentity" | "gateSpiffeId">): CheckSender {
  if (options.callerIdentity === "tls") {
    const certificate = call.getAuthContext?.()?.sslPeerCertificate;
    return new SenderOfCall(call, callerFromCertificate(certificate?.subjectaltname));
  }
  const values = call.metadata.get("x-forwarded-client-cert");
  const header = values.length === 1 && typeof values[0] === "string" ? values[0] : values.length > 0 ? values.map((v) => (typeof v === "string" ? v : v.toString("latin1"))).join(",") : undefined;
  // A destination's proxy sends the same header on every Check of a connection: read it once.
  if (header !== lastXfcc.header || options.gateSpiffeId !== lastXfcc.ownSpiffeId) {
    lastXfcc = { header, ownSpiffeId: options.gateSpiffeId, identity: callerFromXfcc(header, options.gateSpiffeId !== undefined ? { ownSpiffeId: options.gateSpiffeId } : {}) };
  }
  return new SenderOfCall(call, lastXfcc.identity);
}

// The peer address is read only if the sender is refused unidentified: grpc-js finds it
// through the HTTP/2 session's socket proxy on every read. A class rather than an object
// literal with a getter: V8 builds such a literal's accessor anew for every Check.
class SenderOfCall implements CheckSender {
  constructor(
    private readonly call: ServerUnaryCall<unknown, unknown>,
    readonly identity: CallerIdentity,
  ) {}

  get peer(): string {
    return this.call.getPeer();
  }
}

let lastXfcc: { header: string | undefined; ownSpiffeId: string | undefined; identity: CallerIdentity } = { header: undefined, ownSpiffeId: undefined, identity: { ok: false, problem: "no x-forwarded-client-cert" } };

/** The gRPC server's options, shared with the benchmark's bare floor server. */
export const CHECK_SERVER_OPTIONS = { "grpc.max_receive_message_length": 4 * 1024 * 1024 };

export async function startCheckServer(options: CheckServerOptions): Promise<{ server: Server; port: number }> {
  const { gate, audit, metrics, log } = options;
  const server = new Server(CHECK_SERVER_OPTIONS);
  const answers = new AnswerEncoding();
  const answerFailure = (answer: (decision: Decision) => void, err: unknown, what: string) => {
    log.error({ err: (err as Error)?.message }, `${what}; answering 503`);
    answer({ kind: "unavailable", reason: Reason.InternalError, caller: {}, retryAfterSeconds: 1 });
  };
  server.addService(authorizationServiceDefinition(), {
    Check: (call: ServerUnaryCall<CheckRequestMessage, unknown>, callback: sendUnaryData<unknown>) => {
      const started = performance.now();
      const at = Date.now();
      let request: GateRequest | undefined;
      const answer = (decision: Decision) => {
        const seconds = (performance.now() - started) / 1000;
        // The answer goes first: the record and the counts are the gate's own bookkeeping,
        // and the audit sink only gathers records in memory, so nothing waits on them.
        callback(null, answers.bytesOf(decision));
        metrics.recordDecision(decision.kind, decision.reason, seconds);
        audit.write(auditRecordOf(decision, request ?? gateRequestOf({}), at, seconds * 1000));
      };
      try {
        request = gateRequestOf(call.request ?? {});
      } catch (err) {
        return answerFailure(answer, err, "request unreadable");
      }
      let decided: Decision | Promise<Decision>;
      try {
        decided = gate.decide(request, senderOf(call, options));
      } catch (err) {
        return answerFailure(answer, err, "decision failed");
      }
      // Most decisions are known at once: answered in this turn, with no promise between.
      if (decided instanceof Promise) decided.then(answer, (err: unknown) => answerFailure(answer, err, "decision failed"));
      else answer(decided);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host.includes(":") ? `[${options.host}]` : options.host}:${options.port}`, credentialsOf(options), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return { server, port };
}

/** Plaintext behind the sidecar (which terminates mTLS); mTLS with required client certificates otherwise. */
function credentialsOf(options: CheckServerOptions): ServerCredentials {
  if (options.callerIdentity !== "tls") return ServerCredentials.createInsecure();
  if (!options.tls) throw new Error("--caller-identity=tls needs the TLS certificate, key and client CA");
  return ServerCredentials.createSsl(options.tls.clientCa, [{ cert_chain: options.tls.cert, private_key: options.tls.key }], true);
}
