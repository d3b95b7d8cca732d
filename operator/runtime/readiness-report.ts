// Tells people when an object's readiness changes: a log line and an Event. Becoming Ready
// for the first time is left to the Event of the action that made it so (ServiceAccount
// created, policy rendered), which halves the Events a large first sync sends.
import type { Logger } from "pino";
import type { Condition } from "../api/types.js";
import type { EventRecorder } from "./events.js";
import type { KubeObject } from "./kube-client.js";

export function reportReadiness(
  object: KubeObject,
  before: Condition[] | undefined,
  after: Condition[] | undefined,
  events: EventRecorder,
  log: Logger,
): void {
  const was = before?.find((c) => c.type === "Ready");
  const is = after?.find((c) => c.type === "Ready");
  if (!is || (was?.status === is.status && was?.reason === is.reason)) return;
  log.info({ ready: is.status, reason: is.reason }, `${object.kind} readiness changed`);
  if (is.status === "True" && was === undefined) return;
  events.record(object, is.status === "True" ? "Normal" : "Warning", is.reason, is.message);
}
