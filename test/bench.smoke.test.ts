/** A tiny run of the whole bench, so it cannot rot. Asserts that it measures, never how fast. */
import { describe, expect, it } from "vitest";
import { SMOKE } from "../bench/measure";
import { markdownTable, runBench } from "../bench/runBench";

describe("bench smoke run", () => {
    it("measures every figure and renders the README table", async () => {
        const r = await runBench(SMOKE);
        for (const s of [r.coldStart.workerOnceMs, r.coldStart.bareNodeMs, r.throughput.rawSdkMessagesPerSecond, r.throughput.workerMessagesPerSecond.inflight32, r.producer.naiveLoopMessagesPerSecond]) {
            expect(s.median).toBeGreaterThan(0);
        }
        expect(r.memory.loadedPeakRssMb).toBeGreaterThanOrEqual(r.memory.idleRssMb);
        expect(r.planTime.map((p) => p.stack)).toContain("dev");
        expect(r.planTime.every((p) => p.resources > 10)).toBe(true);
        expect(r.bundleKb).toBeGreaterThan(10);
        expect(markdownTable(r)).toMatch(/\| cold start.*\|\n[\s\S]*\| bundled worker \| \d+ KB/);
    }, 180_000);
});
