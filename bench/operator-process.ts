// The operator binary (dist/main.js) as a child process: its ports from the log line
// "serving probes and metrics", its peak resident memory from /proc, its work queues from
// /metrics, and a graceful stop.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { repoRoot } from "../test/controlplane/binaries.js";
import { chartRuntime, withChartAllocator } from "./chart-runtime.js";

export interface OperatorProcessOptions {
  kubeconfigPath: string;
  concurrency: number;
  logFile: string;
  /** Directory for a V8 CPU profile (node --cpu-prof), written when the process exits. */
  cpuProfileDir?: string;
  /** Directory for a sampling heap profile (node --heap-prof): what is still held when the process exits. */
  heapProfileDir?: string;
  logLevel?: string;
  /** V8's old-space cap (--max-old-space-size); default: the chart's operator.maxHeapMiB. */
  heapCapMiB?: number;
}

export interface MemorySample {
  at: number;
  rssBytes: number;
}

export class OperatorProcess {
  readonly spawnedAt: number;
  private readonly child: ChildProcess;
  private readonly log: WriteStream;
  private metricsPort: number | undefined;
  private portWaiters: Array<() => void> = [];
  private controllersStartedAt: number | undefined;
  private startWaiters: Array<() => void> = [];
  private exited: Promise<number | null>;
  private peakRssBytes = 0;
  private lastRssBytes = 0;
  private readonly sampler: NodeJS.Timeout;
  readonly memory: MemorySample[] = [];

  constructor(options: OperatorProcessOptions) {
    // The chart's settings (NODE_OPTIONS and GLIBC_TUNABLES of the operator's container).
    const runtime = chartRuntime();
    const args = [
      `--max-old-space-size=${options.heapCapMiB ?? runtime.heapCapMiB}`,
      `--max-semi-space-size=${runtime.semiSpaceMiB}`,
      ...(options.cpuProfileDir ? ["--cpu-prof", "--cpu-prof-dir", options.cpuProfileDir] : []),
      ...(options.heapProfileDir ? ["--heap-prof", "--heap-prof-dir", options.heapProfileDir] : []),
      path.join(repoRoot, "dist", "main.js"),
      "--kubeconfig",
      options.kubeconfigPath,
      "--metrics-bind-address",
      "127.0.0.1:0",
      // The benchmark reads its own operator's queues; no scraper to authorize.
      "--metrics-auth",
      "none",
      "--health-probe-bind-address",
      "127.0.0.1:0",
      "--concurrency",
      String(options.concurrency),
      "--log-level",
      options.logLevel ?? "info",
    ];
    this.log = createWriteStream(options.logFile, { flags: "a" });
    this.spawnedAt = performance.now();
    this.child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"], env: withChartAllocator({ ...process.env, NODE_ENV: "production" }, runtime) });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    this.child.stderr!.pipe(this.log, { end: false });
    createInterface(this.child.stdout!).on("line", (line) => {
      this.log.write(`${line}\n`);
      if (this.controllersStartedAt !== undefined) return;
      if (line.includes("serving probes and metrics")) {
        this.metricsPort = (JSON.parse(line) as { metricsPort: number }).metricsPort;
        for (const resolve of this.portWaiters.splice(0)) resolve();
      } else if (line.includes('"controllers started"')) {
        this.controllersStartedAt = performance.now();
        for (const resolve of this.startWaiters.splice(0)) resolve();
      }
    });
    this.sampler = setInterval(() => void this.sampleMemory(), 100);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** performance.now() when the log said the controllers started (caches synced). */
  async controllersStarted(timeoutMs = 300_000): Promise<number> {
    if (this.controllersStartedAt === undefined) {
      await this.waitOrExit(this.startWaiters, timeoutMs, "controllers started");
    }
    return this.controllersStartedAt!;
  }

  /** Peak resident set size so far (VmHWM), in bytes. */
  peakRss(): number {
    return this.peakRssBytes;
  }

  currentRss(): number {
    return this.lastRssBytes;
  }

  async metrics(): Promise<Map<string, number>> {
    if (this.metricsPort === undefined) await this.waitOrExit(this.portWaiters, 120_000, "metrics port");
    const response = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`);
    return parsePrometheus(await response.text());
  }

  /**
   * Waits until no controller has queued work and no reconcile finished for `quietMs`.
   * Resolves with performance.now() of the last reconcile that finished (when work ended).
   */
  async idle(options: { quietMs?: number; timeoutMs?: number; extraQuiet?: () => Promise<number> } = {}): Promise<number> {
    const quietMs = options.quietMs ?? 1500;
    const deadline = performance.now() + (options.timeoutMs ?? 600_000);
    await this.controllersStarted();
    let lastTotal = -1;
    let lastExtra = -1;
    let lastChange = performance.now();
    for (;;) {
      const m = await this.metrics();
      const depth = sumOf(m, "workqueue_depth");
      const total = sumOf(m, "controller_runtime_reconcile_total");
      const extra = options.extraQuiet ? await options.extraQuiet() : 0;
      const now = performance.now();
      if (total !== lastTotal || extra !== lastExtra || depth > 0) {
        lastTotal = total;
        lastExtra = extra;
        lastChange = now;
      } else if (now - lastChange >= quietMs) {
        return lastChange;
      }
      if (now > deadline) throw new Error(`operator not idle within ${(options.timeoutMs ?? 600_000) / 1000}s (queue depth ${depth})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Resolves once the operator's Event queue is empty (nexus_events_pending 0). */
  async eventsDrained(timeoutMs = 120_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (sumOf(await this.metrics(), "nexus_events_pending") > 0) {
      if (performance.now() > deadline) throw new Error(`the operator's Event queue did not drain within ${timeoutMs / 1000}s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** SIGTERM, then waits for a graceful exit (SIGKILL after 30s). Returns the exit code. */
  async stop(): Promise<number | null> {
    await this.sampleMemory();
    clearInterval(this.sampler);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    const killer = setTimeout(() => this.child.kill("SIGKILL"), 30_000);
    const code = await this.exited;
    clearTimeout(killer);
    await new Promise<void>((resolve) => this.log.end(resolve));
    return code;
  }

  private async waitOrExit(waiters: Array<() => void>, timeoutMs: number, what: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => waiters.push(resolve)),
      this.exited.then((code) => {
        throw new Error(`the operator exited (code ${code}) before ${what}; see its log`);
      }),
      new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error(`no "${what}" from the operator within ${timeoutMs / 1000}s`)), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
  }

  private async sampleMemory(): Promise<void> {
    let status: string;
    try {
      status = await readFile(`/proc/${this.child.pid}/status`, "utf8");
    } catch {
      return;
    }
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
    const hwm = kb("VmHWM");
    const rss = kb("VmRSS");
    if (rss === 0) return; // a zombie between exit and reap
    this.lastRssBytes = rss;
    this.peakRssBytes = Math.max(this.peakRssBytes, hwm, rss);
    this.memory.push({ at: performance.now(), rssBytes: rss });
  }
}

/** name{labels} -> value; label sets kept in the key, e.g. workqueue_depth{name="accesspolicy"}. */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

export function sumOf(metrics: Map<string, number>, name: string): number {
  let sum = 0;
  for (const [key, value] of metrics) {
    if (key === name || key.startsWith(`${name}{`)) sum += value;
  }
  return sum;
}
