import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Keeps a crashed or interrupted test runner from leaving etcd, the apiserver and their
 * temp dir behind. Two layers:
 *  - in-process exit and signal hooks, which cover normal exits, uncaught errors and
 *    Ctrl-C / SIGTERM from vitest;
 *  - a detached watchdog shell holding the read end of a pipe from this process, which
 *    sees EOF when this process dies for any reason, SIGKILL included, and then kills the
 *    pids recorded in the temp dir and removes it.
 */
export interface OrphanGuard {
  /** Records the live child pids where the watchdog can read them. */
  recordPids(pids: readonly number[]): void;
  /** Normal shutdown done (temp dir removed or deliberately kept): stop watching. */
  release(): void;
}

const PIDS_FILE = "pids";
const cleanups = new Set<() => void>();
let hooksInstalled = false;

function runCleanups(): void {
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // Best effort while the process is going down; nothing useful can be reported.
    }
  }
  cleanups.clear();
}

function installProcessHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", runCleanups);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      runCleanups();
      // Our listener replaced the default "terminate" action; restore it unless someone
      // else (vitest) has taken responsibility for exiting.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

const WATCHDOG_SCRIPT = `
trap '' INT HUP TERM
dir=$1
while read -r _; do :; done
[ -f "$dir/${PIDS_FILE}" ] || exit 0
while read -r pid; do [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; done < "$dir/${PIDS_FILE}"
rm -rf "$dir"
`;

export function guardAgainstOrphans(tempDir: string, killChildrenNow: () => void): OrphanGuard {
  installProcessHooks();
  const pidsPath = path.join(tempDir, PIDS_FILE);
  // The watchdog acts only while this file exists; release() removes it.
  writeFileSync(pidsPath, "");

  const watchdog = spawn("bash", ["-c", WATCHDOG_SCRIPT, "nexus-control-plane-watchdog", tempDir], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  watchdog.on("error", () => {
    // No bash: the in-process hooks still cover everything short of SIGKILL.
  });
  watchdog.unref();
  const pipe = watchdog.stdin;
  // An unref'ed pipe does not keep the runner alive, and closes only when it exits.
  (pipe as unknown as { unref?: () => void } | null)?.unref?.();
  pipe?.on("error", () => {});

  const cleanup = () => {
    killChildrenNow();
    rmSync(tempDir, { recursive: true, force: true });
  };
  cleanups.add(cleanup);

  return {
    recordPids(pids) {
      try {
        writeFileSync(pidsPath, pids.map((pid) => `${pid}\n`).join(""));
      } catch (err) {
        // Once stop() has removed the temp dir there is nothing left to guard.
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
    },
    release() {
      cleanups.delete(cleanup);
      rmSync(pidsPath, { force: true });
      pipe?.end();
    },
  };
}
