// The credential gate benchmark's open-loop client: sends the CheckRequest it reads on
// standard input (JSON) to ADDRESS at RATE per second for SECONDS, whatever the answers, and
// prints the latency of each as JSON. A process of its own in plain JavaScript with a small
// heap: the benchmark process holds the control plane's client and the closed-loop results,
// and its pauses showed up as the tail of whatever server it measured.
// XFCC, when given, is sent as the x-forwarded-client-cert of every call, as the gate's
// sidecar adds it.
//   node bench/authz-fixed-rate-client.mjs ADDRESS RATE SECONDS [XFCC] < request.json
import { credentials, Metadata } from "@grpc/grpc-js";
import { authorizationService } from "../dist/authz/protos.js";

const [address, rate, seconds, xfcc] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), process.argv[5]];
const message = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.setEncoding("utf8").on("data", (chunk) => (text += chunk)).on("end", () => resolve(text));
}));
const Service = authorizationService();
const client = new Service(address, credentials.createInsecure());
const metadata = new Metadata();
if (xfcc) metadata.set("x-forwarded-client-cert", xfcc);
const check = () => new Promise((resolve, reject) => client.Check(message, metadata, (err, res) => (err ? reject(err) : resolve(res))));

// 200 for OK, else the denied answer's HTTP status as the service definition renders it.
const statusOf = (res) => ((res.status?.code ?? 0) === 0 ? 200 : res.denied_response?.status?.code);
// Warm-up, closed loop: the JIT of both sides compiles the path before anything is timed.
for (let i = 0; i < 2_000; i++) await check();
const latencies = new Float64Array(Math.ceil(rate * seconds) + rate);
const statuses = {};
let answered = 0;
let sent = 0;
const pending = [];
const began = performance.now();
while (performance.now() - began < seconds * 1000) {
  const due = Math.floor(((performance.now() - began) / 1000) * rate);
  for (; sent < due; sent++) {
    const started = performance.now();
    pending.push(
      check().then((res) => {
        latencies[answered++] = performance.now() - started;
        const status = statusOf(res);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }),
    );
  }
  // A timer, not a loop of setImmediate: a client that spins holds a core the server needs.
  await new Promise((resolve) => setTimeout(resolve, 1));
}
await Promise.all(pending);
const elapsed = performance.now() - began;
client.close();
process.stdout.write(`${JSON.stringify({ latencies: Array.from(latencies.subarray(0, answered)), statuses, elapsedMs: elapsed })}\n`);
