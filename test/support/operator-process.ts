// Runs the operator binary (operator/main.ts) as a child process, as a Deployment would,
// with its JSON log lines collected for assertions.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { repoRoot } from "../controlplane/binaries.js";
import { waitFor } from "../controlplane/wait.js";
import { testLogFile } from "./operator.js";

export interface OperatorProcess {
  child: ChildProcess;
  lines: string[];
  exitCode: Promise<number | null>;
  waitForLog(message: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

export function startOperatorProcess(args: string[]): OperatorProcess {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "operator", "main.ts"), ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let partial = "";
  const logFile = testLogFile("process");
  child.once("exit", () => logFile?.end());
  const collect = (chunk: Buffer) => {
    logFile?.write(chunk);
    const text = partial + chunk.toString("utf8");
    const parts = text.split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts.filter(Boolean));
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exitCode = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    lines,
    exitCode,
    waitForLog: (message, timeoutMs = 30_000) =>
      waitFor(
        async () => {
          for (const line of lines) {
            try {
              const parsed = JSON.parse(line) as Record<string, unknown>;
              if (parsed.msg === message) return parsed;
            } catch {
              // not a JSON log line (e.g. a start-up error); ignored here
            }
          }
          return undefined;
        },
        { timeoutMs, description: `operator log "${message}"`, abortIf: () => (child.exitCode !== null ? `operator exited with ${child.exitCode}: ${lines.slice(-5).join(" | ")}` : undefined) },
      ),
    kill: async (signal) => {
      if (child.exitCode === null) child.kill(signal);
      return exitCode;
    },
  };
}
