import { availableParallelism } from "node:os";
import { relative } from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The files that take longest (docs/testing.md, "Test suite time"), started first in this order, so that no fork is
 * left running one of them alone at the end. Without this, a fresh clone (no record of a previous run) orders by file
 * size, and the 37-line bench smoke test (about 2 minutes) would start last. The other files keep vitest's order.
 */
const LONGEST_FIRST = [
    "consumer/test/workerBehaviour.test.ts",
    "test/emulate.test.ts",
    "test/planCommand.test.ts",
    "consumer/test/faults.test.ts",
    "test/bench.smoke.test.ts",
    "test/deployments.test.ts",
    "consumer/test/runtimeFaults.test.ts",
    "consumer/test/demo.test.ts",
];

class LongestFirst extends BaseSequencer {
    override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
        const rank = (f: TestSpecification) => {
            const i = LONGEST_FIRST.indexOf(relative(this.ctx.config.root, f.moduleId).split("\\").join("/"));
            return i === -1 ? LONGEST_FIRST.length : i;
        };
        return (await super.sort(files)).map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
    }
}

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts", "consumer/test/**/*.test.ts", "examples/**/*.test.ts"],
        // Builds consumer/dist/worker.cjs once: the consumer's tests run the bundle the image ships.
        // ...and a folder for the plans of this run: a stack run with the same inputs runs once (test/harness/planCache.ts).
        globalSetup: ["consumer/test/support/buildBundle.ts", "test/harness/planCacheSetup.ts"],
        // Pulumi's runtime keeps global state: one file per worker, fresh per file.
        isolate: true,
        pool: "forks",
        // Most files wait on Azurite, worker processes or handlers; vitest's default (one fork per core but one) ran
        // one file at a time on 2 cores. Two more than the cores keeps them busy (docs/testing.md, "Test suite time").
        poolOptions: { forks: { maxForks: availableParallelism() + 2 } },
        sequence: { sequencer: LongestFirst },
        testTimeout: 60_000,
        hookTimeout: 60_000,
    },
});
