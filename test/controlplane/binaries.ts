import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HarnessError } from "./errors.js";

export interface ControlPlaneBinaries {
  dir: string;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
}

const BINARY_NAMES = ["etcd", "kube-apiserver", "kube-controller-manager"] as const;

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * Finds etcd, kube-apiserver and kube-controller-manager. KUBEBUILDER_ASSETS wins, following
 * the controller-runtime envtest convention, so CI can bring prebuilt binaries; otherwise the
 * repository's build script builds (or finds cached) binaries pinned in hack/versions.env.
 */
export async function resolveControlPlaneBinaries(): Promise<ControlPlaneBinaries> {
  const assets = process.env.KUBEBUILDER_ASSETS;
  const dir = assets ? path.resolve(assets) : await buildControlPlane();
  const missing: string[] = [];
  for (const name of BINARY_NAMES) {
    if (!(await isExecutable(path.join(dir, name)))) missing.push(name);
  }
  if (missing.length > 0) {
    const source = assets ? "KUBEBUILDER_ASSETS" : "hack/build-control-plane.sh output";
    throw new HarnessError(
      `${source} folder ${dir} lacks executable ${missing.join(", ")}; point KUBEBUILDER_ASSETS at a folder holding ${BINARY_NAMES.join(", ")} or unset it to build them`,
    );
  }
  return {
    dir,
    etcd: path.join(dir, "etcd"),
    kubeApiserver: path.join(dir, "kube-apiserver"),
    kubeControllerManager: path.join(dir, "kube-controller-manager"),
  };
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs hack/build-control-plane.sh. Its stderr is progress for a human (a first build takes
 * minutes), so it is passed through as it arrives; its last stderr line is kept because
 * the script ends a failure with the actionable reason.
 */
function buildControlPlane(): Promise<string> {
  const script = path.join(repoRoot, "hack", "build-control-plane.sh");
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [script], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let lastErrorLine = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      process.stderr.write(chunk);
      const lines = chunk.split("\n").filter((line) => line.trim() !== "");
      lastErrorLine = lines.at(-1) ?? lastErrorLine;
    });
    child.on("error", (err) =>
      reject(new HarnessError(`cannot run ${script} (${err.message}); install bash or set KUBEBUILDER_ASSETS`)),
    );
    child.on("close", (code, signal) => {
      const folder = stdout.trim().split("\n").at(-1)?.trim() ?? "";
      if (code === 0 && folder) {
        resolve(folder);
        return;
      }
      const reason = lastErrorLine || `exited with ${signal ?? `code ${code}`}`;
      reject(
        new HarnessError(
          `control plane binaries unavailable: ${reason.replace(/^control plane build failed: /, "")}` +
            (/KUBEBUILDER_ASSETS/.test(reason) ? "" : " (install Go 1.26+ or set KUBEBUILDER_ASSETS)"),
        ),
      );
    });
  });
}
