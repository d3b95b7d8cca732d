import { defineConfig } from "vitest/config";
import { LastFilesLastSequencer } from "./test/sequencer.js";

// Two projects: "unit" runs pure tests with no cluster; "integration" shares one real
// control plane started by the global setup. Integration files run one at a time so a
// two-core machine is not oversubscribed by parallel apiserver load.
export default defineConfig({
  test: {
    reporters: ["default"],
    projects: [
      {
        test: {
          name: "unit",
          // bench/: pure tests of the benchmark's workload and floor (the benchmark itself is `make bench`).
          include: ["operator/**/*.test.ts", "bench/**/*.test.ts"],
          // Property tests run thousands of cases: about 3 s on a quiet two-core machine, twice
          // that beside other work; vitest's 5 s default made CI depend on the neighbours.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
          sequence: { sequencer: LastFilesLastSequencer },
          fileParallelism: false,
          testTimeout: 90_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
