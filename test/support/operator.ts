// Runs the real operator in-process against a test apiserver, with its log lines kept in
// memory so tests can assert on them (and scan them for secrets).
import { createWriteStream } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { KubeConfig } from "@kubernetes/client-node";
import { defaultRenderConfig, type RenderConfig } from "../../operator/config.js";
import { Operator } from "../../operator/manager.js";
import { createLogger } from "../../operator/runtime/logger.js";

export interface TestOperator {
  operator: Operator;
  logLines: string[];
  requests: Map<string, number>;
  stop(): Promise<void>;
}

export async function startTestOperator(
  kubeconfigPath: string,
  options: { render?: Partial<RenderConfig>; logLevel?: string; concurrency?: number } = {},
): Promise<TestOperator> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const logLines: string[] = [];
  const logFile = testLogFile("in-process");
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      logFile?.write(chunk);
      if (process.env.NEXUS_TEST_OPERATOR_LOGS) process.stderr.write(chunk);
      done();
    },
  });
  const requests = new Map<string, number>();
  const operator = new Operator({
    kubeConfig,
    render: { ...defaultRenderConfig, ...options.render },
    log: createLogger(options.logLevel ?? "debug", sink),
    concurrency: options.concurrency ?? 4,
    onRequest: (verb) => requests.set(verb, (requests.get(verb) ?? 0) + 1),
  });
  await operator.start();
  return {
    operator,
    logLines,
    requests,
    stop: async () => {
      await operator.stop();
      logFile?.end();
    },
  };
}

let logFiles = 0;

/** A file in the run's operator log folder, which the secret scan reads at the end. */
export function testLogFile(kind: string): ReturnType<typeof createWriteStream> | undefined {
  const dir = process.env.NEXUS_TEST_LOG_DIR;
  if (!dir) return undefined;
  return createWriteStream(path.join(dir, `${kind}-${process.pid}-${++logFiles}.log`), { flags: "a" });
}
