// A waypoint as Istio's docs have users declare one: a Gateway of class istio-waypoint with
// the HBONE listener, for Service traffic. Istio runs its pods as the service account of the
// Gateway's name, so its identity is <td>/ns/<namespace>/sa/<name>.
import type { KubeObject } from "../../operator/runtime/kube-client.js";

export function waypointGateway(namespace: string, name: string): KubeObject {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name, namespace, labels: { "istio.io/waypoint-for": "service" } },
    spec: { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] },
  };
}
