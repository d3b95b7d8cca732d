// Runs last (see test/sequencer.ts): every log line written by every operator the suite ran,
// at debug level, and every Event in the cluster, scanned for secrets.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { API_KEY_SCAN_PATTERN } from "../operator/credentials/api-key.js";
import { CREATED_CREDENTIALS_SUFFIX } from "./authz/support/credentials-created.js";
import { adminClient } from "./support/kube.js";
import { findSecrets, secretPatterns } from "./support/secret-patterns.js";

const logDir = process.env.NEXUS_TEST_LOG_DIR;

async function operatorLogLines(): Promise<Array<{ file: string; line: string }>> {
  if (!logDir) return [];
  const files = (await readdir(logDir)).filter((f) => f.endsWith(".log"));
  const out: Array<{ file: string; line: string }> = [];
  for (const file of files) {
    for (const line of (await readFile(path.join(logDir, file), "utf8")).split("\n")) if (line) out.push({ file, line });
  }
  return out;
}

describe("secrets never leak", () => {
  it("recognises each kind of secret it looks for", () => {
    const samples = [
      "-----BEGIN EC PRIVATE KEY-----",
      '{"data":{"tls.key":"LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0t"}}',
      "authorization: Bearer abcdefghijklmnopqrstuvwxyz012345",
      "token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.sig",
    ];
    for (const sample of samples) expect(findSecrets(sample)).not.toEqual([]);
    expect(findSecrets('{"level":"info","msg":"created Certificate","certificate":"ledger-svid"}')).toEqual([]);
    expect(secretPatterns.length).toBeGreaterThanOrEqual(5);
  });

  it("finds none in any operator log line of this run, at debug level", async (context) => {
    const lines = await operatorLogLines();
    if (lines.length === 0) {
      console.log("secret scan: no operator ran in this run (file run alone), nothing to scan");
      context.skip();
    }
    const debugLines = lines.filter(({ line }) => line.includes('"level":"debug"'));
    const findings = lines.flatMap(({ file, line }) => findSecrets(line).map((kind) => `${file}: ${kind}`));
    console.log(`secret scan: ${lines.length} operator log lines (${debugLines.length} at debug) scanned`);
    expect(findings).toEqual([]);
  });

  // The credential gate's log lines and audit records are in the same folder (authz-*.log).
  it("finds no key or token the tests created, byte for byte, and no API key at all, in any log line or audit record", async (context) => {
    if (!logDir) return context.skip();
    const files = await readdir(logDir);
    const created = new Set<string>();
    for (const file of files.filter((f) => f.endsWith(CREATED_CREDENTIALS_SUFFIX))) {
      for (const line of (await readFile(path.join(logDir, file), "utf8")).split("\n")) if (line) created.add(line);
    }
    if (created.size === 0) {
      console.log("secret scan: no gate test ran in this run, no created credential to look for");
      return context.skip();
    }
    const logs = await Promise.all(files.filter((f) => f.endsWith(".log")).map(async (f) => ({ file: f, bytes: await readFile(path.join(logDir, f)) })));
    const found = logs.flatMap(({ file, bytes }) => [...created].filter((secret) => bytes.includes(Buffer.from(secret, "utf8"))).map(() => file));
    const shaped = logs.flatMap(({ file, bytes }) => (bytes.toString("latin1").match(API_KEY_SCAN_PATTERN) ?? []).map(() => file));
    console.log(`secret scan: ${created.size} created keys and tokens searched in ${logs.length} log and audit files`);
    expect(found).toEqual([]);
    expect(shaped).toEqual([]);
  });

  it("finds none in any Event of the cluster", async () => {
    const client = adminClient(inject("kubeconfig"));
    const events = await client.getRaw<{ items: Array<{ reason?: string; message?: string; involvedObject?: { kind?: string; name?: string } }> }>("/api/v1/events");
    client.close();
    const findings = events.items.flatMap((e) => findSecrets(`${e.reason ?? ""} ${e.message ?? ""}`).map((kind) => `${e.involvedObject?.kind}/${e.involvedObject?.name}: ${kind}`));
    console.log(`secret scan: ${events.items.length} Events scanned`);
    expect(findings).toEqual([]);
  });
});
