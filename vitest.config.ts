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
          include: ["operator/**/*.test.ts"],
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
