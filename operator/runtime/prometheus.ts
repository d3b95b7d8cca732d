// The parts of prom-client that the operator and the gate use, each loaded from its own file.
// The package's index also loads the Summary (with its t-digest), the Pushgateway (an HTTP
// client) and the cluster aggregator (Node.js's cluster module): 1 MB of heap in a bare
// process that neither the operator nor the gate uses and every full collection marks
// again (the gate's p99, README; less in the gate, which loads part of it anyway).
// These are the classes the index exports, from the files it takes them from.
import { createRequire } from "node:module";
import type * as PromClient from "prom-client";

const load = createRequire(import.meta.url);

export const Registry = load("prom-client/lib/registry") as typeof PromClient.Registry;
export type Registry = PromClient.Registry;
export const Counter = load("prom-client/lib/counter") as typeof PromClient.Counter;
export type Counter<T extends string = string> = PromClient.Counter<T>;
export const Gauge = load("prom-client/lib/gauge") as typeof PromClient.Gauge;
export type Gauge<T extends string = string> = PromClient.Gauge<T>;
export const Histogram = load("prom-client/lib/histogram") as typeof PromClient.Histogram;
export type Histogram<T extends string = string> = PromClient.Histogram<T>;
export const collectDefaultMetrics = load("prom-client/lib/defaultMetrics") as typeof PromClient.collectDefaultMetrics;
