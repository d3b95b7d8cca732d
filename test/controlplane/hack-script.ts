import { spawn } from "node:child_process";
import path from "node:path";
import { repoRoot } from "./binaries.js";
import { HarnessError } from "./errors.js";

/**
 * Runs one of the hack/ scripts that build or fetch something: their stderr is progress for
 * a person (a first build takes minutes) and is passed through as it arrives, their stdout
 * is the result, one item per line. A failure is reported with the script's last stderr
 * line, where the scripts put the actionable reason.
 */
export function runHackScript(name: string, failurePrefix = `hack/${name} failed`): Promise<string[]> {
  const script = path.join(repoRoot, "hack", name);
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [script], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let lastErrorLine = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      process.stderr.write(chunk);
      lastErrorLine = chunk.split("\n").filter((line) => line.trim() !== "").at(-1) ?? lastErrorLine;
    });
    child.on("error", (err) => reject(new HarnessError(`cannot run ${script}: ${err.message}`)));
    child.on("close", (code, signal) => {
      const lines = stdout.split("\n").map((line) => line.trim()).filter((line) => line !== "");
      if (code === 0 && lines.length > 0) resolve(lines);
      else reject(new HarnessError(`${failurePrefix}: ${lastErrorLine || `exited with ${signal ?? `code ${code}`}`}`));
    });
  });
}
