/**
 * `simulate` from the real stack files (Pulumi.yaml defaults + Pulumi.<stack>.yaml, parsed by the program's own
 * preflight): it names the knob that bounds the burst, and the name changes when the bound does.
 */
import { describe, expect, it } from "vitest";
import { boundingKnob } from "../timeline/model/bounds";
import { modelInputs, readStack, durationSeconds } from "../timeline/model/fromStack";
import { defaultParams } from "../timeline/model/params";
import { simulate } from "../timeline/model/simulate";
import { summaryLines } from "../timeline/model/summary";
import { parseTimeline } from "../timeline/samples";

const scale1000 = modelInputs("scale1000", readStack("scale1000"));

describe("simulate scale1000", () => {
    it("reads the stack: 998 messages of 60 s, one Job each, KEDA at 100/150, burst autoscaler (scan 20 s)", () => {
        expect(scale1000).toMatchObject({
            messages: 998,
            workSeconds: 60,
            workload: { kind: "job", target: 1, strategy: "default", maxReplicaCount: 998, pollingInterval: 30 },
            keda: { qps: 100, burst: 150 },
            pool: { vmSize: "Standard_D4ds_v4", maxCount: 998, spot: true },
            // The burst preset is AKS's bursty profile value for value: maxNodeProvisionTime 15m (components/plan/autoscaler.ts).
            autoscaler: { scanIntervalSeconds: 20, maxNodeProvisionSeconds: 900 },
        });
    });

    it("names its bounding knob and states Job creation at KEDA's defaults and at the stack's QPS", () => {
        const r = boundingKnob(scale1000, defaultParams(), { seed: 1 });
        expect(r.base.jobsCreated).toBe(998);
        expect(r.base.podsPerNode).toBe(1);
        expect(r.base.peakNodes).toBe(998);
        expect(r.base.creationSeconds).toBeCloseTo(8.48, 6);
        expect(r.creationLine).toBe("Job creation (998 Jobs): 49 s at QPS 20/burst 30 (KEDA's defaults); 9 s at QPS 100/burst 150 (this stack)");
        // The bound is the knob whose relaxation drains the burst soonest, and it saves time.
        expect(r.bound).toBeDefined();
        expect(r.bound!.saves).toBe(Math.max(...r.effects.map((e) => e.saves)));
        expect(r.bound!.knob).toBe("node provisioning time");
        const text = summaryLines(scale1000, defaultParams(), r, 1).join("\n");
        expect(text).toContain("bounded by: node provisioning time");
        expect(text).toMatch(/nodeProvisionMedianSeconds = 100 s: ASSUMPTION/);
    });

    it("at KEDA's default QPS with fast nodes, Job creation is what bounds it", () => {
        const slowApi = { ...scale1000, workSeconds: 5, keda: { qps: 20, burst: 30 } };
        const fastNodes = { ...defaultParams(), nodeProvisionMedianSeconds: 5, podStartSeconds: 1 };
        const r = boundingKnob(slowApi, fastNodes, { seed: 1 });
        expect(r.bound!.knob).toBe("Job creation (KEDA operator kube API QPS/burst)");
        expect(r.bound!.saves).toBeGreaterThan(30);
    });

    it("is deterministic for a seed and writes a valid timeline with the three series and all four marks", () => {
        const a = simulate(scale1000, defaultParams(), { seed: 7 });
        const b = simulate(scale1000, defaultParams(), { seed: 7 });
        expect(a.timeline).toEqual(b.timeline);
        const tl = parseTimeline(JSON.parse(JSON.stringify(a.timeline)));
        expect(Object.keys(tl.marks!).sort()).toEqual(["allJobsCreated", "drained", "firstJob", "peakNodes"]);
        expect(tl.samples.some((s) => (s.queueDepth ?? 0) > 0 && (s.running ?? 0) > 0 && (s.readyNodes ?? 0) > 0)).toBe(true);
        // Every message done, each by one Job (default strategy, target 1: no over-creation).
        expect(tl.samples.at(-1)).toMatchObject({ queueDepth: 0, running: 0, done: 998, created: 998 });
    });

    it("Spot allocation failures: with short work, freed nodes absorb them; with long work they cost ≥ maxNodeProvisionTime", () => {
        const short = [0, 0.1].map((rate) => simulate(scale1000, { ...defaultParams(), spotFailureRate: rate }, { seed: 3 }));
        expect(short[1].failedNodes).toBeGreaterThan(50);
        expect(short[1].drainedAt!).toBeGreaterThan(short[0].drainedAt!);
        // 10-minute Jobs: the ~100 pods whose node never came wait for the failure to be noticed (maxNodeProvisionTime)
        // and the pool's backoff (300 s), or for a Job to finish and free its node.
        const long = { ...scale1000, workSeconds: 600 };
        const [ok, failing] = [0, 0.1].map((rate) => simulate(long, { ...defaultParams(), spotFailureRate: rate }, { seed: 3 }));
        expect(failing.drainedAt!).toBeGreaterThan(ok.drainedAt! + 300);
    });

    it("reads autoscaler durations as AKS writes them", () => {
        expect([durationSeconds("10s"), durationSeconds("15m"), durationSeconds("1m30s")]).toEqual([10, 900, 90]);
        expect(() => durationSeconds("10 minutes")).toThrow(/not a duration/);
    });
});
