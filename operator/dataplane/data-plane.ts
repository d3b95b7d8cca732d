// Which data plane enforces a target's policy, as the renderer and the evaluator need it
// (api.md "Data planes: sidecar, ambient, proxyless gRPC"). The operator answers from its
// caches of namespaces, Services and waypoint Gateways (detect.ts); the CLI from manifests or a
// flag. The renderer only ever sees this interface, so it stays pure.

/** sidecar: selector-bound policy enforced by the pod's Envoy (proxyless gRPC renders the same). ambient: ztunnel (L4) + waypoint (L7). */
export type RenderedDataPlane = "sidecar" | "ambient";

/** What the evaluator and the CLI model; proxyless gRPC differs from sidecar only in what istiod's gRPC generator keeps. */
export type DataPlane = RenderedDataPlane | "grpc";

export const DATA_PLANES: readonly DataPlane[] = ["sidecar", "ambient", "grpc"];

export interface Waypoint {
  namespace: string;
  /** The Gateway of class istio-waypoint. */
  name: string;
  /** Its SPIFFE principal as Istio matches it (no spiffe:// prefix): <td>/ns/<namespace>/sa/<serviceAccount>. */
  principal: string;
}

export interface TargetDataPlanes {
  /**
   * The forms to render, sorted. ["sidecar"] for most; ["ambient"] for an ambient namespace;
   * both while a namespace migrates (labelled for ambient and for sidecar injection).
   */
  forms: readonly RenderedDataPlane[];
  /** For ambient: the waypoint that serves every Service of the target, when one does. */
  waypoint?: Waypoint;
  /** Names of the Services of the target's namespace whose selector the target's selector satisfies, sorted. */
  services: readonly string[];
  /**
   * For ambient without a usable waypoint: what is missing, in words a user can act on
   * (which label to set on which object), for the WaypointRequired condition and Event.
   */
  waypointProblem?: string;
}

export interface DataPlaneLookup {
  /** The data planes of a target: a namespace-wide policy has no selector. */
  forTarget(namespace: string, selector: Readonly<Record<string, string>> | undefined): TargetDataPlanes;
}

const SIDECAR: TargetDataPlanes = Object.freeze({ forms: Object.freeze(["sidecar"] as const), services: Object.freeze([]) });

/** Every target on sidecars: what the operator rendered before data planes were detected, and the CLI's default without cluster facts. */
export const sidecarEverywhere: DataPlaneLookup = { forTarget: () => SIDECAR };
