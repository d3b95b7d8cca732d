// The credential gate benchmark's open-loop client: sends the CheckRequest it reads on
// standard input (JSON) at RATE per second for SECONDS to each of ADDRESSES (comma-separated),
// whatever the answers, and prints the latency of each as JSON, one result per address. A
// process of its own in plain JavaScript with a small heap: the benchmark process holds the
// control plane's client and the closed-loop results, and its pauses showed up as the tail of
// whatever server it measured.
// With more than one address the targets take turns in slices of SLICE_MS: each gets its
// SECONDS in slices spread over the whole run, so that a stall of the shared machine (tens of
// milliseconds, a few times a minute) falls on any of them alike, rather than on whichever
// had the whole window in which it came.
// XFCC, when given, is sent as the x-forwarded-client-cert of every call, as the gate's
// sidecar adds it.
//   node bench/authz-fixed-rate-client.mjs ADDRESSES RATE SECONDS SLICE_MS [XFCC] < request.json
import { credentials, Metadata } from "@grpc/grpc-js";
import { authorizationService } from "../dist/authz/protos.js";

const [addresses, rate, seconds, sliceMs, xfcc] = [process.argv[2].split(","), Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5]), process.argv[6]];
const message = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.setEncoding("utf8").on("data", (chunk) => (text += chunk)).on("end", () => resolve(text));
}));
const Service = authorizationService();
const metadata = new Metadata();
if (xfcc) metadata.set("x-forwarded-client-cert", xfcc);
const targets = addresses.map((address) => {
  const client = new Service(address, credentials.createInsecure());
  return {
    client,
    check: () => new Promise((resolve, reject) => client.Check(message, metadata, (err, res) => (err ? reject(err) : resolve(res)))),
    latencies: new Float64Array(Math.ceil(rate * seconds) + rate),
    answered: 0,
    statuses: {},
    elapsedMs: 0,
  };
});

// 200 for OK, else the denied answer's HTTP status as the service definition renders it.
const statusOf = (res) => ((res.status?.code ?? 0) === 0 ? 200 : res.denied_response?.status?.code);
// Warm-up, closed loop: the JIT of both sides compiles the path before anything is timed.
for (const target of targets) for (let i = 0; i < 2_000; i++) await target.check();
const pending = [];
const slices = targets.length === 1 ? 1 : Math.max(1, Math.round((seconds * 1000) / sliceMs));
const sliceLength = (seconds * 1000) / slices;
for (let slice = 0; slice < slices; slice++) {
  for (const target of targets) {
    let sent = 0;
    const began = performance.now();
    while (performance.now() - began < sliceLength) {
      const due = Math.floor(((performance.now() - began) / 1000) * rate);
      for (; sent < due; sent++) {
        const started = performance.now();
        pending.push(
          target.check().then((res) => {
            target.latencies[target.answered++] = performance.now() - started;
            const status = statusOf(res);
            target.statuses[status] = (target.statuses[status] ?? 0) + 1;
          }),
        );
      }
      // A timer, not a loop of setImmediate: a client that spins holds a core the server needs.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    target.elapsedMs += performance.now() - began;
  }
}
await Promise.all(pending);
for (const target of targets) target.client.close();
const results = targets.map((t) => ({ latencies: Array.from(t.latencies.subarray(0, t.answered)), statuses: t.statuses, elapsedMs: t.elapsedMs }));
process.stdout.write(`${JSON.stringify({ results })}\n`);
