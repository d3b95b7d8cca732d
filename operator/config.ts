// Operator settings that change what is rendered. Runtime settings (addresses, log level,
// concurrency) live with the runtime; the renderers only ever see this.
import type { IssuerReference } from "./api/types.js";

export interface RenderConfig {
  /** SPIFFE trust domain of the mesh, e.g. cluster.local. */
  trustDomain: string;
  /** Issuer for EngineIdentities that name none. */
  defaultIssuer: Required<IssuerReference>;
  /** Size budget of one rendered AuthorizationPolicy in bytes of JSON; default SHARD_BUDGET_BYTES (tests set it small). */
  shardBudgetBytes?: number;
}

export const defaultRenderConfig: RenderConfig = {
  trustDomain: "cluster.local",
  defaultIssuer: { name: "nexus-ca", kind: "ClusterIssuer", group: "cert-manager.io" },
};
