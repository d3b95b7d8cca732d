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
