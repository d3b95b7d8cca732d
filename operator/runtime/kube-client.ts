// A small REST client for the few verbs the operator needs (get, list, server-side apply,
// status apply, delete, create), over one keep-alive connection pool. Errors carry the
// apiserver's Status reason and message, never the request body, so no secret can leak
// into a log line through an error.
import type { ClientRequest, IncomingMessage } from "node:http";
import https from "node:https";
import { FIELD_MANAGER } from "../render/metadata.js";
import type { ClusterAccess } from "./cluster-access.js";
import { splitLines } from "./line-splitter.js";
import type { WriteObserver } from "./own-writes.js";
import { collectionPath, objectPath, resourceOf, type ResourceType } from "./resources.js";

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** A response reduced to metadata (meta.k8s.io/v1 PartialObjectMetadata). */
export interface ObjectMetadataOnly {
  apiVersion: string;
  kind: string;
  metadata: KubeObject["metadata"];
}

// Asks for PartialObjectMetadata, and plain JSON from an apiserver that cannot transform.
const METADATA_ONLY = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json";

export interface KubeList<T> {
  items: T[];
  metadata: { resourceVersion?: string; continue?: string };
}

export class KubeApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = "KubeApiError";
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.statusCode === 404;
}

export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.statusCode === 409;
}

export interface RequestCounter {
  (verb: string): void;
}

/** One event of a watch stream, as the apiserver sends it. */
export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

export interface WatchRequest {
  /** Collection path, as collectionPath() makes it. */
  path: string;
  resourceVersion: string;
  labelSelector?: string;
  /** The Accept header; metadata-only watches ask for PartialObjectMetadata. */
  accept?: string;
  /** Called once the apiserver has answered 200, before the first event. */
  onConnected?: () => void;
  onEvent: (event: WatchEvent) => void;
  signal: AbortSignal;
}

// Credentials are applied again after this long, so a rotated token file is used.
const CREDENTIALS_REFRESH_MS = 60_000;
// The apiserver ends a watch after timeoutSeconds; a random length in this range keeps the
// watches of many kinds from being renewed all at once. A watch that stays silent past its
// length plus the grace is treated as a dead connection.
const WATCH_SECONDS_MIN = 300;
const WATCH_SECONDS_SPREAD = 300;
const WATCH_SILENCE_GRACE_MS = 30_000;
// Objects per list page. A page is held whole (text and parsed) while it is read; after an
// apiserver restart every cache lists again beside what it holds, and pages of 500 rendered
// AuthorizationPolicies (1.5-2 MB of JSON each at 10,000 policies) set the operator's peak.
const LIST_PAGE_SIZE = 250;

export class KubeClient {
  private readonly agent: https.Agent;
  // Watches hold their connection for minutes: they get a pool of their own, so they never
  // take a socket that reads and writes are waiting for.
  private readonly watchAgent: https.Agent;
  private readonly server: URL;
  private tlsOptions: https.RequestOptions = {};
  private ready: Promise<void>;
  private credentialsLoadedAt = 0;
  private closed = false;
  private readonly inFlight = new Set<ClientRequest>();

  constructor(
    private readonly access: ClusterAccess,
    options: { maxSockets?: number; onRequest?: RequestCounter; writes?: WriteObserver } = {},
  ) {
    const cluster = access.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig names no current cluster");
    this.server = new URL(cluster.server);
    this.agent = new https.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 32 });
    this.watchAgent = new https.Agent({ keepAlive: true, keepAliveMsecs: 30_000 });
    this.onRequest = options.onRequest;
    this.writes = options.writes;
    this.ready = this.loadCredentials();
  }

  private readonly onRequest: RequestCounter | undefined;
  /** Told of each apply sent and the uid and resourceVersion it produced (own-writes.ts). */
  private readonly writes: WriteObserver | undefined;

  private async loadCredentials(): Promise<void> {
    const opts: https.RequestOptions = {};
    await this.access.applyToHTTPSOptions(opts);
    this.tlsOptions = opts;
    this.credentialsLoadedAt = Date.now();
  }

  private async credentials(): Promise<void> {
    await this.ready;
    if (Date.now() - this.credentialsLoadedAt >= CREDENTIALS_REFRESH_MS) {
      // Stamped first, so a burst of requests starts one refresh, not one each.
      this.credentialsLoadedAt = Date.now();
      this.ready = this.loadCredentials();
      await this.ready;
    }
  }

  async get<T extends KubeObject>(type: ResourceType, name: string, namespace?: string): Promise<T> {
    return this.request<T>("GET", objectPath(type, name, namespace));
  }

  /** The object, or undefined when there is none (404); any other failure throws. */
  async getIfExists<T extends KubeObject>(type: ResourceType, name: string, namespace?: string): Promise<T | undefined> {
    try {
      return await this.get<T>(type, name, namespace);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Every object of a collection, in pages of LIST_PAGE_SIZE. eachItem sees each object as its page
   * arrives, so a cache can slim it before the next page is read rather than holding the
   * whole collection at full size; an object it returns is listed in the item's place (a
   * cache's own copy of the same version, so the page's copy is garbage at once).
   */
  async list<T extends KubeObject>(type: ResourceType, namespace?: string, labelSelector?: string, eachItem?: (item: T) => T | void): Promise<KubeList<T>> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const query = new URLSearchParams({ limit: String(LIST_PAGE_SIZE) });
      if (continueToken) query.set("continue", continueToken);
      if (labelSelector) query.set("labelSelector", labelSelector);
      const page = await this.request<KubeList<T>>("GET", `${collectionPath(type, namespace)}?${query}`);
      const kind = type.kind;
      for (const item of page.items ?? []) {
        // Items of a list carry no apiVersion and kind of their own.
        item.apiVersion = type.apiVersion;
        item.kind = kind;
        items.push(eachItem?.(item) ?? item);
      }
      continueToken = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion;
    } while (continueToken);
    return { items, metadata: { resourceVersion } };
  }

  /**
   * Server-side apply of the whole object with the operator's one field manager. Answers
   * with the object's metadata only: nobody reads the rest, and encoding whole objects
   * into responses is a fair share of what a write costs the apiserver.
   */
  async apply(desired: KubeObject): Promise<ObjectMetadataOnly> {
    const type = resourceOf(desired.apiVersion, desired.kind);
    const path = objectPath(type, desired.metadata.name, desired.metadata.namespace);
    return this.observed(desired, () => this.request("PATCH", `${path}?fieldManager=${FIELD_MANAGER}&force=true`, desired, "application/apply-patch+yaml", METADATA_ONLY));
  }

  /** Server-side apply of the status subresource; answers with metadata only, as apply does. */
  async applyStatus(object: KubeObject, status: unknown): Promise<ObjectMetadataOnly> {
    const type = resourceOf(object.apiVersion, object.kind);
    const path = objectPath(type, object.metadata.name, object.metadata.namespace);
    const body = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      metadata: { name: object.metadata.name, namespace: object.metadata.namespace },
      status,
    };
    return this.observed(object, () => this.request("PATCH", `${path}/status?fieldManager=${FIELD_MANAGER}&force=true`, body, "application/apply-patch+yaml", METADATA_ONLY));
  }

  /** A write the observer is told of when it starts and when it ends, however it ends. */
  private async observed(target: KubeObject, write: () => Promise<ObjectMetadataOnly>): Promise<ObjectMetadataOnly> {
    const done = this.writes?.started(target);
    let response: ObjectMetadataOnly | undefined;
    try {
      response = await write();
      return response;
    } finally {
      done?.(response?.metadata);
    }
  }

  /** A full update guarded by metadata.resourceVersion: it fails with 409 if the object changed. */
  async update<T extends KubeObject>(object: KubeObject): Promise<T> {
    const type = resourceOf(object.apiVersion, object.kind);
    return this.request<T>("PUT", objectPath(type, object.metadata.name, object.metadata.namespace), object);
  }

  /**
   * Replaces the object's spec whole, as the operator's field manager, guarded by the
   * resourceVersion it was read at (409 if it changed since). A JSON patch rather than an
   * update: the chart grants the operator patch on what it writes, not update.
   */
  async replaceSpec<T extends KubeObject>(type: ResourceType, name: string, namespace: string | undefined, resourceVersion: string, spec: unknown): Promise<T> {
    const patch = [
      { op: "replace", path: "/metadata/resourceVersion", value: resourceVersion },
      { op: "add", path: "/spec", value: spec },
    ];
    return this.request<T>("PATCH", `${objectPath(type, name, namespace)}?fieldManager=${FIELD_MANAGER}`, patch, "application/json-patch+json");
  }

  /** A JSON merge patch, as `kubectl patch --type merge` sends it. */
  async mergePatch<T extends KubeObject>(
    type: ResourceType,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    fieldManager: string,
    subresource?: "status",
  ): Promise<T> {
    const path = `${objectPath(type, name, namespace)}${subresource ? `/${subresource}` : ""}`;
    return this.request<T>("PATCH", `${path}?fieldManager=${encodeURIComponent(fieldManager)}`, patch, "application/merge-patch+json");
  }

  async create<T extends KubeObject>(object: KubeObject): Promise<T> {
    const type = resourceOf(object.apiVersion, object.kind);
    return this.request<T>("POST", collectionPath(type, object.metadata.namespace), object);
  }

  /** A POST to a path of the caller's; signal ends the request early (on shutdown). */
  async createRaw<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>("POST", path, body, "application/json", "application/json", signal);
  }

  /** Deletes only the object with the given uid, so a newer object of the same name survives. */
  async delete(type: ResourceType, name: string, namespace?: string, uid?: string): Promise<void> {
    const body = { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: "Background", ...(uid ? { preconditions: { uid } } : {}) };
    try {
      await this.request("DELETE", objectPath(type, name, namespace), body);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async getRaw<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  /**
   * Watches a collection from resourceVersion until the apiserver ends the stream (resolves)
   * or it fails (rejects with a KubeApiError: the HTTP status of a refused watch, 0 for a
   * broken connection). Aborting the signal ends it at once and resolves.
   */
  async watch(request: WatchRequest): Promise<void> {
    await this.credentials();
    if (this.closed) throw new KubeApiError(0, "ClientClosed", `watch ${request.path}: the client was closed`);
    if (request.signal.aborted) return;
    const seconds = WATCH_SECONDS_MIN + Math.floor(Math.random() * WATCH_SECONDS_SPREAD);
    const query = new URLSearchParams({ watch: "true", allowWatchBookmarks: "true", timeoutSeconds: String(seconds) });
    if (request.resourceVersion) query.set("resourceVersion", request.resourceVersion);
    if (request.labelSelector) query.set("labelSelector", request.labelSelector);
    const what = `watch ${request.path}`;
    return new Promise<void>((resolve, reject) => {
      const state = { settled: false };
      const finish = (err?: KubeApiError) => {
        if (state.settled) return;
        state.settled = true;
        request.signal.removeEventListener("abort", onAbort);
        if (err && !request.signal.aborted) reject(err);
        else resolve();
      };
      let response: IncomingMessage | undefined;
      const req = https.request(
        {
          ...this.tlsOptions,
          agent: this.watchAgent,
          method: "GET",
          protocol: this.server.protocol,
          hostname: this.server.hostname,
          port: this.server.port,
          path: `${this.server.pathname.replace(/\/$/, "")}${request.path}?${query}`,
          headers: { ...(this.tlsOptions.headers ?? {}), accept: request.accept ?? "application/json" },
        },
        (res) => {
          response = res;
          readWatchStream(res, request, what, state, finish);
        },
      );
      this.inFlight.add(req);
      const onAbort = () => req.destroy();
      request.signal.addEventListener("abort", onAbort, { once: true });
      req.once("close", () => {
        this.inFlight.delete(req);
        if (response?.complete) finish();
        else finish(new KubeApiError(0, "ConnectionFailed", `${what}: the connection closed`));
      });
      req.on("error", (err) => finish(new KubeApiError(0, "ConnectionFailed", `${what}: ${err.message}`)));
      req.setTimeout(seconds * 1000 + WATCH_SILENCE_GRACE_MS, () => req.destroy(new Error("no data past the watch's timeout")));
      req.end();
    });
  }

  /** Ends every request and watch in flight (they fail with ClientClosed) and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const req of this.inFlight) req.destroy(new Error("the client was closed"));
    this.inFlight.clear();
    this.agent.destroy();
    this.watchAgent.destroy();
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json",
    accept = "application/json",
    signal?: AbortSignal,
  ): Promise<T> {
    await this.credentials();
    if (this.closed) throw new KubeApiError(0, "ClientClosed", `${method} ${path}: the client was closed`);
    if (signal?.aborted) throw new KubeApiError(0, "Aborted", `${method} ${path}: aborted`);
    this.onRequest?.(method);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = https.request(
        {
          ...this.tlsOptions,
          agent: this.agent,
          method,
          protocol: this.server.protocol,
          hostname: this.server.hostname,
          port: this.server.port,
          path: `${this.server.pathname.replace(/\/$/, "")}${path}`,
          headers: {
            ...(this.tlsOptions.headers ?? {}),
            accept,
            ...(payload === undefined ? {} : { "content-type": contentType, "content-length": Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          // Decoded as it arrives: the socket's buffers go at once rather than being kept,
          // and copied once more, until the last byte of a list page of megabytes is in.
          res.setEncoding("utf8");
          let text = "";
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              try {
                resolve((text ? JSON.parse(text) : undefined) as T);
              } catch {
                reject(new KubeApiError(status, "BadResponse", `${method} ${path}: response is not JSON`));
              }
              return;
            }
            reject(toApiError(method, path, status, text));
          });
          res.on("error", reject);
        },
      );
      this.inFlight.add(req);
      const onAbort = () => req.destroy(new Error("aborted"));
      signal?.addEventListener("abort", onAbort, { once: true });
      req.once("close", () => {
        this.inFlight.delete(req);
        signal?.removeEventListener("abort", onAbort);
      });
      req.on("error", (err) => reject(new KubeApiError(0, "ConnectionFailed", `${method} ${path}: ${err.message}`)));
      req.setTimeout(60_000, () => req.destroy(new Error("request timed out after 60s")));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }
}

function toApiError(method: string, path: string, status: number, text: string): KubeApiError {
  let reason = "Unknown";
  let message = `${method} ${path}: HTTP ${status}`;
  try {
    const parsed = JSON.parse(text) as { reason?: string; message?: string };
    reason = parsed.reason ?? reason;
    if (parsed.message) message = `${method} ${path}: ${parsed.message}`;
  } catch {
    // Not a Status object; the HTTP code alone is all we report.
  }
  return new KubeApiError(status, reason, message);
}

function readWatchStream(res: IncomingMessage, request: WatchRequest, what: string, state: { settled: boolean }, finish: (err?: KubeApiError) => void): void {
  const status = res.statusCode ?? 0;
  if (status !== 200) {
    const chunks: Buffer[] = [];
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    res.on("end", () => finish(toApiError("GET", what, status, Buffer.concat(chunks).toString("utf8"))));
    res.on("error", () => finish(new KubeApiError(status, "ConnectionFailed", `${what}: HTTP ${status}`)));
    return;
  }
  request.onConnected?.();
  const fail = (err: KubeApiError) => {
    finish(err);
    res.destroy();
  };
  const feed = splitLines((line) => {
    if (state.settled || request.signal.aborted) return;
    let event: WatchEvent;
    try {
      event = JSON.parse(line) as WatchEvent;
    } catch {
      fail(new KubeApiError(0, "BadResponse", `${what}: an event is not JSON`));
      return;
    }
    if (event.type === "ERROR") {
      // In the stream, an expired resourceVersion comes as an ERROR event with code 410.
      const code = event.object?.code ?? 0;
      fail(new KubeApiError(code, event.object?.reason ?? "Unknown", `${what}: ${event.object?.message ?? `error event ${code}`}`));
      return;
    }
    try {
      request.onEvent(event);
    } catch (err) {
      // A handler's failure ends the watch like any other (the informer logs it and starts
      // again with backoff) instead of escaping from the socket's data event.
      fail(new KubeApiError(0, "HandlerFailed", `${what}: handling a ${event.type} event failed: ${(err as Error)?.message ?? String(err)}`));
    }
  });
  res.on("data", feed);
  // The apiserver ended the watch (its timeout): the caller watches again from where it was.
  res.on("end", () => finish());
  res.on("error", (err) => finish(new KubeApiError(0, "ConnectionFailed", `${what}: ${err.message}`)));
}
