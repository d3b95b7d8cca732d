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

export function authorizationServiceDefinition(): ServiceDefinition {
  return authorizationService().service;
}
