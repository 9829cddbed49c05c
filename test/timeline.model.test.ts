/**
 * The burst model's formulas against hand-computed cases: KEDA's ScaledJob job count per strategy (scale_jobs.go,
 * FACTS §9), the operator's token bucket, pods per node from the VM-size table; the samples format and its key
 * moments; and the simulate-vs-emulation comparison over a hand-built sample set (the emulation, issue 16, does not
 * exist yet).
 */
import { describe, expect, it } from "vitest";
import { scaledJobJobsToCreate, scaledObjectDesiredReplicas, hpaScaleUpLimit, type ScaledJobSpec } from "../timeline/model/keda";
import { TokenBucket, creationSeconds } from "../timeline/model/throttle";
import { podsPerNode } from "../timeline/model/capacity";
import { keyMoments, parseTimeline, TIMELINE_FORMAT, type Sample, type Timeline } from "../timeline/samples";
import { compareTimelines } from "../timeline/compare";

const spec = (strategy: ScaledJobSpec["strategy"], over: Partial<ScaledJobSpec> = {}): ScaledJobSpec => ({ strategy, target: 1, activation: 0, minReplicaCount: 0, maxReplicaCount: 100, ...over });

describe("ScaledJob job count per poll (KEDA v2.20.2 scale_jobs.go)", () => {
    it("below max: default creates maxScale − running, accurate maxScale − pending, eager min(max − running − pending, maxScale)", () => {
        // queue 10, target 1 → maxScale 10, scaleTo 10; running 4 of which pending 2.
        const s = { queueLength: 10, running: 4, pending: 2 };
        expect(scaledJobJobsToCreate(spec("default"), s)).toBe(6);
        expect(scaledJobJobsToCreate(spec("accurate"), s)).toBe(8);
        expect(scaledJobJobsToCreate(spec("eager"), s)).toBe(10);
    });

    it("above max: accurate falls back to max − running; eager to max − running − pending", () => {
        // queue 150 → maxScale min(150, 100) = 100; running 30, pending 5.
        const s = { queueLength: 150, running: 30, pending: 5 };
        expect(scaledJobJobsToCreate(spec("default"), s)).toBe(70);
        expect(scaledJobJobsToCreate(spec("accurate"), s)).toBe(70);
        expect(scaledJobJobsToCreate(spec("eager"), s)).toBe(65);
    });

    it("accurate and eager over-create when in-flight messages are counted; default does not", () => {
        // 10 messages all being worked on by 10 running Jobs (none pending): the scaler still sees 10 (FACTS §9).
        const s = { queueLength: 10, running: 10, pending: 0 };
        expect(scaledJobJobsToCreate(spec("default"), s)).toBe(0);
        expect(scaledJobJobsToCreate(spec("accurate"), s)).toBe(10);
        // eager: min(100 − 10 − 0, 10) = 10 more, scaleTo = max (100) → 10.
        expect(scaledJobJobsToCreate(spec("eager"), s)).toBe(10);
        // With a max of 12, eager is capped by the room left: min(12 − 10 − 0, 10) = 2.
        expect(scaledJobJobsToCreate(spec("eager", { maxReplicaCount: 12 }), s)).toBe(2);
    });

    it("target divides and rounds up; activation and minReplicaCount gate creation", () => {
        expect(scaledJobJobsToCreate(spec("default", { target: 5 }), { queueLength: 12, running: 0, pending: 0 })).toBe(3);
        expect(scaledJobJobsToCreate(spec("default", { activation: 5 }), { queueLength: 3, running: 0, pending: 0 })).toBe(0);
        expect(scaledJobJobsToCreate(spec("default", { minReplicaCount: 2 }), { queueLength: 0, running: 0, pending: 0 })).toBe(2);
    });

    it("ScaledObject: 0 → 1 first, then ceil(queue / target) within max; the HPA at most doubles or adds 4 per sync", () => {
        const so = { target: 5, activation: 0, minReplicaCount: 0, maxReplicaCount: 10 };
        expect(scaledObjectDesiredReplicas(so, 1000, 0)).toBe(1);
        expect(scaledObjectDesiredReplicas(so, 22, 1)).toBe(5);
        expect(scaledObjectDesiredReplicas(so, 1000, 1)).toBe(10);
        expect(scaledObjectDesiredReplicas(so, 0, 3)).toBe(0);
        expect(hpaScaleUpLimit(1)).toBe(5);
        expect(hpaScaleUpLimit(10)).toBe(20);
    });
});

describe("the KEDA operator's API token bucket (client-go, --kube-api-qps/--kube-api-burst)", () => {
    it("sends burst calls at once, then one per 1/qps: 998 Jobs take 48.4 s at 20/30 and 8.48 s at 100/150", () => {
        for (const [qps, burst, last] of [
            [20, 30, 48.4],
            [100, 150, 8.48],
        ]) {
            const b = new TokenBucket(qps, burst);
            const times = Array.from({ length: 998 }, () => b.take(0));
            expect(times.filter((t) => t === 0)).toHaveLength(burst);
            expect(times.at(-1)).toBeCloseTo(last, 6);
            expect(creationSeconds(998, qps, burst)).toBeCloseTo(last, 6);
        }
    });

    it("refills while idle, up to burst", () => {
        const b = new TokenBucket(10, 5);
        for (let i = 0; i < 5; i++) b.take(0);
        expect(b.take(0)).toBeCloseTo(0.1, 9);
        // 100 s later the bucket is full again (5), not 1,000.
        const later = Array.from({ length: 6 }, () => b.take(100));
        expect(later.slice(0, 5)).toEqual([100, 100, 100, 100, 100]);
        expect(later[5]).toBeCloseTo(100.1, 9);
    });
});

describe("pods per node from the VM-size table and AKS's reservations", () => {
    const ds = { cpuMillis: 300, memoryMiB: 600, pods: 8 };
    it("scale1000: one 2500m Job per D4ds_v4 (3860m allocatable − 300m DaemonSets = 3560m)", () => {
        const r = podsPerNode("Standard_D4ds_v4", 250, { cpu: "2500m", memory: "2Gi" }, ds);
        expect(r.allocatable.cpuMillis).toBe(3860);
        expect(r).toMatchObject({ podsPerNode: 1, boundBy: "cpu" });
    });
    it("dev: 16 × 100m on a D2ds_v5 (1900m − 300m); memory would allow 53, maxPods 30 − 8 = 22", () => {
        expect(podsPerNode("Standard_D2ds_v5", 30, { cpu: "100m", memory: "128Mi" }, ds)).toMatchObject({ podsPerNode: 16, boundBy: "cpu" });
    });
    it("tiny pods are bound by maxPods; big-memory pods by memory", () => {
        expect(podsPerNode("Standard_D2ds_v5", 30, { cpu: "10m", memory: "16Mi" }, ds)).toMatchObject({ podsPerNode: 22, boundBy: "maxPods" });
        // D4ds_v5 16 GiB, maxPods 30: reserved min(650, 4096) + 100 = 750 MiB → 15634 − 600 = 15034 → 3 × 4Gi.
        expect(podsPerNode("Standard_D4ds_v5", 30, { cpu: "100m", memory: "4Gi" }, ds)).toMatchObject({ podsPerNode: 3, boundBy: "memory" });
    });
    it("an unknown size is an error naming the table to extend", () => {
        expect(() => podsPerNode("Standard_X9_v9", 30, { cpu: "1", memory: "1Gi" }, ds)).toThrow(/Standard_X9_v9 is not in components\/limits\/vmSizes.ts/);
    });
});

const tl = (source: Timeline["source"], samples: Sample[], extra: Partial<Timeline> = {}): Timeline => ({
    format: TIMELINE_FORMAT,
    source,
    stack: "scale1000",
    workload: { name: "burst", kind: "job" },
    messages: 4,
    samples,
    ...extra,
});

describe("the samples format shared by watch, the emulation and simulate", () => {
    // A hand-built burst of 4 messages, one Job each, as the emulation would write it (no nodes).
    const emulation = tl("emulation", [
        { t: 0, queueDepth: 4, running: 0, created: 0, done: 0 },
        { t: 5, queueDepth: 4, running: 2, created: 2, done: 0 },
        { t: 6, queueDepth: 4, running: 4, created: 4, done: 0 },
        { t: 16, queueDepth: 1, running: 1, created: 4, done: 3 },
        { t: 18, queueDepth: 0, running: 0, created: 4, done: 4 },
        { t: 20, queueDepth: 0, running: 0, created: 4, done: 4 },
    ]);

    it("finds the key moments from samples: first Job, all Jobs created, drained; no peak nodes without nodes", () => {
        expect(keyMoments(parseTimeline(JSON.parse(JSON.stringify(emulation))))).toEqual({ firstJob: 5, allJobsCreated: 6, drained: 18 });
    });

    it("a ScaledObject is drained when its queue is empty, though replicas stay until cooldown", () => {
        const so = tl("watch", [
            { t: 0, queueDepth: 9, running: 0, readyNodes: 1 },
            { t: 10, queueDepth: 3, running: 2, readyNodes: 2 },
            { t: 20, queueDepth: 0, running: 2, readyNodes: 2 },
            { t: 30, queueDepth: 0, running: 0, readyNodes: 1 },
        ], { workload: { name: "worker", kind: "deployment" } });
        expect(keyMoments(so)).toEqual({ firstJob: 10, allJobsCreated: 10, peakNodes: 10, drained: 20 });
    });

    it("explicit marks (a Job's creationTimestamp) win over the samples'", () => {
        expect(keyMoments({ ...emulation, marks: { firstJob: 4.2 } }).firstJob).toBe(4.2);
    });

    it("refuses a malformed file listing every problem with its path", () => {
        const bad = { format: "other", source: "kind", stack: "", workload: { name: "x" }, samples: [{ t: 5, queueDepth: -1, running: 0 }, { t: 1, queueDepth: 0, running: "2" }], marks: { lastJob: 3 } };
        let err = "";
        try {
            parseTimeline(bad);
        } catch (e) {
            err = (e as Error).message;
        }
        for (const part of ["format:", "source:", "stack:", "workload:", "samples[0].queueDepth", "samples[1].t: 1 is before", "samples[1].running", "marks.lastJob"]) expect(err).toContain(part);
    });

    it("compares a simulation with an emulation run: agreeing runs pass, a late drain and a different queue are named", () => {
        const close = tl("simulate", [
            { t: 0, queueDepth: 4, running: 0, created: 0 },
            { t: 5, queueDepth: 4, running: 2, created: 2 },
            { t: 6, queueDepth: 4, running: 4, created: 4 },
            { t: 16, queueDepth: 1, running: 1, created: 4 },
            { t: 17, queueDepth: 0, running: 0, created: 4 },
            { t: 20, queueDepth: 0, running: 0, created: 4 },
        ]);
        const agree = compareTimelines(close, emulation);
        expect(agree.disagreements).toEqual([]);
        expect(agree.marks).toEqual({ firstJob: { simulate: 5, emulation: 5, diff: 0 }, allJobsCreated: { simulate: 6, emulation: 6, diff: 0 }, drained: { simulate: 17, emulation: 18, diff: 1 } });

        const late = tl("simulate", [
            { t: 0, queueDepth: 4, running: 0, created: 0 },
            { t: 5, queueDepth: 4, running: 4, created: 4 },
            { t: 40, queueDepth: 0, running: 0, created: 4 },
        ]);
        const differ = compareTimelines(late, emulation);
        expect(differ.disagreements.some((d) => d.startsWith("drained: emulation 18 s, simulate 40 s"))).toBe(true);
        expect(differ.disagreements.some((d) => d.startsWith("queue depth differs"))).toBe(true);
    });
});
