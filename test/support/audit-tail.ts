// Reads the write requests audited from a mark on, so a test counts only the writes of its
// own window without parsing the whole run's log again each time.
import { open, stat } from "node:fs/promises";
import type { AuditEvent } from "../controlplane/audit.js";

export class AuditTail {
  constructor(private readonly auditLogPath: string) {}

  /** The current end of the log. */
  async mark(): Promise<number> {
    try {
      return (await stat(this.auditLogPath)).size;
    } catch {
      return 0;
    }
  }

  /** Audited writes from `from` (a mark) on, by `user` when given. A cut-off last line waits for the next read. */
  async since(from: number, user?: string): Promise<AuditEvent[]> {
    let file;
    try {
      file = await open(this.auditLogPath, "r");
    } catch {
      return [];
    }
    try {
      const size = (await file.stat()).size;
      if (size <= from) return [];
      const buffer = Buffer.alloc(size - from);
      await file.read(buffer, 0, buffer.length, from);
      const events: AuditEvent[] = [];
      for (const line of buffer.toString("utf8").split("\n")) {
        if (line === "" || (user !== undefined && !line.includes(user))) continue;
        let event: AuditEvent;
        try {
          event = JSON.parse(line) as AuditEvent;
        } catch {
          continue;
        }
        if (user === undefined || event.user?.username === user) events.push(event);
      }
      return events;
    } finally {
      await file.close();
    }
  }
}

/** "verb resource[/subresource]" -> count, e.g. "patch authorizationpolicies": 3. */
export function countByKind(events: readonly AuditEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of events) {
    const key = `${e.verb} ${e.objectRef?.resource ?? "?"}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ""}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
