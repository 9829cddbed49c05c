import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts", "consumer/test/**/*.test.ts"],
        // Pulumi's runtime keeps global state: one file per worker, fresh per file.
        isolate: true,
        pool: "forks",
        testTimeout: 60_000,
        hookTimeout: 60_000,
    },
});
