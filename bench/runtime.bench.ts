/**
 * The runtime handlers' phase alone (bench/runtime.ts at FULL sizes), merged into bench/results.json as its `runtime`
 * entry; docs/benchmarks.md's bench table regenerated from the whole file. Run with
 * `BENCH_ONLY=bench/runtime.bench.ts npx vitest run --config bench/vitest.config.ts` (`npm run bench` runs it within
 * the full bench). BENCH_TABLE_ONLY=1 only regenerates the table.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "vitest";
import { FULL } from "./measure";
import { markdownTable, runtimePhase, writeReadmeTable, type BenchResults } from "./runBench";

it("measures the runtime handlers and records", async () => {
    const file = join(__dirname, "results.json");
    const results = JSON.parse(readFileSync(file, "utf8")) as BenchResults;
    if (!process.env.BENCH_TABLE_ONLY) {
        results.runtime = await runtimePhase(FULL, { raw: "", single: "" });
        writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
    }
    const table = markdownTable(results);
    writeReadmeTable(join(__dirname, "..", "docs", "benchmarks.md"), table);
    console.log(table);
}, 30 * 60_000);
