/**
 * The burst model's formulas against hand-computed cases: KEDA's ScaledJob job count per strategy (scale_jobs.go,
 * FACTS §9), the operator's token bucket, pods per node from the VM-size table; the samples format and its key
 * moments; and the simulate-vs-emulation comparison over a hand-built sample set (the emulation, issue 16, does not
 * exist yet).
 */
import { describe, expect, it } from "vitest";
import { hpaSync, initialScaledObjectState, scaledJobJobsToCreate, scaledObjectPoll, type ScaledJobSpec } from "../timeline/model/keda";
import { TokenBucket, creationSeconds } from "../timeline/model/throttle";
import { modelInputs, readStack } from "../timeline/model/fromStack";
import { defaultParams } from "../timeline/model/params";
import { simulate } from "../timeline/model/simulate";
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

    it("ScaledObject: KEDA activates 0 → 1, then the HPA asks ceil(queue / target) within max, at most max(2 × current, 4) per sync", () => {
        const so = { target: 5, activation: 0, minReplicaCount: 0, maxReplicaCount: 10, cooldownPeriod: 300 };
        let s = scaledObjectPoll(so, initialScaledObjectState(0), 1000, 0);
        expect(s.replicas).toBe(1);
        // The HPA leaves 0 alone (KEDA's decision), then from 1 at most 4, from 4 at most 8 (no behavior rendered).
        expect(hpaSync(so, initialScaledObjectState(0), 1000, 0).replicas).toBe(0);
        s = hpaSync(so, s, 1000, 15);
        expect(s.replicas).toBe(4);
        s = hpaSync(so, s, 1000, 30);
        expect(s.replicas).toBe(8);
        // 22 / 5 → 5 wanted now, but the 300 s window holds the highest recent recommendation (200), cut to max.
        s = hpaSync(so, s, 22, 45);
        expect(s.replicas).toBe(10);
    });
});

describe("KEDA and the HPA over time, as the burst model runs them (issue 24)", () => {
    const so = { target: 5, activation: 0, minReplicaCount: 1, maxReplicaCount: 10, cooldownPeriod: 120 };
    /** Replicas after each 15 s sync of an empty queue, starting from 10 with a full window of recommendations of 10. */
    const scaleIn = (spec: Parameters<typeof hpaSync>[0]) => {
        let s = { ...initialScaledObjectState(10) };
        s = hpaSync(spec, s, 50, 0);
        const seen: [number, number][] = [];
        for (let t = 15; t <= 600; t += 15) {
            const next = hpaSync(spec, s, 0, t);
            if (next.replicas !== s.replicas) seen.push([t, next.replicas]);
            s = next;
        }
        return seen;
    };
    it("scale-in with dev's behavior (window 120 s, 50 % per 60 s): held for the window, then halved per minute (points 2, 3)", () => {
        const dev = { ...so, hpaBehavior: { scaleDown: { stabilizationWindowSeconds: 120, policies: [{ type: "Percent" as const, value: 50, periodSeconds: 60 }] } } };
        // At 120 s the 10s recorded at 0 s fall out of the window (only strictly newer samples count); the 50 % policy then
        // allows 10 → 5, and 5 → 2 once the first step is a full period old (trunc(5 × 0.5)), then 2 → 1.
        expect(scaleIn(dev)).toEqual([
            [120, 5],
            [180, 2],
            [240, 1],
        ]);
    });
    it("scale-in without a behavior: the highest recommendation of the last 300 s (a sample exactly 300 s old still counts), then straight to min", () => {
        expect(scaleIn(so)).toEqual([[315, 1]]);
    });
    it("below activation the HPA still sees the raw queue; KEDA raises an idle ScaledObject to min (points 6, 8)", () => {
        const gated = { ...so, activation: 20, minReplicaCount: 2 };
        // KEDA: inactive (15 ≤ 20) and below min, no idleReplicaCount → min at once.
        expect(scaledObjectPoll(gated, initialScaledObjectState(1), 15, 0).replicas).toBe(2);
        // The HPA: 15 / 5 = 3 replicas from the raw metric, activation or not.
        expect(hpaSync(gated, initialScaledObjectState(2), 15, 0).replicas).toBe(3);
    });
    it("a ScaledJob's trigger at or below activation adds no queue length, even with minReplicaCount (point 8)", () => {
        const gated = spec("default", { activation: 5, minReplicaCount: 2 });
        expect(scaledJobJobsToCreate(gated, { queueLength: 3, running: 2, pending: 0 })).toBe(0);
        expect(scaledJobJobsToCreate(gated, { queueLength: 6, running: 2, pending: 0 })).toBe(6);
    });
    it("Job deletions past the history limit take the same API tokens as creations (point 7): a slow client drains later", () => {
        const m = modelInputs("scale1000", readStack("scale1000"), { messages: 40, workSeconds: 10 });
        const fast = { ...defaultParams(), nodeProvisionMedianSeconds: 0, nodeProvisionSigma: 0, podStartSeconds: 0 };
        const run = (limit: number) =>
            simulate({ ...m, keda: { qps: 0.2, burst: 1 }, workload: { ...m.workload, maxReplicaCount: 10, successfulJobsHistoryLimit: limit } }, fast, { seed: 1 });
        const [keepAll, keepNone] = [run(1000), run(0)];
        expect(keepNone.jobsCreated).toBe(keepAll.jobsCreated);
        // Each of the 40 finished Jobs costs a 5 s token before the next poll's Creates can go.
        expect(keepNone.drainedAt! - keepAll.drainedAt!).toBeGreaterThanOrEqual(100);
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
