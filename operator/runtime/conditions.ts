// metav1.Condition bookkeeping: lastTransitionTime moves only when the status flips, so
// watchers can tell how long a condition has held.
import type { Condition } from "../api/types.js";

export type ConditionStatus = Condition["status"];

export interface DesiredCondition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

export function setConditions(
  current: Condition[] | undefined,
  desired: DesiredCondition[],
  observedGeneration: number | undefined,
  now: Date,
): Condition[] {
  const byType = new Map((current ?? []).map((c) => [c.type, c]));
  const next = desired.map((want): Condition => {
    const previous = byType.get(want.type);
    const lastTransitionTime =
      previous && previous.status === want.status
        ? previous.lastTransitionTime
        : now.toISOString().replace(/\.\d{3}Z$/, "Z");
    return { ...want, observedGeneration, lastTransitionTime };
  });
  return next.sort((a, b) => a.type.localeCompare(b.type));
}

/** The Ready condition summarises the others: True only when every one of them is True. */
export function readyFrom(parts: DesiredCondition[], readyReason: string, readyMessage: string): DesiredCondition {
  const failing = parts.find((c) => c.status !== "True");
  if (!failing) return { type: "Ready", status: "True", reason: readyReason, message: readyMessage };
  return {
    type: "Ready",
    status: failing.status,
    reason: failing.reason,
    message: `${failing.type}: ${failing.message}`,
  };
}
