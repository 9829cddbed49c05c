import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["bench/full.bench.ts"],
        globalSetup: ["consumer/test/support/buildBundle.ts"],
        pool: "forks",
        // One file, run alone: measurements must not share the two cores with other tests.
        fileParallelism: false,
    },
});
