import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // fails a test file whose processes print the secret canary (test/support/secret-canary.ts)
    setupFiles: ["test/support/secret-watch.ts"],
    fileParallelism: false,
    passWithNoTests: false,
  },
});
