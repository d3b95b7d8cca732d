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

export function createLogger(level = "info", destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { component: "nexus-operator" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactedPaths, censor: "[REDACTED]" },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
