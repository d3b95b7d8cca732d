// The credential gate benchmark's floor: a bare envoy.service.auth.v3.Authorization server
// answering OK to every Check, with the gate's own gRPC server options and service
// definition. Plain JavaScript on the compiled dist/ (the benchmark builds it first), so
// that it runs as the gate does: without tsx. Prints {"port": N} once it listens.
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { CHECK_SERVER_OPTIONS } from "../dist/authz/check-server.js";
import { authorizationServiceDefinition } from "../dist/authz/protos.js";

const server = new Server(CHECK_SERVER_OPTIONS);
server.addService(authorizationServiceDefinition(), { Check: (_call, callback) => callback(null, { status: { code: 0 }, ok_response: {} }) });
server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
process.on("SIGTERM", () => process.exit(0));
