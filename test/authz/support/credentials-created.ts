// Every key and token the gate tests create, written to the run's log folder so that the
// secret scan can search the gate's logs and audit records for each one, byte for byte.
import { appendFileSync } from "node:fs";
import path from "node:path";

export const CREATED_CREDENTIALS_SUFFIX = ".credentials";

export function rememberCreated(...credentials: string[]): void {
  const dir = process.env.NEXUS_TEST_LOG_DIR;
  if (!dir) return;
  appendFileSync(path.join(dir, `authz-${process.pid}${CREATED_CREDENTIALS_SUFFIX}`), credentials.map((c) => `${c}\n`).join(""));
}
