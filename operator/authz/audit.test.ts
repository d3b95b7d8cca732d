import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import { auditRecordOf, auditSinkOn, isoTime, type AuditRecord } from "./audit.js";
import type { Decision } from "./decision.js";
import { gateRequestOf } from "./request.js";

function record(i: number, path: string): AuditRecord {
  const decision: Decision = { kind: "forbidden", reason: "not-admitted", caller: { address: "127.0.0.1", keyId: `key-${i}` } };
  const request = gateRequestOf({ attributes: { request: { http: { method: "GET", path, host: "ledger.shop.svc.cluster.local", headers: { "x-request-id": `req-${i}` } } } } });
  return auditRecordOf(decision, request, Date.UTC(2026, 11, 1, 10, 0, 0, i % 1000), 0.25);
}

describe("audit records", () => {
  it("dates records exactly as Date#toISOString does", () => {
    fc.assert(fc.property(fc.integer({ min: -70_000_000_000_000, max: 260_000_000_000_000 }), (at) => isoTime(at) === new Date(at).toISOString()));
    for (const at of [0, 999, 1000, 1001, Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1)]) expect(isoTime(at)).toBe(new Date(at).toISOString());
  });

  it("keeps the contract's fields in order, optional ones only when known", () => {
    expect(Object.keys(record(1, "/v1/items?secret=1"))).toEqual(["time", "audit", "decision", "status", "reason", "caller", "target", "method", "path", "requestId", "latencyMs"]);
    expect(record(1, "/v1/items?secret=1")).toMatchObject({ path: "/v1/items", status: 403, target: { host: "ledger.shop.svc.cluster.local" } });
  });

  it("stops its timer when closed: nothing it started outlives it", async () => {
    const started = vi.spyOn(globalThis, "setInterval");
    const stopped = vi.spyOn(globalThis, "clearInterval");
    try {
      const destination = pino.destination({ dest: "/dev/null", sync: false } as never) as pino.DestinationStream & { flushSync(): void };
      const sink = auditSinkOn(destination);
      expect(started).toHaveBeenCalledTimes(1);
      const timer = started.mock.results[0]!.value as NodeJS.Timeout;
      expect(stopped).not.toHaveBeenCalledWith(timer);
      await sink.close();
      expect(stopped).toHaveBeenCalledWith(timer);
    } finally {
      started.mockRestore();
      stopped.mockRestore();
    }
  });

  it("hands on records fewer than a batch: by its quarter-second timer without a flush, and at flushSync", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "nexus-audit-"));
    try {
      const file = path.join(dir, "audit.log");
      const destination = pino.destination({ dest: file, sync: true, contentMode: "buffer" } as never) as pino.DestinationStream & { flushSync(): void };
      const sink = auditSinkOn(destination, { bytes: true });
      const linesIn = async () => (await readFile(file, "utf8")).split("\n").filter(Boolean).map((l) => (JSON.parse(l) as AuditRecord).requestId);
      sink.write(record(1, "/a"));
      sink.write(record(2, "/b"));
      // Fewer than a batch, and no flush: only the timer can hand them on.
      await vi.waitFor(async () => expect(await linesIn()).toEqual(["req-1", "req-2"]), { timeout: 5_000, interval: 50 });
      sink.write(record(3, "/c"));
      sink.flushSync();
      expect(await linesIn()).toEqual(["req-1", "req-2", "req-3"]);
      await sink.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  for (const bytes of [true, false]) {
    it(`writes every record whole, one line each, through a file destination (${bytes ? "byte" : "string"} blocks)`, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "nexus-audit-"));
      try {
        const file = path.join(dir, "audit.log");
        const destination = pino.destination({ dest: file, sync: false, minLength: 8 * 1024, periodicFlush: 250, ...(bytes ? { contentMode: "buffer" } : {}) } as never) as pino.DestinationStream & { flushSync(): void };
        const sink = auditSinkOn(destination, { bytes });
        // Non-ASCII paths take more bytes than characters: blocks must still hold whole lines.
        const written = Array.from({ length: 5_000 }, (_, i) => record(i, `/v1/items/${"é€😀".repeat(i % 50)}/${i}`));
        for (const r of written) sink.write(r);
        await sink.close();
        // Closed means closed: a record after it is not written, even when flushed.
        sink.write(record(5_000, "/after-close"));
        await sink.flush();
        const lines = (await readFile(file, "utf8")).split("\n");
        expect(lines.pop()).toBe("");
        expect(lines.map((l) => JSON.parse(l) as AuditRecord)).toEqual(written);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
