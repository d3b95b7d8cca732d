// The real kubectl, built from its Go module at the control plane's version
// (hack/build-kubectl.sh, cached outside the repository), for the tests of what a person
// types and reads: short names, categories, printer columns.
import { execFile } from "node:child_process";
import path from "node:path";
import { runHackScript } from "../controlplane/hack-script.js";

/** `make test` builds kubectl before any test runs; a bare vitest run may still build it here. */
export const KUBECTL_BUILD_TIMEOUT_MS = 15 * 60_000;

let built: Promise<string> | undefined;

export function kubectlBinary(): Promise<string> {
  built ??= runHackScript("build-kubectl.sh").then((lines) => path.join(lines.at(-1) as string, "kubectl"));
  return built;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function kubectl(kubeconfig: string, args: string[]): Promise<KubectlResult> {
  const binary = await kubectlBinary();
  return new Promise((resolve) => {
    // A cache folder of its own, so discovery is read from this apiserver and nothing else.
    const env = { PATH: process.env.PATH ?? "", HOME: path.dirname(kubeconfig), KUBECONFIG: kubeconfig, KUBECACHEDIR: path.join(path.dirname(kubeconfig), "kubectl-cache") };
    execFile(binary, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
