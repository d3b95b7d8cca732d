// Values the global setup hands to every test file through vitest's provide/inject.
declare module "vitest" {
  export interface ProvidedContext {
    /** Admin kubeconfig (system:masters) of the shared control plane. */
    kubeconfig: string;
    /** Audit log of the shared control plane: one Metadata-level JSON event per write. */
    auditLogPath: string;
    /** Pass to credentialsFor() to mint user and ServiceAccount kubeconfigs. */
    controlPlane: import("./controlplane/credentials.js").ControlPlaneConnection;
  }
}

export {};
