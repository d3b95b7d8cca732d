// SPIFFE IDs and Istio principals are the same name in two spellings; keeping both here
// is what makes the certificate we issue and the identity the mesh matches agree.

export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${principal(trustDomain, namespace, serviceAccount)}`;
}

export function principal(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** The Istio principal of a SPIFFE ID: the ID without its scheme. */
export function principalOfSpiffeId(id: string): string {
  if (!id.startsWith("spiffe://")) throw new Error(`not a SPIFFE ID: ${id}`);
  return id.slice("spiffe://".length);
}
