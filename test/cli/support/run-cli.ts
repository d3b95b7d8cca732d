// Runs `nexus` for a test: in-process through runCli (fast, same code path as the binary
// after argument parsing) or as the real process through bin/nexus.mjs.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "../../../operator/cli/main.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const nexusBin = path.join(repoRoot, "bin", "nexus.mjs");

export async function nexus(args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv; tty?: boolean } = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    out: (text) => void (stdout += text),
    err: (text) => void (stderr += text),
    readStdin: async () => options.stdin ?? "",
    env: options.env ?? {},
    stdoutIsTTY: options.tty ?? false,
  });
  return { code, stdout, stderr };
}

export function nexusProcess(args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [nexusBin, ...args], { cwd: options.cwd ?? repoRoot, env: { ...process.env, ...options.env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}
