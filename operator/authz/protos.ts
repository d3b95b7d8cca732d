// Envoy's ext_authz API (envoy.service.auth.v3), loaded from the protos that ship in the
// pinned @grpc/grpc-js-xds package (deps/envoy-api, xds, googleapis, protoc-gen-validate).
import { createRequire } from "node:module";
import path from "node:path";
import { loadPackageDefinition, type ServiceClientConstructor, type ServiceDefinition } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

const AUTHORIZATION_PROTO = "envoy/service/auth/v3/external_auth.proto";

function depsDirectory(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
}

let loaded: ServiceClientConstructor | undefined;

/** The Authorization service's client constructor, whose .service is the server definition. */
export function authorizationService(): ServiceClientConstructor {
  if (loaded) return loaded;
  const deps = depsDirectory();
  const definition = loadSync(AUTHORIZATION_PROTO, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
    includeDirs: ["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => path.join(deps, d)),
  });
  const root = loadPackageDefinition(definition) as unknown as { envoy: { service: { auth: { v3: { Authorization: ServiceClientConstructor } } } } };
  loaded = root.envoy.service.auth.v3.Authorization;
  return loaded;
}

let serverDefinition: ServiceDefinition | undefined;

/**
 * The service definition a server adds: as loaded, except that a Check's answer may be
 * given already encoded (the gate's are: answer-encoding.ts), and is then sent as it is.
 */
export function authorizationServiceDefinition(): ServiceDefinition {
  if (serverDefinition) return serverDefinition;
  const service = authorizationService().service;
  const check = service.Check!;
  const encode = check.responseSerialize;
  serverDefinition = { ...service, Check: { ...check, responseSerialize: (value: unknown) => (Buffer.isBuffer(value) ? value : encode(value)) } };
  return serverDefinition;
}

/** A CheckResponse (proto field names, as checkResponseOf builds it) as its bytes on the wire. */
export function encodeCheckResponse(response: Record<string, unknown>): Buffer {
  return authorizationService().service.Check!.responseSerialize(response);
}
