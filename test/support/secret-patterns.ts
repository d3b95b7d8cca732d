// What must never appear in a log line or an Event: key material, certificates, bearer
// tokens, and Secret data (which Kubernetes carries base64-encoded).
export const secretPatterns: Array<{ name: string; pattern: RegExp }> = [
  { name: "PEM block (key or certificate)", pattern: /-----BEGIN [A-Z ]+-----/ },
  { name: "base64 of a PEM block, as in Secret data", pattern: /LS0tLS1CRUdJTi/ },
  { name: "bearer token", pattern: /\bBearer\s+[A-Za-z0-9\-._~+/]{16,}/i },
  { name: "JSON Web Token", pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./ },
  { name: "Secret data field", pattern: /"tls\.key"\s*:\s*"[^"\[]/ },
];

export function findSecrets(text: string): string[] {
  return secretPatterns.filter(({ pattern }) => pattern.test(text)).map(({ name }) => name);
}
