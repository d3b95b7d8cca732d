// What a failed write means for the object it was for: a reason a program can
// switch on, and whether trying the same write again can ever succeed. A rendering that
// can never be written as it stands must not leave the previous version's Allow rules in
// force; one that failed for a passing reason keeps everything and is retried.
import { KubeApiError } from "./kube-client.js";

export const WriteFailureReason = {
  /** The object exceeds what the apiserver or etcd accept, even after sharding. */
  TooLarge: "TooLarge",
  /** The apiserver refused the object as invalid (Istio's CRD schema, an admission webhook). */
  Rejected: "Rejected",
  /** The operator's service account may not write the object. */
  Forbidden: "Forbidden",
  /** Anything else: the apiserver is down, overloaded, timed out, or answered 5xx. */
  WriteFailed: "WriteFailed",
} as const;
export type WriteFailureReason = (typeof WriteFailureReason)[keyof typeof WriteFailureReason];

export interface WriteFailure {
  reason: WriteFailureReason;
  /** True when the same write can never succeed: the policy's stale Allow objects must go. */
  permanent: boolean;
  /** The apiserver's own words, which name the object and the limit or field. */
  message: string;
}

// etcd's "request is too large", gRPC's "larger than max" and the apiserver's 413 all say
// the same thing in different layers.
const TOO_LARGE = /too large|larger than max|exceeds the maximum|RequestEntityTooLarge/i;

export function classifyWriteFailure(err: unknown): WriteFailure {
  const message = err instanceof Error ? err.message : String(err);
  if (!(err instanceof KubeApiError)) return { reason: WriteFailureReason.WriteFailed, permanent: false, message };
  if (err.statusCode === 413 || TOO_LARGE.test(message) || TOO_LARGE.test(err.reason)) {
    return { reason: WriteFailureReason.TooLarge, permanent: true, message };
  }
  if (err.statusCode === 422 || err.statusCode === 400) return { reason: WriteFailureReason.Rejected, permanent: true, message };
  // Not permanent in itself (an administrator can grant the right), but the stale Allow
  // objects go all the same: nobody can tell how long the policy will stay unwritable.
  // The namespace is being deleted: not a missing right, and nothing there outlives it.
  if (err.statusCode === 403 && /being terminated/.test(message)) return { reason: WriteFailureReason.WriteFailed, permanent: false, message };
  if (err.statusCode === 403) return { reason: WriteFailureReason.Forbidden, permanent: true, message };
  return { reason: WriteFailureReason.WriteFailed, permanent: false, message };
}
