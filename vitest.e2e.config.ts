import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // child-process tests run dist/: under npm test, built first when src/ is newer
    globalSetup: ["test/support/fresh-build.ts"],
    setupFiles: [
      // fails a test file whose processes print the secret canary (test/support/secret-canary.ts)
      "test/support/secret-watch.ts",
      // fails a listen on a fixed port or on all interfaces, here and in every child process
      "test/support/listen-guard.mjs",
    ],
    fileParallelism: false,
    passWithNoTests: false,
  },
});
