import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "node_modules/**"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
    // fails a test file whose processes print the secret canary (test/support/secret-canary.ts)
    setupFiles: ["test/support/secret-watch.ts"],
  },
});
