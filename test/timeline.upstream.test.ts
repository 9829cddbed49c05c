/**
 * The burst model against the upstream projects' own unit tests (issue 24): every case below is transcribed from a
 * test table of kedacore/keda v2.20.2 or of kubernetes/kubernetes pkg/controller/podautoscaler (commit 003e86297d;
 * replica_calculator_test.go of 1.33+), labelled with its upstream test name and case, inputs and expected values as
 * upstream writes them. Upstream times are relative to time.Now(); here `now` is a fixed second and ages are
 * subtracted from it. If a case fails, the model has drifted from what KEDA or the HPA does.
 */
import { describe, expect, it } from "vitest";
import {
    convertDesiredReplicasWithBehaviorRate,
    convertDesiredReplicasWithRules,
    externalPerPodReplicas,
    fillBehavior,
    hpaReconcile,
    NO_HPA_MEMORY,
    replicasChangePerPeriod,
    scaleDownLimitWithRules,
    scaleUpLimit,
    scaleUpLimitWithRules,
    stabilizeRecommendation,
    stabilizeRecommendationWithBehaviors,
    storeScaleEvent,
    type HpaPolicy,
    type HpaScalingRules,
    type Recommendation,
    type ScaleEvent,
} from "../timeline/model/hpa";
import {
    effectiveMaxScale,
    initialScaledObjectState,
    jobsToDelete,
    scaledJobDecision,
    scaledJobMetrics,
    scaledObjectPoll,
    type MultipleScalersCalculation,
} from "../timeline/model/keda";

const NOW = 10_000;
const MIN = 60;

describe("KEDA scale_jobs_test.go: the strategies' GetEffectiveMaxScale(maxScale, running, pending, maxReplicaCount, scaleTo)", () => {
    const cases: [string, Parameters<typeof effectiveMaxScale>, number, number?][] = [
        ["TestDefaultScalingStrategy #1", ["default", 3, 2, 0, 5, 1], 1],
        ["TestDefaultScalingStrategy #2", ["default", 2, 0, 0, 5, 1], 2],
        ["TestAccurateScalingStrategy #1", ["accurate", 3, 2, 0, 5, 1], 3],
        ["TestAccurateScalingStrategy #2", ["accurate", 5, 2, 0, 5, 1], 3],
        ["TestAccurateScalingStrategy: 2 pending #1", ["accurate", 3, 4, 2, 10, 1], 1],
        ["TestAccurateScalingStrategy: 2 pending #2", ["accurate", 5, 4, 2, 5, 1], 1],
        ["TestAccurateScalingStrategy: 3 running all pending", ["accurate", 3, 3, 3, 5, 1], 0],
        ["TestAccurateScalingStrategy: running all pending, higher numbers", ["accurate", 15, 15, 15, 20, 1], 0],
        ["TestAccurateScalingStrategy: similar, different numbers", ["accurate", 10, 10, 10, 15, 1], 0],
        ["TestAccurateScalingStrategy: partial pending", ["accurate", 20, 15, 10, 20, 1], 5],
        ["TestEagerScalingStrategy #1", ["eager", 4, 3, 0, 10, 1], 4, 10],
        ["TestEagerScalingStrategy #2", ["eager", 4, 0, 3, 10, 1], 4, 10],
        ["TestEagerScalingStrategy #3", ["eager", 4, 7, 0, 10, 1], 3, 10],
        ["TestEagerScalingStrategy #4", ["eager", 4, 1, 6, 10, 1], 3, 10],
        ["TestEagerScalingStrategy #5", ["eager", 15, 0, 0, 10, 1], 10, 10],
    ];
    for (const [name, args, max, scaleTo] of cases)
        it(name, () => {
            const [gotMax, gotScaleTo] = effectiveMaxScale(...args);
            expect(gotMax).toBe(max);
            if (scaleTo !== undefined) expect(gotScaleTo).toBe(scaleTo);
        });
});

describe("KEDA scale_jobs_test.go: getScalingDecision with minReplicaCount (default strategy, max 100)", () => {
    it("TestRunningJobCountSmallerMinReplicaCount: min 2, running 0 → (2, 2)", () => {
        expect(scaledJobDecision("default", 2, 100, 0, 0, 0, 0)).toEqual([2, 2]);
    });
    it("TestRunningJobCountIsDeductedFromMinReplicaCount: min 2, running 1 → (1, 1)", () => {
        expect(scaledJobDecision("default", 2, 100, 1, 0, 0, 0)).toEqual([1, 1]);
    });
    it("TestRunningJobCountGreaterOrEqualMinReplicaCountExecutesScalingStrategy: min 1, running 1, scaleTo 2, maxScale 2 → (2, 2)", () => {
        expect(scaledJobDecision("default", 1, 100, 1, 2, 2, 0)).toEqual([2, 2]);
    });
});

describe("KEDA scale_jobs_test.go: cleanUp deletes finished Jobs past the history limits (one Delete call each)", () => {
    it("TestCleanUpNormalCase: limits 2/2, 3 complete → 1 delete", () => expect(jobsToDelete(3, 0, 2, 2)).toBe(1));
    it("TestCleanUpMixedCaseWithSortByTime: limits 1/2, 3 complete + 3 failed → 3 deletes", () => expect(jobsToDelete(3, 3, 1, 2)).toBe(3));
    it("TestCleanUpDefaultValue: default limits 100/100, 101 complete + 101 failed → 2 deletes", () => expect(jobsToDelete(101, 101)).toBe(2));
});

describe("KEDA scale_handler_test.go: getScaledJobState (IsScaledJobActive over the triggers; inactive triggers contribute nothing)", () => {
    it("TestGetScaledJobState single trigger: min 1, max 100, queue 20, target 2 → active, 20, 10", () => {
        expect(scaledJobMetrics([{ queueLength: 20, target: 2, active: true }], "max", 1, 100)).toEqual({ active: true, queueLength: 20, maxScale: 10 });
    });
    // newScalerTestData rows: four scalers (20/1 active, 10/2 active, 5/3 active, 7/4 INACTIVE), min 0.
    const four = [
        { queueLength: 20, target: 1, active: true },
        { queueLength: 10, target: 2, active: true },
        { queueLength: 5, target: 3, active: true },
        { queueLength: 7, target: 4, active: false },
    ];
    const rows: [string, number, MultipleScalersCalculation, number, number][] = [
        ["s0-queueLength", 100, "max", 20, 20],
        ["queueLength", 100, "min", 5, 2],
        ["messageCount", 100, "avg", 12, 9],
        ["s3-messageCount", 100, "sum", 35, 27],
        ["s10-messageCount", 25, "sum", 35, 25],
    ];
    for (const [metric, max, calc, queueLength, maxScale] of rows)
        it(`TestGetScaledJobState ${metric}, max ${max}, ${calc} → ${queueLength}, ${maxScale}`, () => {
            expect(scaledJobMetrics(four, calc, 0, max)).toEqual({ active: true, queueLength, maxScale });
        });
    it("TestGetScaledJobStateIfQueueEmptyButMinReplicaCountGreaterZero: min 1, queue 0 → active, 0, 0", () => {
        expect(scaledJobMetrics([{ queueLength: 0, target: 1, active: true }], "max", 1, 100)).toEqual({ active: true, queueLength: 0, maxScale: 0 });
    });
});

describe("KEDA scale_scaledobjects_test.go: RequestScale (no lastActiveTime, as the tests build the ScaledObject)", () => {
    const so = (min: number, idle?: number) => ({ target: 5, activation: 0, minReplicaCount: min, maxReplicaCount: 100, cooldownPeriod: 300, ...(idle !== undefined ? { idleReplicaCount: idle } : {}) });
    it("TestScaleToMinReplicasWhenNotActive: min 0, 10 replicas, inactive → 0", () => {
        expect(scaledObjectPoll(so(0), initialScaledObjectState(10), 0, NOW).replicas).toBe(0);
    });
    it("TestScaleToMinReplicasFromLowerInitialReplicaCount: min 5, 1 replica, inactive → 5", () => {
        expect(scaledObjectPoll(so(5), initialScaledObjectState(1), 0, NOW).replicas).toBe(5);
    });
    it("TestScaleFromMinReplicasWhenActive: min 0, 0 replicas, active → 1, lastActiveTime set", () => {
        const s = scaledObjectPoll(so(0), initialScaledObjectState(0), 1, NOW);
        expect(s.replicas).toBe(1);
        expect(s.lastActiveAt).toBe(NOW);
    });
    it("TestScaleToIdleReplicasWhenNotActive: idle 0, min 5, 10 replicas, inactive → 0", () => {
        expect(scaledObjectPoll(so(5, 0), initialScaledObjectState(10), 0, NOW).replicas).toBe(0);
    });
    it("TestScaleFromIdleToMinReplicasWhenActive: idle 0, min 5, 0 replicas, active → 5", () => {
        expect(scaledObjectPoll(so(5, 0), initialScaledObjectState(0), 1, NOW).replicas).toBe(5);
    });
});

/** horizontal_test.go generateScalingRules(pods, podsPeriod, percent, percentPeriod, stabilizationWindow): Max, policies only when non-zero. */
function rules(pods: number, podsPeriod: number, percent: number, percentPeriod: number, window: number): Partial<HpaScalingRules> {
    const policies: HpaPolicy[] = [];
    if (pods !== 0) policies.push({ type: "Pods", value: pods, periodSeconds: podsPeriod });
    if (percent !== 0) policies.push({ type: "Percent", value: percent, periodSeconds: percentPeriod });
    return { stabilizationWindowSeconds: window, selectPolicy: "Max", ...(policies.length ? { policies } : {}) };
}

/** horizontal_test.go generateEventsUniformDistribution: event i at the centre of the i-th of n equal segments of the last `period` seconds, oldest first. */
function events(raw: number[], period: number): ScaleEvent[] {
    const seg = period / raw.length;
    return raw.map((change, i) => ({ change, at: NOW - Math.trunc(period - seg * (i + 1) + seg / 2), outdated: false }));
}

const recs = (...r: [number, number][]): Recommendation[] => r.map(([replicas, ageSeconds]) => ({ replicas, at: NOW - ageSeconds }));

describe("kubernetes horizontal_test.go TestNormalizeDesiredReplicas (stabilizeRecommendation, 5-minute window)", () => {
    const cases: [string, Recommendation[], number, number, number][] = [
        ["empty log", [], 5, 5, 1],
        ["stabilize", recs([4, 2 * MIN], [5, 1 * MIN]), 3, 5, 3],
        ["no stabilize", recs([1, 2 * MIN], [2, 1 * MIN]), 3, 3, 3],
        ["no stabilize - old recommendations", recs([10, 10 * MIN], [9, 9 * MIN]), 3, 3, 2],
        ["stabilize - old recommendations", recs([10, 10 * MIN], [4, 1 * MIN], [5, 2 * MIN], [9, 9 * MIN]), 3, 5, 4],
    ];
    for (const [name, log, desired, stabilized, logLength] of cases)
        it(name, () => {
            const r = stabilizeRecommendation(log, desired, NOW, 5 * MIN);
            expect(r.replicas).toBe(stabilized);
            expect(r.recommendations).toHaveLength(logLength);
        });
});

describe("kubernetes horizontal_test.go TestNormalizeDesiredReplicasWithBehavior (stabilizeRecommendationWithBehaviors)", () => {
    const cases: [string, Recommendation[], number, number, number, number[] | undefined, number, number][] = [
        // name, recommendations, current, prenormalized, expected, expected stored recommendations, up window, down window
        ["empty recommendations for scaling down", [], 100, 5, 5, [5], 0, 0],
        ["simple scale down stabilization", recs([4, 2 * MIN], [5, 1 * MIN]), 100, 3, 5, [4, 5, 3], 0, 3 * MIN],
        ["simple scale up stabilization", recs([4, 2 * MIN], [5, 1 * MIN]), 1, 7, 4, [4, 5, 7], 5 * MIN, 0],
        ["no scale down stabilization", recs([1, 2 * MIN], [2, 1 * MIN]), 100, 3, 3, [1, 2, 3], 5 * MIN, 0],
        ["no scale up stabilization", recs([4, 2 * MIN], [5, 1 * MIN]), 1, 3, 3, [4, 5, 3], 0, 5 * MIN],
        ["no scale down stabilization, reuse recommendation element", recs([10, 10 * MIN], [9, 9 * MIN]), 100, 3, 3, [10, 3], 0, 0],
        ["no scale up stabilization, reuse recommendation element", recs([10, 10 * MIN], [9, 9 * MIN]), 1, 100, 100, [10, 100], 0, 0],
        ["scale down stabilization, reuse one of obsolete recommendation element", recs([10, 10 * MIN], [4, 1 * MIN], [5, 2 * MIN], [9, 9 * MIN]), 100, 3, 5, [10, 4, 5, 3], 0, 3 * MIN],
        ["scale up stabilization, reuse one of obsolete recommendation element", recs([10, 100 * MIN], [6, 1 * MIN], [5, 2 * MIN], [9, 3 * MIN]), 1, 100, 5, [100, 6, 5, 9], 300, 0],
        ["scale up and down stabilization, do not scale up when prenormalized rec goes down", recs([2, 100 * MIN], [3, 3 * MIN]), 2, 1, 2, undefined, 300, 300],
        ["scale up and down stabilization, do not scale down when prenormalized rec goes up", recs([2, 100 * MIN], [1, 3 * MIN]), 2, 3, 2, undefined, 300, 300],
    ];
    for (const [name, log, current, desired, expected, stored, up, down] of cases)
        it(name, () => {
            const r = stabilizeRecommendationWithBehaviors(log, { current, desired, upWindowSeconds: up, downWindowSeconds: down }, NOW);
            expect(r.replicas).toBe(expected);
            if (stored) expect(r.recommendations.map((x) => x.replicas)).toEqual(stored);
        });
});

describe("kubernetes horizontal_test.go TestConvertDesiredReplicasWithRules (no behavior: max(2 × current, 4))", () => {
    const cases: [string, number, number, number, number, number, string][] = [
        ["prenormalized desired replicas within range", 5, 7, 3, 8, 7, "DesiredWithinRange"],
        ["prenormalized desired replicas < minReplicas", 3, 1, 2, 8, 2, "TooFewReplicas"],
        ["prenormalized desired zeroed replicas within range", 1, 0, 0, 10, 0, "DesiredWithinRange"],
        ["maxReplicas is the limit because maxReplicas < scaleUpLimit", 20, 1000, 1, 10, 10, "TooManyReplicas"],
        // Upstream writes the expectation as calculateScaleUpLimit(3) (its test init() raises the factor to 8); ours is the production factor 2.
        ["scaleUpLimit is the limit because scaleUpLimit < maxReplicas", 3, 1000, 1, 2000, scaleUpLimit(3), "ScaleUpLimit"],
    ];
    for (const [name, current, desired, min, max, expected, reason] of cases)
        it(name, () => expect(convertDesiredReplicasWithRules(current, desired, min, max)).toEqual({ replicas: expected, reason }));
    it("calculateScaleUpLimit with the production factors (scaleUpLimitFactor 2, scaleUpLimitMinimum 4): 1 → 4, 3 → 6, 10 → 20", () => {
        expect([scaleUpLimit(1), scaleUpLimit(3), scaleUpLimit(10)]).toEqual([4, 6, 20]);
    });
});

describe("kubernetes horizontal_test.go TestCalculateScaleUpLimitWithScalingRules / TestCalculateScaleDownLimitWithBehaviors (Min select policy)", () => {
    const minPolicy: HpaScalingRules = {
        stabilizationWindowSeconds: 300,
        selectPolicy: "Min",
        policies: [
            { type: "Pods", value: 2, periodSeconds: 60 },
            { type: "Percent", value: 50, periodSeconds: 60 },
        ],
    };
    it("TestCalculateScaleUpLimitWithScalingRules: 1 replica → 2", () => expect(scaleUpLimitWithRules(1, [], [], minPolicy, NOW)).toBe(2));
    it("TestCalculateScaleDownLimitWithBehaviors: 5 replicas → 3", () => expect(scaleDownLimitWithRules(5, [], [], minPolicy, NOW)).toBe(3));
});

describe("kubernetes horizontal_test.go TestScalingWithRules (convertDesiredReplicasWithBehaviorRate)", () => {
    type Case = { name: string; up?: ScaleEvent[]; down?: ScaleEvent[]; min: number; max: number; upRules?: Partial<HpaScalingRules>; downRules?: Partial<HpaScalingRules>; current: number; desired: number; expected: number; reason: string };
    const cases: Case[] = [
        { name: "prenormalized desired replicas within range", current: 5, desired: 7, min: 3, max: 8, expected: 7, reason: "DesiredWithinRange" },
        { name: "prenormalized desired replicas < minReplicas", current: 3, desired: 1, min: 2, max: 8, expected: 2, reason: "TooFewReplicas" },
        { name: "prenormalized desired replicas within range when minReplicas is 0", current: 1, desired: 0, min: 0, max: 10, expected: 0, reason: "DesiredWithinRange" },
        { name: "maxReplicas is the limit because maxReplicas < scaleUpLimit", current: 20, desired: 1000, min: 1, max: 10, expected: 10, reason: "TooManyReplicas" },
        { name: "desired replica count is more than the maximum replica count", current: 100, desired: 1000, min: 100, max: 150, expected: 150, reason: "TooManyReplicas" },
        { name: "scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies", current: 3, desired: 1000, min: 1, max: 2000, upRules: rules(0, 0, 1, 60, 0), expected: 4, reason: "ScaleUpLimit" },
        // Upstream marks this case testThis and returns before asserting; its values hold here all the same.
        { name: "scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined policies", current: 1000, desired: 3, min: 3, max: 2000, downRules: rules(20, 60, 0, 0, 0), expected: 980, reason: "ScaleDownLimit" },
        { name: "scaleUp with default behavior", min: 1, max: 1000, current: 10, desired: 50, expected: 20, reason: "ScaleUpLimit" },
        { name: "scaleUp with pods policy larger than percent policy", min: 1, max: 1000, upRules: rules(100, 60, 100, 60, 0), current: 10, desired: 500, expected: 110, reason: "ScaleUpLimit" },
        { name: "scaleUp with percent policy larger than pods policy", min: 1, max: 1000, upRules: rules(2, 60, 100, 60, 0), current: 10, desired: 500, expected: 20, reason: "ScaleUpLimit" },
        { name: "scaleUp with spec MaxReplicas limitation with large pod policy", min: 1, max: 1000, upRules: rules(100, 60, 0, 0, 0), current: 10, desired: 50, expected: 50, reason: "DesiredWithinRange" },
        { name: "scaleUp with spec MaxReplicas limitation with large percent policy", min: 1, max: 1000, upRules: rules(10000, 60, 0, 0, 0), current: 10, desired: 50, expected: 50, reason: "DesiredWithinRange" },
        { name: "scaleUp with pod policy limitation", min: 1, max: 1000, upRules: rules(30, 60, 0, 0, 0), current: 10, desired: 50, expected: 40, reason: "ScaleUpLimit" },
        { name: "scaleUp with percent policy limitation", min: 1, max: 1000, upRules: rules(0, 0, 200, 60, 0), current: 10, desired: 50, expected: 30, reason: "ScaleUpLimit" },
        { name: "scaleDown with percent policy larger than pod policy", min: 1, max: 1000, downRules: rules(20, 60, 1, 60, 300), current: 100, desired: 2, expected: 80, reason: "ScaleDownLimit" },
        { name: "scaleDown with pod policy larger than percent policy", min: 1, max: 1000, downRules: rules(2, 60, 1, 60, 300), current: 100, desired: 2, expected: 98, reason: "ScaleDownLimit" },
        { name: "scaleDown with spec MinReplicas=nil limitation with large pod policy", min: 1, max: 1000, downRules: rules(100, 60, 0, 0, 300), current: 10, desired: 0, expected: 1, reason: "TooFewReplicas" },
        { name: "scaleDown with spec MinReplicas limitation with large pod policy", min: 1, max: 1000, downRules: rules(100, 60, 0, 0, 300), current: 10, desired: 0, expected: 1, reason: "TooFewReplicas" },
        { name: "scaleDown with spec MinReplicas limitation with large percent policy", min: 5, max: 1000, downRules: rules(0, 0, 100, 60, 300), current: 10, desired: 2, expected: 5, reason: "TooFewReplicas" },
        { name: "scaleDown with pod policy limitation", min: 1, max: 1000, downRules: rules(5, 60, 0, 0, 300), current: 10, desired: 2, expected: 5, reason: "ScaleDownLimit" },
        { name: "scaleDown with percent policy limitation", min: 1, max: 1000, downRules: rules(0, 0, 50, 60, 300), current: 10, desired: 5, expected: 5, reason: "DesiredWithinRange" },
        { name: "scaleUp with spec MaxReplicas limitation with large pod policy and events", up: events([1, 5, 9], 120), min: 1, max: 200, upRules: rules(300, 60, 0, 0, 0), current: 100, desired: 500, expected: 200, reason: "TooManyReplicas" },
        { name: "scaleUp with spec MaxReplicas limitation with large percent policy and events", up: events([1, 5, 9], 120), min: 1, max: 200, upRules: rules(0, 0, 10000, 60, 0), current: 100, desired: 500, expected: 200, reason: "TooManyReplicas" },
        { name: "scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events", up: events([1, 5, 9], 120), min: 1, max: 1000, upRules: rules(5, 120, 0, 0, 0), current: 100, desired: 500, expected: 100, reason: "ScaleUpLimit" },
        { name: "scaleUp with pod policy and previous scale up events", up: events([1, 5, 9], 120), min: 1, max: 1000, upRules: rules(150, 120, 0, 0, 0), current: 100, desired: 500, expected: 235, reason: "ScaleUpLimit" },
        { name: "scaleUp with percent policy and previous scale up events", up: events([1, 5, 9], 120), min: 1, max: 1000, upRules: rules(0, 0, 200, 120, 0), current: 100, desired: 500, expected: 255, reason: "ScaleUpLimit" },
        { name: "scaleUp with percent policy and previous scale up and down events", up: events([4], 120), down: events([2], 120), min: 1, max: 1000, upRules: rules(0, 0, 300, 300, 0), current: 6, desired: 24, expected: 16, reason: "ScaleUpLimit" },
        { name: "scaleDown with default policy and previous events", down: events([1, 5, 9], 120), min: 1, max: 1000, current: 10, desired: 5, expected: 5, reason: "DesiredWithinRange" },
        { name: "scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events", down: events([1, 5, 9], 120), min: 1, max: 1000, downRules: rules(115, 120, 0, 0, 300), current: 100, desired: 0, expected: 1, reason: "TooFewReplicas" },
        { name: "scaleDown with spec MinReplicas limitation with large pod policy and previous events", down: events([1, 5, 9], 120), min: 5, max: 1000, downRules: rules(130, 120, 0, 0, 300), current: 100, desired: 0, expected: 5, reason: "TooFewReplicas" },
        { name: "scaleDown with spec MinReplicas limitation with large percent policy and previous events", down: events([1, 5, 9], 120), min: 5, max: 1000, downRules: rules(0, 0, 100, 120, 300), current: 100, desired: 2, expected: 5, reason: "TooFewReplicas" },
        { name: "scaleDown with pod policy limitation and previous events", down: events([1, 5, 9], 120), min: 1, max: 1000, downRules: rules(5, 120, 0, 0, 300), current: 100, desired: 2, expected: 100, reason: "ScaleDownLimit" },
        { name: "scaleDown with percent policy limitation and previous events", down: events([2, 4, 6], 120), min: 1, max: 1000, downRules: rules(0, 0, 50, 120, 300), current: 100, desired: 0, expected: 56, reason: "ScaleDownLimit" },
        { name: "scaleDown with percent policy and previous scale up and down events", up: events([2], 120), down: events([4], 120), min: 1, max: 1000, downRules: rules(0, 0, 50, 180, 0), current: 10, desired: 1, expected: 6, reason: "ScaleDownLimit" },
        { name: "scaleDown with previous events preventing further scale down", down: events([10, 10, 10], 120), min: 1, max: 1000, downRules: rules(0, 0, 10, 120, 300), current: 100, desired: 0, expected: 100, reason: "ScaleDownLimit" },
        { name: "scaleDown with with previous events still allowing more scale down", down: events([10, 10, 10], 120), min: 1, max: 1000, downRules: rules(0, 0, 1000, 120, 300), current: 10, desired: 5, expected: 5, reason: "DesiredWithinRange" },
        { name: "check 'outdated' flag for events for one behavior for up", up: events([8, 12, 9, 11], 120), min: 1, max: 1000, upRules: rules(1000, 60, 0, 0, 0), current: 100, desired: 200, expected: 200, reason: "DesiredWithinRange" },
        { name: "check that events were not marked 'outdated' for two different policies in the behavior for up", up: events([8, 12, 9, 11], 120), min: 1, max: 1000, upRules: rules(1000, 120, 100, 60, 0), current: 100, desired: 200, expected: 200, reason: "DesiredWithinRange" },
        { name: "check that events were marked 'outdated' for two different policies in the behavior for up", up: events([8, 12, 9, 11], 120), min: 1, max: 1000, upRules: rules(1000, 30, 100, 60, 0), current: 100, desired: 200, expected: 200, reason: "DesiredWithinRange" },
        { name: "check 'outdated' flag for events for one behavior for down", down: events([8, 12, 9, 11], 120), min: 1, max: 1000, downRules: rules(1000, 60, 0, 0, 300), current: 100, desired: 5, expected: 5, reason: "DesiredWithinRange" },
        { name: "check that events were not marked 'outdated' for two different policies in the behavior for down", down: events([8, 12, 9, 11], 120), min: 1, max: 1000, downRules: rules(1000, 120, 100, 60, 300), current: 100, desired: 5, expected: 5, reason: "DesiredWithinRange" },
        { name: "check that events were marked 'outdated' for two different policies in the behavior for down", down: events([8, 12, 9, 11], 120), min: 1, max: 1000, downRules: rules(1000, 30, 100, 60, 300), current: 100, desired: 5, expected: 5, reason: "DesiredWithinRange" },
    ];
    for (const c of cases)
        it(c.name, () => {
            const behavior = fillBehavior({ scaleUp: c.upRules, scaleDown: c.downRules })!;
            const got = convertDesiredReplicasWithBehaviorRate({ current: c.current, desired: c.desired, min: c.min, max: c.max, behavior, scaleUpEvents: c.up ?? [], scaleDownEvents: c.down ?? [] }, NOW);
            expect(got).toEqual({ replicas: c.expected, reason: c.reason });
        });
});

describe("kubernetes horizontal_test.go TestStoreScaleEvents (events kept only with a behavior; outdated slots reused)", () => {
    const ev = (change: number, age: number, outdated = false): ScaleEvent => ({ change, at: NOW - age, outdated });
    const cases: [string, ScaleEvent[], [number, boolean][], Partial<HpaScalingRules> | undefined, number][] = [
        ["empty entries with default behavior", [], [], undefined, 0],
        ["empty entries with two-policy-behavior", [], [[5, false]], rules(10, 60, 100, 60, 0), 0],
        ["one outdated entry to be kept untouched without behavior", [ev(7, 61)], [[7, false]], undefined, 0],
        ["one outdated entry to be replaced with behavior", [ev(7, 61)], [[5, false]], rules(10, 60, 100, 60, 0), 0],
        ["one actual entry to be not touched with behavior", [ev(7, 58)], [[7, false], [5, false]], rules(10, 60, 100, 60, 0), 7],
        ["two entries, one of them to be replaced", [ev(7, 61), ev(6, 59)], [[5, false], [6, false]], rules(10, 60, 0, 0, 0), 6],
        ["replace one entry, use policies with different periods", [ev(8, 29), ev(6, 59), ev(7, 61), ev(9, 61)], [[8, false], [6, false], [7, true], [5, false]], rules(10, 60, 100, 30, 0), 14],
        ["two entries, both actual", [ev(7, 58), ev(6, 59)], [[7, false], [6, false], [5, false]], rules(10, 120, 100, 30, 0), 13],
    ];
    for (const [name, prev, next, r, change] of cases)
        it(name, () => {
            expect(replicasChangePerPeriod(60, prev, NOW)).toBe(change);
            const up = storeScaleEvent({ ...NO_HPA_MEMORY, scaleUpEvents: prev }, r && fillBehavior({ scaleUp: r }), 10, 15, NOW);
            expect(up.scaleUpEvents.map((e) => [e.change, e.outdated])).toEqual(next);
            const down = storeScaleEvent({ ...NO_HPA_MEMORY, scaleDownEvents: prev }, r && fillBehavior({ scaleDown: r }), 10, 5, NOW);
            expect(down.scaleDownEvents.map((e) => [e.change, e.outdated])).toEqual(next);
        });
});

describe("kubernetes replica_calculator_test.go: External metric with an AverageValue target (what KEDA renders), tolerance 0.1", () => {
    const tol = { scaleUp: 0.1, scaleDown: 0.1 };
    it("TestReplicaCalcScaleUpPerPodCMExternal: 3 replicas, 8600 over 2150 per pod → 4", () => expect(externalPerPodReplicas(3, 8600, 2150, tol)).toBe(4));
    it("TestReplicaCalcScaleDownPerPodCMExternal: 5 replicas, 8600 over 2867 per pod → 3", () => expect(externalPerPodReplicas(5, 8600, 2867, tol)).toBe(3));
    it("TestReplicaCalcTolerancePerPodCMExternal: 3 replicas, 8600 over 2900 per pod (ratio 0.99) → 3", () => expect(externalPerPodReplicas(3, 8600, 2900, tol)).toBe(3));
});

describe("kubernetes horizontal_test.go: reconcileAutoscaler's bounds come before any metric (no metrics reported)", () => {
    const hpa = (min: number, max: number) => ({ minReplicas: min, maxReplicas: max, targetAverageValue: 1 });
    // NaN as the metric: these branches must not read it (upstream reports no metrics at all).
    const run = (min: number, max: number, replicas: number) => hpaReconcile(hpa(min, max), NO_HPA_MEMORY, { specReplicas: replicas, statusReplicas: replicas, metric: NaN }, NOW).replicas;
    it("TestZeroReplicas: min 3, max 5, 0 replicas → 0 (scaling disabled)", () => expect(run(3, 5, 0)).toBe(0));
    it("TestTooFewReplicas: min 3, max 5, 2 replicas → 3", () => expect(run(3, 5, 2)).toBe(3));
    it("TestTooManyReplicas: min 3, max 5, 10 replicas → 5", () => expect(run(3, 5, 10)).toBe(5));
    it("TestScaleUpRCImmediately: min 2, max 6, 1 replica → 2", () => expect(run(2, 6, 1)).toBe(2));
    it("TestScaleDownRCImmediately: min 2, max 5, 6 replicas → 5", () => expect(run(2, 5, 6)).toBe(5));
});
