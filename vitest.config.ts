import { defineConfig } from "vitest/config";

// Integration tests share one real control plane started by the global setup; files run
// one at a time so a two-core machine is not oversubscribed by parallel apiserver load.
export default defineConfig({
  test: {
    include: ["operator/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ["default"],
  },
});
