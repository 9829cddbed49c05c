/** `npm run bench`: the full benchmark, written to bench/results.json and docs/benchmarks.md. Not part of `npm test`. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "vitest";
import { FULL } from "./measure";
import { markdownTable, runBench, writeReadmeTable } from "./runBench";

it("measures and records", async () => {
    const results = await runBench(FULL);
    writeFileSync(join(__dirname, "results.json"), JSON.stringify(results, null, 2) + "\n");
    const table = markdownTable(results);
    writeReadmeTable(join(__dirname, "..", "docs", "benchmarks.md"), table);
    console.log(table);
}, 30 * 60_000);
