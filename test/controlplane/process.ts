import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * One control plane binary. Output goes straight to a log file descriptor rather than
 * through Node streams, so a busy or paused test runner can never stall a chatty apiserver
 * on a full pipe, and the log is there to quote when a start fails.
 */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exitInfo: ExitInfo | undefined;
  private exitPromise: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });

  constructor(
    readonly name: string,
    private readonly binary: string,
    private args: readonly string[],
    readonly logPath: string,
    private readonly onPidsChanged: () => void,
  ) {}

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  /** Set once the process has exited; readiness loops check it to fail fast. */
  get exited(): ExitInfo | undefined {
    return this.exitInfo;
  }

  setArgs(args: readonly string[]): void {
    this.args = args;
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    const log = openSync(this.logPath, "a");
    try {
      const child = spawn(this.binary, this.args, { stdio: ["ignore", log, log] });
      this.child = child;
      this.exitInfo = undefined;
      this.exitPromise = new Promise((resolve) => {
        const settle = (info: ExitInfo) => {
          if (this.child === child && this.exitInfo === undefined) this.exitInfo = info;
          resolve(info);
        };
        child.once("exit", (code, signal) => settle({ code, signal }));
        // A spawn failure (missing binary, no exec permission) emits "error" without "exit".
        child.once("error", () => settle({ code: null, signal: null }));
      });
    } finally {
      closeSync(log);
    }
    this.onPidsChanged();
  }

  /** SIGTERM for a clean shutdown, SIGKILL if it has not exited within the grace period. */
  async stop(graceMs = 5_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    try {
      await this.exitPromise;
    } finally {
      clearTimeout(timer);
      this.onPidsChanged();
    }
  }

  /** For exit hooks, which cannot wait: the kernel finishes the job after we are gone. */
  killNow(): void {
    if (this.running) this.child?.kill("SIGKILL");
  }

  describeExit(): string {
    const info = this.exitInfo;
    if (!info) return `${this.name} is running`;
    if (info.signal) return `${this.name} was killed by ${info.signal}`;
    if (info.code === null) return `${this.name} could not be started (${this.binary})`;
    return `${this.name} exited with code ${info.code}`;
  }

  tail(lines = 20): string {
    try {
      return readFileSync(this.logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }
}
