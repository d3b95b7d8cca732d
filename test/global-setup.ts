import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { repoRoot } from "./controlplane/binaries.js";
import { type ControlPlane, startControlPlane } from "./controlplane/control-plane.js";
import { applyManifests, findYamlFiles, readYamlFiles } from "./controlplane/crds.js";
import { thirdPartyCrdFiles } from "./controlplane/third-party-crds.js";

/**
 * One control plane for the whole run: starting an apiserver per file would cost seconds
 * each. Tests isolate themselves by namespace. Our CRDs and the third-party CRDs the
 * operator consumes are installed up front, so tests can assume their kinds exist.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  // The third-party script resolves Go modules; it runs while the control plane starts.
  const thirdPartyFiles = thirdPartyCrdFiles();
  thirdPartyFiles.catch(() => {}); // Observed below; this only keeps an early failure from going unhandled.
  let controlPlane: ControlPlane;
  try {
    controlPlane = await startControlPlane({ auditLog: true });
  } catch (err) {
    await thirdPartyFiles.catch(() => {});
    throw err;
  }
  try {
    const ready = Date.now();
    const crdFiles = await findYamlFiles(path.join(repoRoot, "crds"));
    const thirdParty = await thirdPartyFiles;
    if (thirdParty === undefined) {
      console.error("[global-setup] hack/third-party-crds.sh not found; third-party CRDs not installed");
    }
    const documents = await readYamlFiles([...crdFiles, ...(thirdParty ?? [])]);
    const crdNames = await applyManifests(controlPlane.kubeconfigPath, documents);
    if (crdNames.length > 0) {
      // The garbage collector learns about new kinds on a 30s rediscovery cycle; a restart
      // makes ownerReference GC of custom resources effective from the first test.
      await controlPlane.restartControllerManager();
    }
    console.error(
      `[global-setup] control plane ready in ${((ready - started) / 1000).toFixed(1)}s at ${controlPlane.server}; ` +
        `${crdNames.length} CRDs established in ${((Date.now() - ready) / 1000).toFixed(1)}s`,
    );
  } catch (err) {
    await controlPlane.stop();
    throw err;
  }

  project.provide("kubeconfig", controlPlane.kubeconfigPath);
  project.provide("auditLogPath", controlPlane.auditLogPath!);
  project.provide("controlPlane", controlPlane.connection);
  // For processes the tests spawn (the operator binary, kubectl), which cannot inject().
  process.env.NEXUS_TEST_KUBECONFIG = controlPlane.kubeconfigPath;
  // Every operator the tests run writes its log here; the last test file scans it all.
  process.env.NEXUS_TEST_LOG_DIR = path.join(controlPlane.tempDir, "operator-logs");
  await mkdir(process.env.NEXUS_TEST_LOG_DIR, { recursive: true });

  return () => controlPlane.stop();
}
