// The benchmark's and the tests' way into the gate process as the product runs it: the gate
// is started with node's own --inspect=127.0.0.1:0 (a loopback port of that run only; no
// flag, endpoint or signal handler of the product's), and this client speaks the Chrome
// DevTools Protocol to it: a full collection, then the process's memory as it reports it.
// A collection from the outside is the only way to read "memory after a full GC" without
// adding a GC trigger to the product.

export interface GateMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

interface Pending {
  resolve: (result: Record<string, unknown>) => void;
  reject: (err: Error) => void;
}

/** The inspector's WebSocket address from node's "Debugger listening on ws://..." line (stderr). */
export function inspectorUrlOf(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    const match = /Debugger listening on (ws:\/\/\S+)/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

export class GateInspector {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
      if (message.id === undefined) return;
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.error) waiting.reject(new Error(`inspector: ${message.error.message}`));
      else waiting.resolve(message.result ?? {});
    });
    socket.addEventListener("close", () => {
      for (const waiting of this.pending.values()) waiting.reject(new Error("inspector connection closed"));
      this.pending.clear();
    });
  }

  static async connect(url: string): Promise<GateInspector> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new Error(`cannot connect to the gate's inspector at ${url}`)), { once: true });
    });
    return new GateInspector(socket);
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /**
   * Collects all garbage (V8's "all available garbage": twice, weak references included,
   * as under memory pressure), then reads process.memoryUsage() inside the gate.
   */
  async memoryAfterFullGc(): Promise<GateMemory> {
    await this.call("HeapProfiler.collectGarbage");
    await this.call("HeapProfiler.collectGarbage");
    // Pages freed by the collection are handed back to the system in the background.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { result } = (await this.call("Runtime.evaluate", { expression: "JSON.stringify(process.memoryUsage())", returnByValue: true })) as { result: { value: string } };
    return JSON.parse(result.value) as GateMemory;
  }

  close(): void {
    this.socket.close();
  }
}
