// Runs nexus-authz (operator/authz/main.ts) as its own process, as its Deployment would,
// with its log lines and its audit records kept in the run's log folder, which the secret
// scan reads at the end of the suite.
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { repoRoot } from "../../controlplane/binaries.js";
import { waitFor } from "../../controlplane/wait.js";
import { testLogFile } from "../../support/operator.js";
import { TEST_GATE_SPIFFE_ID } from "./envoy-check-client.js";

export interface GateProcess {
  child: ChildProcess;
  lines: string[];
  grpcAddress: string;
  probePort: number;
  metricsPort: number;
  auditPath: string;
  auditRecords(): Promise<Array<Record<string, unknown>>>;
  waitForLog(message: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

let gates = 0;

export interface GateProcessOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Runs the gate on this CPU only (taskset), as the benchmark does. */
  cpu?: number;
  /** Folder of the audit file; default the run's log folder. */
  auditDir?: string;
  /** Flags for node itself (e.g. --cpu-prof), placed before the entry point. */
  nodeFlags?: string[];
  /** Runs dist/authz/main.js, as the image does, instead of the sources through tsx (build first). */
  compiled?: boolean;
}

export async function startGateProcess(kubeconfig: string, options: GateProcessOptions = {}): Promise<GateProcess> {
  const logDir = process.env.NEXUS_TEST_LOG_DIR ?? path.join(repoRoot, ".cache");
  const auditPath = path.join(options.auditDir ?? logDir, `authz-audit-${process.pid}-${++gates}.log`);
  const nodeArgs = [
    ...(options.nodeFlags ?? []),
    ...(options.compiled ? [path.join(repoRoot, "dist", "authz", "main.js")] : ["--import", "tsx", path.join(repoRoot, "operator", "authz", "main.ts")]),
    `--kubeconfig=${kubeconfig}`,
    "--grpc-bind-address=127.0.0.1:0",
    "--metrics-bind-address=127.0.0.1:0",
    "--health-probe-bind-address=127.0.0.1:0",
    `--audit-log=${auditPath}`,
    "--log-level=debug",
    // As the chart runs it: behind its own sidecar, whose XFCC element names the Check's sender.
    ...((options.args ?? []).some((a) => a.startsWith("--caller-identity")) ? [] : ["--caller-identity=sidecar-xfcc", `--gate-spiffe-id=${TEST_GATE_SPIFFE_ID}`]),
    ...(options.args ?? []),
  ];
  const [command, args] = options.cpu === undefined ? [process.execPath, nodeArgs] : ["taskset", ["-c", String(options.cpu), process.execPath, ...nodeArgs]];
  const child = spawn(command, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env } });
  const lines: string[] = [];
  let partial = "";
  const logFile = testLogFile("authz");
  child.once("exit", () => logFile?.end());
  const collect = (chunk: Buffer) => {
    logFile?.write(chunk);
    const parts = (partial + chunk.toString("utf8")).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts.filter(Boolean));
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exitCode = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const waitForLog = (message: string, timeoutMs = 30_000) =>
    waitFor(
      async () => {
        for (const line of lines) {
          try {
            const parsed = JSON.parse(line) as Record<string, unknown>;
            if (parsed.msg === message) return parsed;
          } catch {
            // not a JSON line
          }
        }
        return undefined;
      },
      { timeoutMs, description: `nexus-authz log "${message}"`, abortIf: () => (child.exitCode !== null ? `nexus-authz exited with ${child.exitCode}: ${lines.slice(-5).join(" | ")}` : undefined) },
    );
  const serving = await waitForLog("serving Check, probes and metrics", 60_000);
  return {
    child,
    lines,
    grpcAddress: `127.0.0.1:${serving.grpcPort as number}`,
    probePort: serving.probePort as number,
    metricsPort: serving.metricsPort as number,
    auditPath,
    auditRecords: async () =>
      (await readFile(auditPath, "utf8").catch(() => ""))
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    waitForLog,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exitCode;
    },
  };
}
