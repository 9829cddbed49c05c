import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        // BENCH_ONLY: one phase alone (bench/runtime.bench.ts).
        include: [process.env.BENCH_ONLY ?? "bench/full.bench.ts"],
        globalSetup: ["consumer/test/support/buildBundle.ts"],
        pool: "forks",
        // One file, run alone: measurements must not share the two cores with other tests.
        fileParallelism: false,
    },
});
