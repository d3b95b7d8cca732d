// Namespaces, Services and Gateway API Gateways among the manifests: facts, never rendered.
// A Namespace's labels carry its tenant and its data plane; Services and waypoint Gateways tell
// which waypoint serves a target (api.md "Data planes"), read as the operator reads them from
// the cluster (operator/dataplane/detect.ts). Only what is read is checked, but that strictly:
// a label of the wrong shape would silently change the answer.
import { gatewayFactsOf, serviceFactsOf, type GatewayFacts, type ServiceFacts } from "../dataplane/detect.js";
import { UsageError } from "./exit-codes.js";
import type { SourceDocument } from "./input.js";

export const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

export function isServiceDocument(object: Record<string, unknown>): boolean {
  return object.kind === "Service" && object.apiVersion === "v1";
}

export function isGatewayDocument(object: Record<string, unknown>): boolean {
  return object.kind === "Gateway" && typeof object.apiVersion === "string" && object.apiVersion.startsWith(`${GATEWAY_API_GROUP}/`);
}

export interface NamespacedFacts<T> {
  namespace: string;
  facts: T;
}

export function namespaceOf(doc: SourceDocument, where: string): { name: string; labels: Record<string, string> } {
  const { name, labels } = metadataOf(doc, "Namespace", where, "");
  return { name, labels };
}

export function serviceOf(doc: SourceDocument, where: string, defaultNamespace: string): NamespacedFacts<ServiceFacts> {
  const { name, namespace, labels } = metadataOf(doc, "Service", where, defaultNamespace);
  const spec = mappingOrAbsent(doc.object.spec, `${where}: Service ${namespace}/${name}: spec`);
  const selector = spec?.selector === undefined || spec.selector === null ? undefined : strings(spec.selector, `${where}: Service ${namespace}/${name}: spec.selector`);
  return { namespace, facts: serviceFactsOf({ metadata: { name, labels }, ...(selector ? { spec: { selector } } : {}) }) };
}

export function gatewayOf(doc: SourceDocument, where: string, defaultNamespace: string): NamespacedFacts<GatewayFacts> {
  const { name, namespace, labels, annotations } = metadataOf(doc, "Gateway", where, defaultNamespace);
  const spec = mappingOrAbsent(doc.object.spec, `${where}: Gateway ${namespace}/${name}: spec`);
  const gatewayClassName = spec?.gatewayClassName;
  if (typeof gatewayClassName !== "string" || gatewayClassName === "") throw new UsageError(`${where}: Gateway ${namespace}/${name}: spec.gatewayClassName is required, a non-empty string`);
  return { namespace, facts: gatewayFactsOf({ metadata: { name, namespace, labels, annotations }, spec: { gatewayClassName } }) };
}

function metadataOf(doc: SourceDocument, kind: string, where: string, defaultNamespace: string) {
  const metadata = mappingOrAbsent(doc.object.metadata, `${where}: ${kind} metadata`) ?? {};
  if (typeof metadata.name !== "string" || metadata.name === "") throw new UsageError(`${where}: ${kind} has no metadata.name`);
  const name = metadata.name;
  const namespace = typeof metadata.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : defaultNamespace;
  const id = kind === "Namespace" ? name : `${namespace}/${name}`;
  const labels = metadata.labels === undefined || metadata.labels === null ? {} : strings(metadata.labels, `${where}: ${kind} ${id}: metadata.labels`);
  const annotations = metadata.annotations === undefined || metadata.annotations === null ? {} : strings(metadata.annotations, `${where}: ${kind} ${id}: metadata.annotations`);
  return { name, namespace, labels, annotations };
}

function mappingOrAbsent(value: unknown, at: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw new UsageError(`${at} must be a mapping`);
  return value as Record<string, unknown>;
}

function strings(value: unknown, at: string): Record<string, string> {
  const mapping = mappingOrAbsent(value, at) ?? {};
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(mapping)) {
    if (typeof item !== "string") throw new UsageError(`${at}: ${key} must be a string`);
    out[key] = item;
  }
  return out;
}
