// JSON logs with pino. Redaction is a second line of defence: the code never puts key
// material, tokens or Secret data in a log call, and these paths censor them if it did.
import pino, { type Logger } from "pino";

export const redactedPaths = [
  "*.privateKey",
  "*.token",
  "*.password",
  "*.authorization",
  "*.Authorization",
  "*.data",
  "*.stringData",
  "*.jwks",
  "*.headers.authorization",
  '*["tls.key"]',
];

/**
 * Standard output, written in the background in blocks of a few kilobytes and at least
 * every quarter second: one system call per line costs more CPU than the reconciles that
 * log when thousands of objects are written. flushSync() on the way out loses nothing.
 */
export function bufferedStdout(): pino.DestinationStream & { flushSync(): void } {
  return pino.destination({ dest: 1, sync: false, minLength: 8 * 1024, periodicFlush: 250 });
}

/** `component` names the process in every line, once (a child logger adding it again would repeat the key). */
export function createLogger(level = "info", destination?: pino.DestinationStream, component = "nexus-operator"): Logger {
  return pino(
    {
      level,
      base: { component },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactedPaths, censor: "[REDACTED]" },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
