import { access } from "node:fs/promises";
import path from "node:path";
import { repoRoot } from "./binaries.js";
import { runHackScript } from "./hack-script.js";

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
  return runHackScript("third-party-crds.sh");
}
