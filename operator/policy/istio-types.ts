// The part of Istio's security.istio.io API the renderer writes, and the objects it
// returns. Narrower than the @kubernetes-models/istio types on purpose: these are exactly
// the fields NEXUS sets, so the evaluator can read them without guessing.
import type { V1OwnerReference } from "@kubernetes/client-node";

/** Real Istio serves all three kinds at v1; the models package only has PeerAuthentication at v1beta1. */
export const ISTIO_SECURITY_API_VERSION = "security.istio.io/v1";

export interface WorkloadSelectorSpec {
  matchLabels: Record<string, string>;
}

export interface IstioSource {
  principals?: string[];
  namespaces?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
}

export interface IstioOperation {
  methods?: string[];
  paths?: string[];
  ports?: string[];
}

export interface IstioCondition {
  key: string;
  /** Only in what ztunnel enforces for an ambient target: `source.principal` not its waypoint. */
  notValues?: string[];
  values?: string[];
}

export interface IstioRule {
  from?: Array<{ source: IstioSource }>;
  to?: Array<{ operation: IstioOperation }>;
  when?: IstioCondition[];
}

export type IstioAction = "ALLOW" | "DENY" | "AUDIT" | "CUSTOM";

/**
 * A waypoint's binding (ambient targets): the target's Services, kind Service in the core
 * group. Istio refuses targetRefs together with a selector.
 */
export interface PolicyTargetReference {
  group: "";
  kind: "Service";
  name: string;
}

export interface AuthorizationPolicySpec {
  selector?: WorkloadSelectorSpec;
  targetRefs?: PolicyTargetReference[];
  action?: IstioAction;
  /** With action CUSTOM: the mesh extension provider (meshConfig.extensionProviders) that decides. */
  provider?: { name: string };
  rules?: IstioRule[];
}

export interface PeerAuthenticationSpec {
  selector?: WorkloadSelectorSpec;
  mtls: { mode: "STRICT" | "PERMISSIVE" };
}

export interface IstioJwtRule {
  issuer: string;
  jwksUri?: string;
  jwks?: string;
  audiences?: string[];
  fromHeaders?: Array<{ name: string; prefix?: string }>;
  forwardOriginalToken?: boolean;
}

export interface RequestAuthenticationSpec {
  selector?: WorkloadSelectorSpec;
  targetRefs?: PolicyTargetReference[];
  jwtRules: IstioJwtRule[];
}

// Type aliases rather than interfaces so the objects stay assignable to the runtime's
// KubeObject, whose metadata has an index signature.
export type RenderedMetadata = {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: V1OwnerReference[];
};

type Rendered<Kind extends string, Spec> = {
  apiVersion: typeof ISTIO_SECURITY_API_VERSION;
  kind: Kind;
  metadata: RenderedMetadata;
  spec: Spec;
};

export type RenderedAuthorizationPolicy = Rendered<"AuthorizationPolicy", AuthorizationPolicySpec>;
export type RenderedPeerAuthentication = Rendered<"PeerAuthentication", PeerAuthenticationSpec>;
export type RenderedRequestAuthentication = Rendered<"RequestAuthentication", RequestAuthenticationSpec>;
export type RenderedObject = RenderedAuthorizationPolicy | RenderedPeerAuthentication | RenderedRequestAuthentication;

type KindNameSpec<O extends RenderedObject> = { kind: O["kind"]; name: string; spec: O["spec"] };

/** A rendered kind, name and spec before metadata is attached; what the policy hash covers. */
export type RenderedSpec =
  | KindNameSpec<RenderedAuthorizationPolicy>
  | KindNameSpec<RenderedPeerAuthentication>
  | KindNameSpec<RenderedRequestAuthentication>;
