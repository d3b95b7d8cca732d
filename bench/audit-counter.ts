// Counts the write requests one user made, from the apiserver's audit log (one Metadata
// event per write, see test/controlplane/audit.ts), between two marks.
import { open, stat } from "node:fs/promises";
import type { AuditEvent } from "../test/controlplane/index.js";

export interface WriteCount {
  total: number;
  /** "verb resource[/subresource]" -> count, e.g. "patch accesspolicies/status". */
  byKind: Record<string, number>;
  /** Responses that were not 2xx. */
  failed: number;
}

export class AuditCounter {
  constructor(
    private readonly auditLogPath: string,
    private readonly user: string,
  ) {}

  /** The current end of the log: count from here with writesSince. */
  async mark(): Promise<number> {
    try {
      return (await stat(this.auditLogPath)).size;
    } catch {
      return 0;
    }
  }

  /** Writes by the user from `from` (a mark) to the log's current end. */
  async writesSince(from: number): Promise<WriteCount> {
    const count: WriteCount = { total: 0, byKind: {}, failed: 0 };
    let file;
    try {
      file = await open(this.auditLogPath, "r");
    } catch {
      return count;
    }
    try {
      const size = (await file.stat()).size;
      // The apiserver may have rotated or restarted the file; never read before its start.
      let position = from <= size ? from : 0;
      let rest = "";
      const chunk = Buffer.alloc(4 << 20);
      while (position < size) {
        const { bytesRead } = await file.read(chunk, 0, Math.min(chunk.length, size - position), position);
        if (bytesRead === 0) break;
        position += bytesRead;
        const lines = (rest + chunk.toString("utf8", 0, bytesRead)).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) this.add(count, line);
      }
      this.add(count, rest);
    } finally {
      await file.close();
    }
    return count;
  }

  private add(count: WriteCount, line: string): void {
    if (!line.includes(this.user)) return;
    let event: AuditEvent;
    try {
      event = JSON.parse(line) as AuditEvent;
    } catch {
      return;
    }
    if (event.user?.username !== this.user || event.stage === "RequestReceived") return;
    const resource = `${event.objectRef?.resource ?? "?"}${event.objectRef?.subresource ? `/${event.objectRef.subresource}` : ""}`;
    const key = `${event.verb} ${resource}`;
    count.byKind[key] = (count.byKind[key] ?? 0) + 1;
    count.total++;
    const code = event.responseStatus?.code ?? 0;
    if (code < 200 || code >= 300) count.failed++;
  }
}

export interface WriteSplit {
  /** Writes of objects (rendered objects, ServiceAccounts, Certificates), not status. */
  objects: number;
  status: number;
  events: number;
}

/** Object writes, status writes and Event creates apart ("patch accesspolicies/status", "create events"). */
export function splitWrites(count: WriteCount): WriteSplit {
  const split: WriteSplit = { objects: 0, status: 0, events: 0 };
  for (const [kind, n] of Object.entries(count.byKind)) {
    if (kind.endsWith("/status")) split.status += n;
    else if (kind.endsWith(" events")) split.events += n;
    else split.objects += n;
  }
  return split;
}
