import pino from "pino";
import { describe, expect, it } from "vitest";
import { Controller, type ReconcileResult, type Reconciler } from "./controller.js";
import { OperatorMetrics } from "./metrics.js";

describe("Controller follow-ups at low priority", () => {
  it("queues a follow-up behind every key already waiting, so a burst's main work all goes first", async () => {
    const order: string[] = [];
    const reconciler: Reconciler = {
      name: "ordering",
      async reconcile(key): Promise<ReconcileResult | void> {
        order.push(key);
        await new Promise((r) => setImmediate(r));
        return key.endsWith("/report") ? undefined : { followUp: `${key}/report` };
      },
    };
    const controller = new Controller(reconciler, { concurrency: 1, metrics: new OperatorMetrics(), log: pino({ level: "silent" }) });
    for (const key of ["ns/a", "ns/b", "ns/c"]) controller.enqueue(key);
    controller.start();
    await controller.queue.idle();
    await controller.stop();
    expect(order).toEqual(["ns/a", "ns/b", "ns/c", "ns/a/report", "ns/b/report", "ns/c/report"]);
  });

  it("takes a key added while follow-ups wait before those follow-ups", async () => {
    const order: string[] = [];
    let controller: Controller;
    const reconciler: Reconciler = {
      name: "priority",
      async reconcile(key): Promise<ReconcileResult | void> {
        order.push(key);
        await new Promise((r) => setImmediate(r));
        // The first follow-up brings a new burst: its key goes before the follow-ups left.
        if (key === "ns/a/report") controller.enqueue("ns/late");
        return key.endsWith("/report") ? undefined : { followUp: `${key}/report` };
      },
    };
    controller = new Controller(reconciler, { concurrency: 1, metrics: new OperatorMetrics(), log: pino({ level: "silent" }) });
    for (const key of ["ns/a", "ns/b"]) controller.enqueue(key);
    controller.start();
    await controller.queue.idle();
    await controller.stop();
    expect(order).toEqual(["ns/a", "ns/b", "ns/a/report", "ns/late", "ns/b/report", "ns/late/report"]);
  });
});
