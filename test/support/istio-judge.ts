// Istio's own code as a judge of what the operator renders: the Go program in
// hack/istio-judge (built and cached by hack/build-istio-judge.sh from istio.io/istio at the
// pin in hack/versions.env) answers one JSON request per line on stdin with one JSON
// answer per line on stdout. One process serves a whole test file; requests are answered
// in order.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { runHackScript } from "../controlplane/hack-script.js";

/** A cold build compiles a large part of Istio (minutes on two cores); `make test` builds it first. */
export const ISTIO_JUDGE_BUILD_TIMEOUT_MS = 30 * 60_000;

export interface JudgeWorkload {
  namespace: string;
  labels: Record<string, string>;
}

export interface ObjectValidation {
  kind: string;
  namespace: string;
  name: string;
  /** istiod's admission errors; the object would be refused. */
  errors: string[];
  /** istiod's admission warnings; the object is accepted and the warning shown to the user. */
  warnings: string[];
}

/** One Envoy filter as istiod generates it: its name and its typed config in protobuf JSON ("@type" names the message). */
export interface EnvoyFilter {
  name: string;
  config: { "@type": string; [field: string]: unknown };
}

export interface Translation {
  /** The sidecar's inbound HTTP filters: CUSTOM (RBAC in shadow mode + ext_authz), then AUDIT, DENY, ALLOW. */
  http: EnvoyFilter[];
  tcp: EnvoyFilter[];
  /** The policies istiod selects for the workload, by action, as namespace/name. */
  selected: Record<"CUSTOM" | "DENY" | "ALLOW" | "AUDIT", string[]>;
}

export interface TranslateOptions {
  workload: JudgeWorkload;
  /** istiod's mesh config (JSON form), applied over Istio's defaults. */
  meshConfig?: Record<string, unknown>;
  /** Services that exist in the mesh registry (an ext_authz provider must name one). */
  services?: Array<{ hostname: string; namespace: string }>;
  trustDomain?: string;
}

export interface EngineCall {
  /** Istio peer principal, `<td>/ns/<ns>/sa/<sa>`: the URI SAN of the caller's client certificate. */
  principal: string;
  workload: JudgeWorkload;
  /** A gRPC path, `/<service>/<method>`; the method is always POST. */
  path: string;
  port: number;
  headers?: Record<string, string>;
}

export interface EngineVerdict {
  allowed: boolean;
  /** gRPC status code name: OK or PermissionDenied. */
  code: string;
  /** grpc-go's RBAC message, naming the deny policy that matched. */
  message: string;
}

interface Pending {
  resolve: (answer: Record<string, unknown>) => void;
  reject: (err: Error) => void;
}

let built: Promise<string> | undefined;

/** Path of the judge binary: the folder hack/build-istio-judge.sh prints last, plus istio-judge. */
export function istioJudgeBinary(): Promise<string> {
  built ??= runHackScript("build-istio-judge.sh").then((lines) => path.join(lines.at(-1) as string, "istio-judge"));
  return built;
}

export class IstioJudge {
  private readonly pending: Pending[] = [];
  private stderrTail: string[] = [];
  private exited: Error | undefined;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on("line", (line) => {
      const waiting = this.pending.shift();
      if (!waiting) return;
      try {
        waiting.resolve(JSON.parse(line) as Record<string, unknown>);
      } catch (err) {
        waiting.reject(new Error(`istio judge answered with something that is not JSON: ${line.slice(0, 200)} (${(err as Error).message})`));
      }
    });
    createInterface({ input: child.stderr }).on("line", (line) => {
      this.stderrTail = [...this.stderrTail.slice(-19), line];
    });
    child.on("exit", (code, signal) => {
      this.exited = new Error(`istio judge exited (${signal ?? `code ${code}`}); last stderr lines:\n${this.stderrTail.join("\n")}`);
      for (const waiting of this.pending.splice(0)) waiting.reject(this.exited);
    });
  }

  static async start(): Promise<IstioJudge> {
    const binary = await istioJudgeBinary();
    const child = spawn(binary, [], { stdio: ["pipe", "pipe", "pipe"] });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (err) => reject(new Error(`cannot run the istio judge ${binary}: ${err.message}`)));
    });
    return new IstioJudge(child);
  }

  /** istiod's admission validation of each object, on its own. */
  async validate(objects: readonly object[]): Promise<ObjectValidation[]> {
    const answer = await this.ask({ op: "validate", objects });
    return answer.results as ObjectValidation[];
  }

  /** The authorization filters istiod generates for a sidecar of the workload. */
  async translate(objects: readonly object[], options: TranslateOptions): Promise<Translation> {
    const answer = await this.ask({ op: "translate", objects, ...options });
    return { http: answer.http as EnvoyFilter[], tcp: answer.tcp as EnvoyFilter[], selected: answer.selected as Translation["selected"] };
  }

  /**
   * Each call's verdict by grpc-go enforcing istiod's proxyless gRPC output over mTLS, with
   * exactly these AuthorizationPolicies in the mesh (they replace those of the previous
   * request). `ports` names every port calls and policies use; it is fixed by the first call.
   */
  async enforce(objects: readonly object[], calls: readonly EngineCall[], ports: readonly number[]): Promise<EngineVerdict[]> {
    const answer = await this.ask({ op: "enforce", objects, calls, ports });
    return answer.verdicts as EngineVerdict[];
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }

  private ask(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      this.pending.push({
        resolve: (answer) => (answer.ok === true ? resolve(answer) : reject(new Error(`istio judge refused ${String(request.op)}: ${String(answer.error)}`))),
        reject,
      });
      this.child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }
}
