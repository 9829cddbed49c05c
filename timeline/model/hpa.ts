/**
 * The Kubernetes HPA controller as it treats the HPA KEDA creates for a ScaledObject (one External metric with an
 * AverageValue target), written from kubernetes/kubernetes pkg/controller/podautoscaler at commit 003e86297d
 * (horizontal.go, replica_calculator.go; the function named in each comment) and pkg/apis/autoscaling/v2/defaults.go
 * (1.33+, with behavior tolerance). The algorithm has been the same from 1.23 through 1.36 apart from per-HPA
 * tolerance (1.33+); we model the 1.35 HPA that AKS's default and KEDA 2.20's tested versions share. Times are in
 * seconds; the controller's time.Now() is the `now` argument. Pure: every function returns new state.
 */

export type SelectPolicy = "Max" | "Min" | "Disabled";

export interface HpaPolicy {
    readonly type: "Pods" | "Percent";
    readonly value: number;
    readonly periodSeconds: number;
}

/** behavior.scaleUp / behavior.scaleDown with every field filled (GenerateHPAScaleUpRules/-DownRules). */
export interface HpaScalingRules {
    readonly stabilizationWindowSeconds: number;
    readonly selectPolicy: SelectPolicy;
    readonly policies: readonly HpaPolicy[];
    /** behavior.*.tolerance (1.33+); undefined = the controller's --horizontal-pod-autoscaler-tolerance. */
    readonly tolerance?: number;
}

/** spec.behavior as written (KEDA copies advanced.horizontalPodAutoscalerConfig.behavior verbatim: controllers/keda/hpa.go 79-84). */
export interface HpaBehaviorInput {
    readonly scaleUp?: Partial<HpaScalingRules>;
    readonly scaleDown?: Partial<HpaScalingRules>;
}

export interface HpaBehavior {
    readonly scaleUp: HpaScalingRules;
    readonly scaleDown: HpaScalingRules;
}

/** kube-controller-manager defaults (AKS does not expose them): --horizontal-pod-autoscaler-sync-period 15 s, -tolerance 0.1, -downscale-stabilization 5m. */
export const HPA_SYNC_SECONDS = 15;
export const HPA_TOLERANCE = 0.1;
export const HPA_DOWNSCALE_STABILIZATION_SECONDS = 300;

/**
 * defaults.go: a behavior that is set gets its missing halves from defaultHPAScaleUpRules (no stabilization, Max of
 * 4 Pods and 100 % per 15 s) and defaultHPAScaleDownRules (Max, 100 % per 15 s, window unset → the controller's
 * downscale stabilization: horizontal.go maybeInitScaleDownStabilizationWindow). A behavior that is not set stays nil.
 */
export function fillBehavior(b: HpaBehaviorInput | undefined, downscaleWindow = HPA_DOWNSCALE_STABILIZATION_SECONDS): HpaBehavior | undefined {
    if (!b) return undefined;
    return {
        scaleUp: {
            stabilizationWindowSeconds: 0,
            selectPolicy: "Max",
            policies: [
                { type: "Pods", value: 4, periodSeconds: 15 },
                { type: "Percent", value: 100, periodSeconds: 15 },
            ],
            ...stripUndefined(b.scaleUp),
        },
        scaleDown: { stabilizationWindowSeconds: downscaleWindow, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }], ...stripUndefined(b.scaleDown) },
    };
}

const stripUndefined = <T extends object>(o: T | undefined): Partial<T> => Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;

export interface Tolerances {
    readonly scaleUp: number;
    readonly scaleDown: number;
}

/** replica_calculator.go Tolerances.isWithin: 1 − down ≤ ratio ≤ 1 + up means "close enough, keep the count". */
export const withinTolerance = (ratio: number, t: Tolerances) => 1 - t.scaleDown <= ratio && ratio <= 1 + t.scaleUp;

/**
 * replica_calculator.go GetExternalPerPodMetricReplicas (External metric, AverageValue target: what KEDA renders):
 * ratio = usage / (target × status.replicas); inside the tolerance the count stays status.replicas, outside it is
 * ceil(usage / target). The queue length KEDA reports is the raw value even below activation (point 8: KEDA's
 * scale_handler.go GetScaledObjectMetrics 694-753 returns the scaler's metrics whatever its activity).
 */
export function externalPerPodReplicas(statusReplicas: number, usage: number, targetPerPod: number, tolerances: Tolerances): number {
    const ratio = usage / (targetPerPod * statusReplicas);
    return withinTolerance(ratio, tolerances) ? statusReplicas : Math.ceil(usage / targetPerPod);
}

export interface Recommendation {
    readonly replicas: number;
    readonly at: number;
}

export interface ScaleEvent {
    /** Replicas added (up events) or removed (down events), non-negative. */
    readonly change: number;
    readonly at: number;
    readonly outdated: boolean;
}

/** What the controller keeps per HPA between syncs (horizontal.go recommendations, scaleUpEvents, scaleDownEvents). */
export interface HpaMemory {
    /** undefined until the first sync records the current count (recordInitialRecommendation). */
    readonly recommendations?: readonly Recommendation[];
    readonly scaleUpEvents: readonly ScaleEvent[];
    readonly scaleDownEvents: readonly ScaleEvent[];
}

export const NO_HPA_MEMORY: HpaMemory = { scaleUpEvents: [], scaleDownEvents: [] };

/** Records `desired` in the slot of the last sample found old, else appends (both stabilize functions). */
function record(recs: readonly Recommendation[], oldIndex: number | undefined, desired: number, now: number): Recommendation[] {
    const next = [...recs];
    if (oldIndex !== undefined) next[oldIndex] = { replicas: desired, at: now };
    else next.push({ replicas: desired, at: now });
    return next;
}

/**
 * horizontal.go stabilizeRecommendation (no behavior): the highest recommendation not older than the window, the new
 * one included — applied at once, not after the whole window has wanted fewer (issue 24 point 2).
 */
export function stabilizeRecommendation(recs: readonly Recommendation[], desired: number, now: number, windowSeconds: number): { replicas: number; recommendations: Recommendation[] } {
    let highest = desired;
    let oldIndex: number | undefined;
    const cutoff = now - windowSeconds;
    recs.forEach((r, i) => {
        if (r.at < cutoff) oldIndex = i;
        else if (r.replicas > highest) highest = r.replicas;
    });
    return { replicas: highest, recommendations: record(recs, oldIndex, desired, now) };
}

/**
 * horizontal.go stabilizeRecommendationWithBehaviors: the current count is raised to the lowest recommendation of the
 * scale-up window and lowered to the highest of the scale-down window (a sample counts when strictly newer than the
 * cutoff; it is reusable when strictly older than both).
 */
export function stabilizeRecommendationWithBehaviors(
    recs: readonly Recommendation[],
    a: { current: number; desired: number; upWindowSeconds: number; downWindowSeconds: number },
    now: number,
): { replicas: number; recommendations: Recommendation[] } {
    let up = a.desired;
    let down = a.desired;
    let oldIndex: number | undefined;
    const upCutoff = now - a.upWindowSeconds;
    const downCutoff = now - a.downWindowSeconds;
    recs.forEach((r, i) => {
        if (r.at > upCutoff) up = Math.min(r.replicas, up);
        if (r.at > downCutoff) down = Math.max(r.replicas, down);
        if (r.at < upCutoff && r.at < downCutoff) oldIndex = i;
    });
    const replicas = Math.min(Math.max(a.current, up), down);
    return { replicas, recommendations: record(recs, oldIndex, a.desired, now) };
}

/** horizontal.go calculateScaleUpLimit: without a behavior the HPA at most doubles, and always allows 4 (issue 24 point 1). */
export const scaleUpLimit = (current: number) => Math.trunc(Math.max(2 * current, 4));

export interface Normalized {
    readonly replicas: number;
    /** The ScalingLimited reason the controller sets: DesiredWithinRange, ScaleUpLimit, TooManyReplicas, ScaleDownLimit, TooFewReplicas. */
    readonly reason: string;
}

/** horizontal.go convertDesiredReplicasWithRules (no behavior): [min, min(max, scaleUpLimit)]. */
export function convertDesiredReplicasWithRules(current: number, desired: number, min: number, max: number): Normalized {
    const limit = scaleUpLimit(current);
    const [upper, upperReason] = max > limit ? [limit, "ScaleUpLimit"] : [max, "TooManyReplicas"];
    if (desired < min) return { replicas: min, reason: "TooFewReplicas" };
    if (desired > upper) return { replicas: upper, reason: upperReason };
    return { replicas: desired, reason: "DesiredWithinRange" };
}

/** horizontal.go getReplicasChangePerPeriod: replicas changed by events strictly newer than now − period. */
export const replicasChangePerPeriod = (periodSeconds: number, events: readonly ScaleEvent[], now: number) =>
    events.reduce((sum, e) => (e.at > now - periodSeconds ? sum + e.change : sum), 0);

/** horizontal.go calculateScaleUpLimitWithScalingRules: each policy from the count at its period's start; Max picks the largest, Min the smallest. */
export function scaleUpLimitWithRules(current: number, up: readonly ScaleEvent[], down: readonly ScaleEvent[], rules: HpaScalingRules, now: number): number {
    if (rules.selectPolicy === "Disabled") return current;
    const proposals = rules.policies.map((p) => {
        const start = current - replicasChangePerPeriod(p.periodSeconds, up, now) + replicasChangePerPeriod(p.periodSeconds, down, now);
        // Rounded up "because the proposed change might not increase the replica count".
        return p.type === "Pods" ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    });
    return rules.selectPolicy === "Min" ? Math.min(...proposals) : Math.max(...proposals);
}

/** horizontal.go calculateScaleDownLimitWithBehaviors: Percent truncates (int32 conversion); Max picks the lowest floor, Min the highest. */
export function scaleDownLimitWithRules(current: number, up: readonly ScaleEvent[], down: readonly ScaleEvent[], rules: HpaScalingRules, now: number): number {
    if (rules.selectPolicy === "Disabled") return current;
    const proposals = rules.policies.map((p) => {
        const start = current - replicasChangePerPeriod(p.periodSeconds, up, now) + replicasChangePerPeriod(p.periodSeconds, down, now);
        return p.type === "Pods" ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    });
    return rules.selectPolicy === "Min" ? Math.max(...proposals) : Math.min(...proposals);
}

/** horizontal.go convertDesiredReplicasWithBehaviorRate: the rate policies bound the move; the bound never reverses it. */
export function convertDesiredReplicasWithBehaviorRate(
    a: { current: number; desired: number; min: number; max: number; behavior: HpaBehavior; scaleUpEvents: readonly ScaleEvent[]; scaleDownEvents: readonly ScaleEvent[] },
    now: number,
): Normalized {
    if (a.desired > a.current) {
        const limit = Math.max(a.current, scaleUpLimitWithRules(a.current, a.scaleUpEvents, a.scaleDownEvents, a.behavior.scaleUp, now));
        const [upper, reason] = a.max > limit ? [limit, "ScaleUpLimit"] : [a.max, "TooManyReplicas"];
        if (a.desired > upper) return { replicas: upper, reason };
    } else if (a.desired < a.current) {
        const limit = Math.min(a.current, scaleDownLimitWithRules(a.current, a.scaleUpEvents, a.scaleDownEvents, a.behavior.scaleDown, now));
        const [lower, reason] = a.min < limit ? [limit, "ScaleDownLimit"] : [a.min, "TooFewReplicas"];
        if (a.desired < lower) return { replicas: lower, reason };
    }
    return { replicas: a.desired, reason: "DesiredWithinRange" };
}

/** horizontal.go getLongestPolicyPeriod + markScaleEventsOutdated + storeScaleEvent: events only with a behavior; outdated slots are reused. */
export function storeScaleEvent(mem: HpaMemory, behavior: HpaBehavior | undefined, prev: number, next: number, now: number): HpaMemory {
    if (!behavior) return mem;
    const upward = next > prev;
    const rules = upward ? behavior.scaleUp : behavior.scaleDown;
    const longest = rules.policies.reduce((m, p) => Math.max(m, p.periodSeconds), 0);
    const events = (upward ? mem.scaleUpEvents : mem.scaleDownEvents).map((e) => (e.at < now - longest ? { ...e, outdated: true } : e));
    const slot = events.reduce((last, e, i) => (e.outdated ? i : last), -1);
    const event = { change: Math.abs(next - prev), at: now, outdated: false };
    if (slot >= 0) events[slot] = event;
    else events.push(event);
    return upward ? { ...mem, scaleUpEvents: events } : { ...mem, scaleDownEvents: events };
}

/** The HPA KEDA creates for a ScaledObject, as the controller reads it. */
export interface HpaSpec {
    /** spec.minReplicas (KEDA: max(minReplicaCount, 1), scaledobject_types.go GetHPAMinReplicas 303-309). */
    readonly minReplicas: number;
    readonly maxReplicas: number;
    /** The External metric's AverageValue target (the trigger's queueLength / messageCount). */
    readonly targetAverageValue: number;
    readonly behavior?: HpaBehavior;
    /** Defaults HPA_TOLERANCE / HPA_DOWNSCALE_STABILIZATION_SECONDS (cluster flags). */
    readonly tolerance?: number;
    readonly downscaleStabilizationSeconds?: number;
}

export interface HpaSyncResult {
    readonly replicas: number;
    readonly memory: HpaMemory;
    /** Why (horizontal.go reconcileAutoscaler's rescale reasons / ScalingLimited reasons), for logs and tests. */
    readonly reason: string;
}

/**
 * horizontal.go reconcileAutoscaler for one sync: a target at 0 is left alone (ScalingDisabled: KEDA owns 0 ↔ 1);
 * above max or below min it is set to the bound at once, with no metric and no stabilization (issue 24 point 5);
 * otherwise the metric's proposal goes through the tolerance (point 4), then normalizeDesiredReplicas (no behavior:
 * stabilization window, max(2 × current, 4)) or normalizeDesiredReplicasWithBehaviors (stabilization windows and
 * rate policies: points 1–3). `statusReplicas` is the target's status.replicas (pods that exist).
 */
export function hpaReconcile(hpa: HpaSpec, mem: HpaMemory, s: { specReplicas: number; statusReplicas: number; metric: number }, now: number): HpaSyncResult {
    const current = s.specReplicas;
    // recordInitialRecommendation: the first sync remembers the count it found.
    const memory: HpaMemory = mem.recommendations ? mem : { ...mem, recommendations: [{ replicas: current, at: now }] };
    const min = hpa.minReplicas;
    if (current === 0 && min !== 0) return { replicas: 0, memory, reason: "ScalingDisabled" };
    let desired: number;
    let reason: string;
    if (current > hpa.maxReplicas) [desired, reason] = [hpa.maxReplicas, "Current number of replicas above Spec.MaxReplicas"];
    else if (current < min) [desired, reason] = [min, "Current number of replicas below Spec.MinReplicas"];
    else {
        const tol = hpa.tolerance ?? HPA_TOLERANCE;
        const tolerances = { scaleUp: hpa.behavior?.scaleUp.tolerance ?? tol, scaleDown: hpa.behavior?.scaleDown.tolerance ?? tol };
        const proposal = Math.max(0, externalPerPodReplicas(s.statusReplicas, s.metric, hpa.targetAverageValue, tolerances));
        const recs = memory.recommendations!;
        let stabilized: { replicas: number; recommendations: Recommendation[] };
        let normalized: Normalized;
        if (!hpa.behavior) {
            stabilized = stabilizeRecommendation(recs, proposal, now, hpa.downscaleStabilizationSeconds ?? HPA_DOWNSCALE_STABILIZATION_SECONDS);
            normalized = convertDesiredReplicasWithRules(current, stabilized.replicas, min, hpa.maxReplicas);
        } else {
            const b = hpa.behavior;
            stabilized = stabilizeRecommendationWithBehaviors(
                recs,
                { current, desired: proposal, upWindowSeconds: b.scaleUp.stabilizationWindowSeconds, downWindowSeconds: b.scaleDown.stabilizationWindowSeconds },
                now,
            );
            normalized = convertDesiredReplicasWithBehaviorRate(
                { current, desired: stabilized.replicas, min, max: hpa.maxReplicas, behavior: b, scaleUpEvents: memory.scaleUpEvents, scaleDownEvents: memory.scaleDownEvents },
                now,
            );
        }
        desired = normalized.replicas;
        reason = normalized.reason;
        const next = { ...memory, recommendations: stabilized.recommendations };
        if (desired === current) return { replicas: current, memory: next, reason };
        return { replicas: desired, memory: storeScaleEvent(next, hpa.behavior, current, desired, now), reason };
    }
    return { replicas: desired, memory: storeScaleEvent(memory, hpa.behavior, current, desired, now), reason };
}
