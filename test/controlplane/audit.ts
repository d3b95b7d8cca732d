import { readFile } from "node:fs/promises";

export const WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection"] as const;

/**
 * Audit policy for counting writes: one Metadata-level event per write request, nothing
 * for reads. RequestReceived is omitted so each write yields exactly one event (at
 * ResponseComplete, or Panic). The apiserver's own loopback heartbeats (leases, endpoint
 * reconciliation) are dropped as noise no test is about.
 */
export const AUDIT_POLICY_YAML = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    users: ["system:apiserver"]
  - level: Metadata
    verbs: [${WRITE_VERBS.map((verb) => `"${verb}"`).join(", ")}]
  - level: None
`;

/** The fields of an audit.k8s.io/v1 Event that write-counting tests look at. */
export interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  requestURI: string;
  user: { username: string; groups?: string[] };
  objectRef?: {
    resource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
    apiVersion?: string;
    subresource?: string;
  };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
}

/**
 * Parses the JSON-lines audit log; a missing file means no write has been audited yet. A
 * last line cut short by a write still in progress is left for the next read.
 */
export async function readAuditEvents(auditLogPath: string): Promise<AuditEvent[]> {
  let text: string;
  try {
    text = await readFile(auditLogPath, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const events: AuditEvent[] = [];
  for (const [index, line] of lines.entries()) {
    try {
      events.push(JSON.parse(line) as AuditEvent);
    } catch (err) {
      if (index !== lines.length - 1) throw err;
    }
  }
  return events;
}
