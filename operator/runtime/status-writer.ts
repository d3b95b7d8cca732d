// Writes an object's status, and makes a refused write visible. A status the apiserver
// will not take (its schema, an administrator's admission policy, a missing right) cannot
// report itself on the object, and the retries with backoff would otherwise say nothing
// outside the operator's log: so a refusal is a Warning Event on the object, with the
// apiserver's words, once per distinct refusal, and every failure counts in a metric.
import type { EventRecorder } from "./events.js";
import type { KubeClient, KubeObject } from "./kube-client.js";
import type { OperatorMetrics } from "./metrics.js";
import { classifyWriteFailure } from "./write-failure.js";

export const STATUS_NOT_WRITTEN = "StatusNotWritten";

export interface StatusWriterDeps {
  client: KubeClient;
  events: EventRecorder;
  metrics: OperatorMetrics;
}

/** Server-side applies `status`; on failure records what happened and rethrows, so the work queue retries. */
export async function writeStatusOrReport(deps: StatusWriterDeps, object: KubeObject, status: unknown): Promise<void> {
  try {
    await deps.client.applyStatus(object, status);
  } catch (err) {
    const failure = classifyWriteFailure(err);
    deps.metrics.statusWriteFailures.inc({ kind: object.kind, reason: failure.reason });
    // Passing failures (the apiserver down, a conflict) clear up by themselves on retry.
    if (failure.permanent) {
      deps.events.record(object, "Warning", STATUS_NOT_WRITTEN, `status could not be written (${failure.reason}): ${failure.message}`);
    }
    throw err;
  }
}
