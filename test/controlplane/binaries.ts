import { constants } from "node:fs";
import { access } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HarnessError } from "./errors.js";
import { runHackScript } from "./hack-script.js";

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

/** Builds (or finds cached) binaries with hack/build-control-plane.sh; its last line is the folder. */
async function buildControlPlane(): Promise<string> {
  try {
    return (await runHackScript("build-control-plane.sh")).at(-1) as string;
  } catch (err) {
    const reason = (err as Error).message.replace(/^hack\/build-control-plane\.sh failed: (control plane build failed: )?/, "");
    throw new HarnessError(
      `control plane binaries unavailable: ${reason}` + (/KUBEBUILDER_ASSETS/.test(reason) ? "" : " (install Go 1.26+ or set KUBEBUILDER_ASSETS)"),
    );
  }
}
