// A decision as Envoy's CheckResponse (envoy.service.auth.v3, proto field names). Every
// decision is an answer with an HTTP status: the gate never fails the gRPC call, since
// Envoy would then apply its own failure policy instead of ours.
import { STATUS_OF, type Decision } from "./decision.js";
import { CALLER_HEADER } from "./gate.js";

// google.rpc.Code values Envoy reads from CheckResponse.status.
const RPC_CODE = { allow: 0, unauthenticated: 16, forbidden: 7, "rate-limited": 8, unavailable: 14 } as const;

const BODY: Record<Exclude<Decision["kind"], "allow">, string> = {
  unauthenticated: JSON.stringify({ error: "unauthenticated", message: "a valid credential is required" }),
  // One body for every refusal of an authenticated caller, whatever the reason or path.
  forbidden: JSON.stringify({ error: "forbidden", message: "access denied" }),
  "rate-limited": JSON.stringify({ error: "too_many_requests", message: "too many failed authentications; retry later" }),
  unavailable: JSON.stringify({ error: "unavailable", message: "the credential gate is not ready" }),
};

interface HeaderOption {
  header: { key: string; value: string };
  append_action: "OVERWRITE_IF_EXISTS_OR_ADD";
}

function header(key: string, value: string): HeaderOption {
  return { header: { key, value }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" };
}

export function checkResponseOf(decision: Decision): Record<string, unknown> {
  if (decision.kind === "allow") {
    return {
      status: { code: RPC_CODE.allow },
      ok_response: {
        // Overwrites any x-nexus-caller the client sent itself.
        headers: [header(CALLER_HEADER, decision.callerHeader ?? "")],
        headers_to_remove: decision.removeHeaders ?? [],
      },
    };
  }
  const headers = [header("content-type", "application/json"), header("cache-control", "no-store")];
  if (decision.challenge) headers.push(header("www-authenticate", decision.challenge));
  if (decision.retryAfterSeconds !== undefined) headers.push(header("retry-after", String(Math.max(1, Math.ceil(decision.retryAfterSeconds)))));
  return {
    status: { code: RPC_CODE[decision.kind], message: decision.kind },
    denied_response: { status: { code: STATUS_OF[decision.kind] }, headers, body: BODY[decision.kind] },
  };
}
