/** A tiny run of the whole bench, so it cannot rot. Asserts that it measures, never how fast. */
import { describe, expect, it } from "vitest";
import { SMOKE } from "../bench/measure";
import { markdownTable, runBench } from "../bench/runBench";

describe("bench smoke run", () => {
    it("measures every figure from real processes and renders the bench table", async () => {
        const r = await runBench(SMOKE);
        const c = r.coldStart;
        for (const s of [c.bareNode.ms, c.job.cached.ms, c.job.noCache.ms, c.job.singleBundle.ms, c.ratio.cached]) expect(s.median).toBeGreaterThan(0);
        // Each process measured itself: a Job's high-water mark is above bare Node's, and it loaded the split bundle.
        expect(c.job.cached.peakRssMiB.median).toBeGreaterThan(c.bareNode.peakRssMiB.median);
        expect(c.job.cached.loadedKiB).toBeGreaterThan(10);
        expect(c.job.cached.loadedKiB).toBeLessThan(c.job.singleBundle.loadedKiB);
        for (const v of Object.values(r.throughput.variants)) {
            expect(v.msgPerSec.median).toBeGreaterThan(0);
            expect(v.cpuMsPerMsg.median).toBeGreaterThan(0);
        }
        expect(r.throughput.cpuPerMsgRatio32.median).toBeGreaterThan(0);
        for (const p of [r.producer, r.producerRemote]) for (const v of Object.values(p.variants)) expect(v.cpuMsPerMsg.median).toBeGreaterThan(0);
        expect(r.producerRemote.rttMs).toBeGreaterThan(0);
        // The steady state drained the stand-in to the last message (each run throws otherwise), worker and raw alike.
        for (const v of Object.values(r.steadyState.variants)) expect(v.cpuMsPerMsg.median).toBeGreaterThan(0);
        expect(r.steadyState.cpuPerMsgRatio32.median).toBeGreaterThan(0);
        expect(r.steadyState.deadlinesCpuRatio32.median).toBeGreaterThan(0);
        // Every backlog on the stand-in, on both heaps; the first also on Azurite with both handlers.
        const standIn = r.memory.drains.filter((d) => d.service === "stand-in");
        expect(standIn.map((d) => `${d.backlog}/${d.heap}`)).toEqual(SMOKE.memoryBacklogs.flatMap((b) => [`${b}/default`, `${b}/pod`]));
        expect(r.memory.drains.filter((d) => d.service === "Azurite").map((d) => `${d.handler}/${d.heap}`)).toEqual(["noop/default", "results/default", "results/pod"]);
        for (const d of r.memory.drains) expect(d.peakRssMiB.median).toBeGreaterThan(c.bareNode.peakRssMiB.median);
        expect(r.memory.idle.maxMiB).toBeGreaterThan(0);
        expect(r.planTime.map((p) => p.stack)).toContain("dev");
        expect(r.planTime.every((p) => p.resources > 10)).toBe(true);
        const table = markdownTable(r);
        expect(table).toMatch(/\| cold start.*\|\n[\s\S]*\| steady-state drain[\s\S]*\| … peak growth from backlog 40 to 80, pod heap[\s\S]*\| idle worker RSS over \d+ s/);
    }, 300_000);
});
