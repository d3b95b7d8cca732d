// The two NEXUS kinds as whole Kubernetes objects; spec and status types are generated
// from the CRD schemas (generated.ts), so this file only adds the object envelope.
import type { V1ObjectMeta } from "@kubernetes/client-node";
import type {
  AccessPolicySpec,
  AccessSource,
  AuthenticationSpec,
  AccessPolicyStatus,
  EngineIdentitySpec,
  EngineIdentityStatus,
} from "./generated.js";

export * from "./generated.js";

/** authentication.apiKeys: the API keys the credential gate accepts. */
export type ApiKeysSpec = NonNullable<AuthenticationSpec["apiKeys"]>;
/** One declared API key (only its SHA-256 is stored). */
export type ApiKeyDeclaration = ApiKeysSpec["keys"][number];
/** rules[].from[].apiKey: one key by id, or every key of a tenant. */
export type ApiKeySource = NonNullable<AccessSource["apiKey"]>;

export const API_GROUP = "security.nexus.io";
export const API_VERSION = "v1alpha1";

export interface EngineIdentity {
  apiVersion: "security.nexus.io/v1alpha1";
  kind: "EngineIdentity";
  metadata: V1ObjectMeta & { name: string; namespace: string };
  spec: EngineIdentitySpec;
  status?: EngineIdentityStatus;
}

export interface AccessPolicy {
  apiVersion: "security.nexus.io/v1alpha1";
  kind: "AccessPolicy";
  metadata: V1ObjectMeta & { name: string; namespace: string };
  spec: AccessPolicySpec;
  status?: AccessPolicyStatus;
}
