// The gRPC shell answers every Check, whatever goes wrong inside: a decision that throws at
// once or fails later is a 503 answer (audited, logged without the error's request), never a
// gRPC error, which Envoy would answer with its own failure policy instead of ours.
import { credentials, Metadata, type Server } from "@grpc/grpc-js";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { AuditRecord, AuditSink } from "./audit.js";
import { startCheckServer } from "./check-server.js";
import { Reason, type Decision } from "./decision.js";
import type { Gate } from "./gate.js";
import { AuthzMetrics } from "./metrics.js";
import { authorizationService } from "./protos.js";

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.forceShutdown();
});

async function checkAgainst(decide: Gate["decide"]): Promise<{ response: Record<string, unknown>; records: AuditRecord[]; logged: string[] }> {
  const records: AuditRecord[] = [];
  const audit: AuditSink = { write: (record) => void records.push(record), flush: async () => {}, flushSync: () => {}, close: async () => {} };
  const logged: string[] = [];
  const log = pino({ level: "info" }, { write: (line: string) => void logged.push(line) });
  const { server, port } = await startCheckServer({ gate: { decide } as Gate, audit, metrics: new AuthzMetrics(), log, host: "127.0.0.1", port: 0, callerIdentity: "sidecar-xfcc" });
  servers.push(server);
  const Service = authorizationService();
  const client = new Service(`127.0.0.1:${port}`, credentials.createInsecure());
  try {
    const message = { attributes: { request: { http: { method: "GET", path: "/v1/items", host: "ledger", headers: { "x-api-key": "nxk_secret_value" } } } } };
    const response = await new Promise<Record<string, unknown>>((resolve, reject) => client.Check!(message, new Metadata(), (err: Error | null, res: Record<string, unknown>) => (err ? reject(err) : resolve(res))));
    return { response, records, logged };
  } finally {
    client.close();
  }
}

const allow: Decision = { kind: "allow", reason: Reason.ApiKey, caller: {}, callerHeader: "key-1", removeHeaders: ["x-api-key"] };

describe("the Check server", () => {
  it("answers a decision given at once and one given through a promise alike", async () => {
    for (const decide of [() => allow, () => Promise.resolve(allow)]) {
      const { response, records } = await checkAgainst(decide);
      expect(response).toMatchObject({ status: { code: 0 }, ok_response: { headers: [{ header: { key: "x-nexus-caller", value: "key-1" } }], headers_to_remove: ["x-api-key"] } });
      expect(records).toMatchObject([{ decision: "allow", reason: "api-key", path: "/v1/items" }]);
    }
  });

  it("answers 503 when the decision throws at once or its promise fails, and says so in the audit and the log", async () => {
    const failures: Array<Gate["decide"]> = [
      () => {
        throw new Error("index broken");
      },
      () => Promise.reject(new Error("index broken")),
    ];
    for (const decide of failures) {
      const { response, records, logged } = await checkAgainst(decide);
      expect(response).toMatchObject({ status: { code: 14 }, denied_response: { status: { code: "ServiceUnavailable" } } });
      expect(records).toMatchObject([{ decision: "unavailable", status: 503, reason: "internal-error", path: "/v1/items" }]);
      expect(logged.map((line) => JSON.parse(line) as { msg: string; err: string })).toMatchObject([{ msg: "decision failed; answering 503", err: "index broken" }]);
      expect(logged.join("")).not.toContain("nxk_secret_value");
    }
  });
});
