import { spawn } from "node:child_process";
import { access } from "node:fs/promises";
import path from "node:path";
import { repoRoot } from "./binaries.js";
import { HarnessError } from "./errors.js";

/**
 * The CRD files that hack/third-party-crds.sh prints (cert-manager, Istio, ...), one
 * absolute path per line. Undefined when the script does not exist, so callers can skip.
 * Its stderr is progress (it may fetch Go modules) and is passed through.
 */
export async function thirdPartyCrdFiles(): Promise<string[] | undefined> {
  const script = path.join(repoRoot, "hack", "third-party-crds.sh");
  try {
    await access(script);
  } catch {
    return undefined;
  }
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [script], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let lastErrorLine = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      process.stderr.write(chunk);
      lastErrorLine =
        chunk
          .split("\n")
          .filter((line) => line.trim() !== "")
          .at(-1) ?? lastErrorLine;
    });
    child.on("error", (err) => reject(new HarnessError(`cannot run ${script}: ${err.message}`)));
    child.on("close", (code, signal) => {
      if (code === 0) {
        resolve(
          stdout
            .split("\n")
            .map((line) => line.trim())
            .filter((line) => line !== ""),
        );
      } else {
        const reason = lastErrorLine || `exited with ${signal ?? `code ${code}`}`;
        reject(new HarnessError(`hack/third-party-crds.sh failed: ${reason}`));
      }
    });
  });
}
