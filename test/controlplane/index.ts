/**
 * A real, throwaway Kubernetes control plane for integration tests and the demo: etcd,
 * kube-apiserver (TLS, RBAC, TokenRequest, optional write audit log) and a
 * kube-controller-manager running only garbage collection and namespace deletion.
 *
 *   const cp = await startControlPlane({ auditLog: true });
 *   await applyManifests(cp.kubeconfigPath, await readYamlFiles(await findYamlFiles("crds")));
 *   const alice = await cp.mintUserKubeconfig("alice", ["team-a"]);
 *   await cp.stop();
 *
 * Test files get the shared instance from test/global-setup.ts through inject("kubeconfig")
 * and credentialsFor(inject("controlPlane")). NEXUS_KEEP_CONTROL_PLANE=1 keeps its temp dir
 * (component logs included) after stop().
 */
export { startControlPlane, type ControlPlane, type ControlPlaneOptions } from "./control-plane.js";
export { credentialsFor, type ControlPlaneConnection, type ControlPlaneCredentials } from "./credentials.js";
export { resolveControlPlaneBinaries, type ControlPlaneBinaries } from "./binaries.js";
export {
  applyManifests,
  findYamlFiles,
  parseYamlDocuments,
  readYamlFiles,
  waitForCrdsEstablished,
  TEST_FIELD_MANAGER,
} from "./crds.js";
export { serverSideApply } from "./server-side-apply.js";
export { readAuditEvents, WRITE_VERBS, type AuditEvent } from "./audit.js";
export { waitFor, type WaitOptions } from "./wait.js";
export { HarnessError } from "./errors.js";
