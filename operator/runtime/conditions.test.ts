import { describe, expect, it } from "vitest";
import { readyFrom, setConditions } from "./conditions.js";

const t0 = new Date("2026-01-01T00:00:00.000Z");
const t1 = new Date("2026-01-01T01:00:00.000Z");

describe("setConditions", () => {
  it("stamps a new condition with the current time and generation", () => {
    const [c] = setConditions(undefined, [{ type: "Ready", status: "True", reason: "Ok", message: "fine" }], 4, t0);
    expect(c).toEqual({ type: "Ready", status: "True", reason: "Ok", message: "fine", observedGeneration: 4, lastTransitionTime: "2026-01-01T00:00:00Z" });
  });

  it("keeps lastTransitionTime when the status holds, even if reason or message change", () => {
    const first = setConditions(undefined, [{ type: "Ready", status: "False", reason: "A", message: "a" }], 1, t0);
    const [second] = setConditions(first, [{ type: "Ready", status: "False", reason: "B", message: "b" }], 2, t1);
    expect(second?.lastTransitionTime).toBe("2026-01-01T00:00:00Z");
    expect(second?.reason).toBe("B");
    expect(second?.observedGeneration).toBe(2);
  });

  it("moves lastTransitionTime when the status flips", () => {
    const first = setConditions(undefined, [{ type: "Ready", status: "False", reason: "A", message: "a" }], 1, t0);
    const [second] = setConditions(first, [{ type: "Ready", status: "True", reason: "A", message: "a" }], 1, t1);
    expect(second?.lastTransitionTime).toBe("2026-01-01T01:00:00Z");
  });

  it("sorts conditions by type so status output is deterministic", () => {
    const out = setConditions(undefined, [
      { type: "Ready", status: "True", reason: "r", message: "m" },
      { type: "CertificateReady", status: "True", reason: "r", message: "m" },
    ], 1, t0);
    expect(out.map((c) => c.type)).toEqual(["CertificateReady", "Ready"]);
  });
});

describe("readyFrom", () => {
  it("is True only when every part is True", () => {
    expect(readyFrom([{ type: "A", status: "True", reason: "r", message: "m" }], "AllGood", "ok").status).toBe("True");
  });

  it("carries the first failing part's reason and names it in the message", () => {
    const ready = readyFrom(
      [
        { type: "A", status: "True", reason: "r", message: "m" },
        { type: "CertificateReady", status: "False", reason: "IssuerNotFound", message: "no issuer" },
      ],
      "AllGood",
      "ok",
    );
    expect(ready).toEqual({ type: "Ready", status: "False", reason: "IssuerNotFound", message: "CertificateReady: no issuer" });
  });
});
