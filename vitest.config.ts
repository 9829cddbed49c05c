import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts", "consumer/test/**/*.test.ts"],
        // Builds consumer/dist/worker.cjs once: the consumer's tests run the bundle the image ships.
        globalSetup: ["consumer/test/support/buildBundle.ts"],
        // Pulumi's runtime keeps global state: one file per worker, fresh per file.
        isolate: true,
        pool: "forks",
        testTimeout: 60_000,
        hookTimeout: 60_000,
    },
});
