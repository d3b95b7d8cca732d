// A DataPlaneLookup over a fixed world of Services and waypoints, for tests: the same
// answers detection gives from the cluster, without the cluster.
import type { DataPlaneLookup, RenderedDataPlane, TargetDataPlanes, Waypoint } from "../data-plane.js";

export interface StaticService {
  namespace: string;
  name: string;
  selector: Record<string, string>;
}

export interface StaticWorld {
  forms: readonly RenderedDataPlane[];
  services: readonly StaticService[];
  /** The waypoint of each namespace that has one. */
  waypoints: Readonly<Record<string, Waypoint>>;
}

/**
 * Services of a target: those whose selector selects only the target's pods (it holds every
 * label of the target's selector), or every Service of the namespace for a namespace-wide policy.
 */
export function staticLookup(world: StaticWorld): DataPlaneLookup {
  return {
    forTarget(namespace, selector): TargetDataPlanes {
      const services = world.services
        .filter((s) => s.namespace === namespace && (selector === undefined || Object.entries(selector).every(([k, v]) => s.selector[k] === v)))
        .map((s) => s.name)
        .sort();
      const waypoint = world.waypoints[namespace];
      return {
        forms: world.forms,
        services,
        ...(waypoint ? { waypoint } : { waypointProblem: `namespace ${namespace} has no waypoint: label it istio.io/use-waypoint=<name of a Gateway of class istio-waypoint>` }),
      };
    },
  };
}
