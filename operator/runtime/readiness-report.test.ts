import pino from "pino";
import { describe, expect, it } from "vitest";
import type { Condition } from "../api/types.js";
import type { EventRecorder } from "./events.js";
import type { KubeObject } from "./kube-client.js";
import { reportReadiness } from "./readiness-report.js";

const object: KubeObject = { apiVersion: "security.nexus.io/v1alpha1", kind: "AccessPolicy", metadata: { name: "p", namespace: "ns" } };
const ready = (status: Condition["status"], reason = "R"): Condition[] => [{ type: "Ready", status, reason, message: "m", lastTransitionTime: "2026-01-01T00:00:00Z" }];

async function eventsFor(before: Condition[] | undefined, after: Condition[] | undefined): Promise<string[]> {
  const sent: string[] = [];
  const events = { record: async (_o: KubeObject, type: string, reason: string) => void sent.push(`${type}/${reason}`) } as unknown as EventRecorder;
  reportReadiness(object, before, after, events, pino({ level: "silent" }));
  return sent;
}

describe("reportReadiness", () => {
  it("sends no Event when an object becomes Ready for the first time", async () => {
    expect(await eventsFor(undefined, ready("True"))).toEqual([]);
  });
  it("warns when an object is not Ready, and says when it recovers", async () => {
    expect(await eventsFor(undefined, ready("False", "IssuerNotFound"))).toEqual(["Warning/IssuerNotFound"]);
    expect(await eventsFor(ready("False"), ready("True", "Ok"))).toEqual(["Normal/Ok"]);
    expect(await eventsFor(ready("True"), ready("False", "Broken"))).toEqual(["Warning/Broken"]);
  });
  it("stays quiet when nothing changed", async () => {
    expect(await eventsFor(ready("True"), ready("True"))).toEqual([]);
  });
});
