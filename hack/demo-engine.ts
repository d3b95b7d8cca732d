// The demo's side-by-side verdicts: for each sample call the real RBAC engine can make
// (POST to a gRPC-shaped path /<service>/<method>, a peer principal, no token), the
// evaluator's verdict next to grpc-go's enforcement of istiod's proxyless gRPC output over
// mTLS (the Istio judge, hack/istio-judge); the other calls say why the engine cannot.
import type { AccessRequest, AuthorizationPolicyObject, Verdict } from "../operator/evaluate/index.js";
import { enginePolicies } from "../test/istio/engine-domain.js";
import { IstioJudge, type EngineCall } from "../test/support/istio-judge.js";

type SampleCall = { label: string; request: AccessRequest };

/** Why the engine cannot make the call, or undefined when it can. */
export function engineCannotMake(request: AccessRequest): string | undefined {
  if (request.source.requestPrincipal) return "carries a token: JWT is not enforced by proxyless gRPC";
  if (!request.source.principal) return "no peer principal: the engine's callers always present an SVID";
  if (request.operation.method !== "POST") return `${request.operation.method}: gRPC calls are POST`;
  if (!/^\/[^/]+\/[^/]+$/.test(request.operation.path)) return `${request.operation.path} is not a gRPC path /<service>/<method>`;
  return undefined;
}

export async function printEngineComparison(
  calls: readonly SampleCall[],
  policies: readonly AuthorizationPolicyObject[],
  evaluate: (request: AccessRequest) => Verdict,
): Promise<void> {
  const expressible = calls.filter((c) => engineCannotMake(c.request) === undefined);
  const ports = [...new Set(expressible.map((c) => c.request.operation.port))].sort((a, b) => a - b);
  const judge = await IstioJudge.start();
  let engine: Array<{ allowed: boolean; message: string }> = [];
  try {
    const engineCalls: EngineCall[] = expressible.map(({ request }) => ({
      principal: request.source.principal!,
      workload: request.workload,
      path: request.operation.path,
      port: request.operation.port,
    }));
    engine = engineCalls.length ? await judge.enforce(enginePolicies(policies), engineCalls, ports) : [];
  } finally {
    await judge.stop();
  }
  const verdictWord = (allowed: boolean) => (allowed ? "ALLOW" : "DENY");
  console.log(`${"EVALUATOR".padEnd(10)}${"ENGINE".padEnd(8)}CALL`);
  for (const call of calls) {
    const evaluator = verdictWord(evaluate(call.request).allowed);
    const index = expressible.indexOf(call);
    if (index < 0) {
      console.log(`${evaluator.padEnd(10)}${"-".padEnd(8)}${call.label}  (engine: ${engineCannotMake(call.request)})`);
      continue;
    }
    const verdict = engine[index]!;
    const agreement = verdict.allowed === evaluate(call.request).allowed ? "" : "  << DISAGREE";
    const why = verdict.allowed ? "" : `  (engine: ${verdict.message.replace(/^.*desc = /, "")})`;
    console.log(`${evaluator.padEnd(10)}${verdictWord(verdict.allowed).padEnd(8)}${call.label}${why}${agreement}`);
  }
}
