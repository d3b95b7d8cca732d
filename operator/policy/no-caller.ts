// The principal no caller has. The namespace baseline admits only it, so it admits nobody.
//
// Why a rule and not an empty spec: an ALLOW policy without rules means "allow nothing" to
// an Envoy sidecar, but istiod's proxyless gRPC generator drops such a policy, so the
// baseline `spec: {}` allowed everything on proxyless gRPC workloads. An ALLOW policy with
// one rule that matches nothing means "allow nothing" on every data plane: sidecars, ztunnel
// (a principal is an L4 attribute, so ztunnel keeps the rule whole) and proxyless gRPC.
//
// Why nobody has it: its trust domain is under `.invalid`, a top-level domain reserved never
// to be delegated (RFC 2606, RFC 6761), and the operator refuses to start with a trust
// domain there, so no SVID the operator has issued carries it.
export const NO_CALLER_TRUST_DOMAIN = "nexus.invalid";
export const NO_CALLER_PRINCIPAL = `${NO_CALLER_TRUST_DOMAIN}/ns/none/sa/none`;

/** Why `trustDomain` may not be the mesh's trust domain (it could be the no-caller's), or undefined. */
export function reservedTrustDomainProblem(trustDomain: string): string | undefined {
  if (trustDomain === "invalid" || trustDomain.endsWith(".invalid")) {
    return `must not be under the reserved top-level domain .invalid (the namespace baseline admits only ${NO_CALLER_PRINCIPAL}, a principal no workload may have); got "${trustDomain}"`;
  }
  return undefined;
}
