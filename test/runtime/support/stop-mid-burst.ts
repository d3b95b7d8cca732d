// A process that runs the operator, stops it while Events are still queued and being
// sent, and then does nothing: Node exits by itself only if stop() ended every timer,
// socket and stream the operator started. It prints what it saw after stop() for the test.
import { writeSync } from "node:fs";
import { Writable } from "node:stream";
import { KubeConfig } from "@kubernetes/client-node";
import { defaultRenderConfig } from "../../../operator/config.js";
import { Operator } from "../../../operator/manager.js";
import { KubeClient } from "../../../operator/runtime/kube-client.js";
import { createLogger } from "../../../operator/runtime/logger.js";

const [kubeconfigPath, namespace, countText] = process.argv.slice(2) as [string, string, string];
const identities = Number(countText);
let stopped = false;
const after = { logLines: 0, requests: 0 };
const report = (line: string) => writeSync(1, `${line}\n`);

const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    if (stopped) after.logLines += chunk.toString("utf8").split("\n").filter(Boolean).length;
    done();
  },
});
const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(kubeconfigPath);
const operator = new Operator({
  kubeConfig,
  render: defaultRenderConfig,
  log: createLogger("debug", sink),
  concurrency: 4,
  // A slow trickle, so Events are queued and one is in flight when stop() comes.
  eventRateLimit: { perSecond: 2, burst: 20 },
  onRequest: () => {
    if (stopped) after.requests++;
  },
});
await operator.start();
const client = new KubeClient(kubeConfig);
for (let i = 0; i < identities; i++) {
  await client.create({ apiVersion: "security.nexus.io/v1alpha1", kind: "EngineIdentity", metadata: { name: `engine-${i}`, namespace }, spec: {} });
}
client.close();
const deadline = Date.now() + 60_000;
while (operator.events.pending < 5 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
report(`pending-at-stop ${operator.events.pending}`);
await operator.stop();
stopped = true;
report("stopped");
// Whatever still runs shows up here and in the counters, printed when the process exits.
process.once("exit", () => report(`after-stop ${JSON.stringify(after)}`));
// The process's own stdio pipes are not the operator's. Sampled one loop turn later: a socket
// whose request stop() aborted is destroyed at once, but libuv releases its handle only in the
// close phase, which follows the first check phase; a socket still open would still be listed.
// Immediates queued by those closes run once and keep nothing alive (the exit check covers
// anything that would loop); timers, sockets and servers are what must be gone.
const lingering = () => process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap" && r !== "PipeWrap" && r !== "Immediate");
setImmediate(() => setImmediate(() => report(`active-resources ${JSON.stringify(lingering())}`)));
