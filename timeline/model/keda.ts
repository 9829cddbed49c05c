/**
 * KEDA's own arithmetic, as kedacore/keda v2.20.2 computes it (pure; `simulate` and the emulation of issue 16 both
 * call these). Line numbers are of the v2.20.2 tag. The HPA that KEDA hands a ScaledObject to is in hpa.ts.
 *
 * ScaledJob, per poll (scale_handler.go checkScalers → getScaledJobState → executor RequestJobScale):
 *   scaledJobMetrics      the triggers' queue lengths and max scales combined (scaledjob/metrics.go);
 *   scaledJobDecision     getScalingDecision + the strategy's GetEffectiveMaxScale (scale_jobs.go);
 *   jobsToCreate          createJobs: min(scaleTo, effectiveMaxScale) Jobs, only while active;
 *   jobsToDelete          cleanUp: finished Jobs past the history limits, deleted through the same client.
 * ScaledObject, per poll: scaledObjectPoll (scale_scaledobjects.go RequestScale); every HPA sync: hpaSync (hpa.ts).
 */
import { fillBehavior, hpaReconcile, NO_HPA_MEMORY, type HpaBehaviorInput, type HpaMemory, type HpaSpec } from "./hpa";

export { HPA_SYNC_SECONDS } from "./hpa";

export type ScalingStrategy = "default" | "accurate" | "eager";

/** One trigger's reading at a poll: the scaler's metric, its AverageValue target and its activity (value > activation). */
export interface TriggerReading {
    readonly queueLength: number;
    readonly target: number;
    readonly active: boolean;
}

export type MultipleScalersCalculation = "max" | "min" | "avg" | "sum";

export interface ScaledJobMetrics {
    readonly active: boolean;
    /** ceil of the combined queue length: the scaleTo KEDA passes on. */
    readonly queueLength: number;
    /** ceil(min(combined queueLength / target, maxReplicaCount)): the maxScale KEDA passes on. */
    readonly maxScale: number;
}

/**
 * scaledjob/metrics.go CalculateQueueLengthAndMaxValue (31-45: a trigger's maxValue = min(queueLength / target, max))
 * and IsScaledJobActive (54-108): only ACTIVE triggers contribute to the combination (issue 24 point 8 — a trigger
 * at or below its activation adds no queue length, even when minReplicaCount > 0 makes the ScaledJob active, 102-104);
 * the combined max value is capped at maxReplicaCount again and both are rounded up (106-107).
 */
export function scaledJobMetrics(triggers: readonly TriggerReading[], calculation: MultipleScalersCalculation, minReplicaCount: number, maxReplicaCount: number): ScaledJobMetrics {
    const per = triggers.map((t) => ({ ...t, maxValue: t.target !== 0 ? Math.min(t.queueLength / t.target, maxReplicaCount) : 0 }));
    const active = per.filter((t) => t.active);
    let queueLength = 0;
    let maxValue = 0;
    switch (calculation) {
        case "min":
            for (const t of active)
                if (queueLength === 0 || t.queueLength < queueLength) {
                    queueLength = t.queueLength;
                    maxValue = t.maxValue;
                }
            break;
        case "avg":
            if (active.length) {
                queueLength = active.reduce((s, t) => s + t.queueLength, 0) / active.length;
                maxValue = active.reduce((s, t) => s + t.maxValue, 0) / active.length;
            }
            break;
        case "sum":
            queueLength = active.reduce((s, t) => s + t.queueLength, 0);
            maxValue = active.reduce((s, t) => s + t.maxValue, 0);
            break;
        case "max":
            for (const t of active)
                if (t.queueLength > queueLength) {
                    queueLength = t.queueLength;
                    maxValue = t.maxValue;
                }
            break;
    }
    return { active: active.length > 0 || minReplicaCount > 0, queueLength: Math.ceil(queueLength), maxScale: Math.ceil(Math.min(maxValue, maxReplicaCount)) };
}

/**
 * The strategies' GetEffectiveMaxScale (scale_jobs.go 455-495) → [effectiveMaxScale, scaleTo]. `running` is
 * already net of minReplicaCount (getScalingDecision passes runningJobCount − minReplicaCount).
 */
export function effectiveMaxScale(strategy: ScalingStrategy, maxScale: number, running: number, pending: number, maxReplicaCount: number, scaleTo: number): [number, number] {
    switch (strategy) {
        case "default":
            return [maxScale - running, scaleTo];
        case "accurate":
            return maxScale + running - pending > maxReplicaCount ? [maxReplicaCount - running, scaleTo] : [maxScale - pending, scaleTo];
        case "eager":
            return [Math.min(maxReplicaCount - running - pending, maxScale), maxReplicaCount];
    }
}

/**
 * scale_jobs.go getScalingDecision (105-117): below minReplicaCount the gap to it is both the effective max and the
 * count; otherwise the strategy decides with running − minReplicaCount. `running` counts Jobs not finished
 * (getRunningJobCount 220-242), `pending` those of them with no pod Running or Succeeded (getPendingJobCount 303-333).
 */
export function scaledJobDecision(strategy: ScalingStrategy, minReplicaCount: number, maxReplicaCount: number, running: number, scaleTo: number, maxScale: number, pending: number): [number, number] {
    if (running < minReplicaCount) return [minReplicaCount - running, minReplicaCount - running];
    return effectiveMaxScale(strategy, maxScale, running - minReplicaCount, pending, maxReplicaCount, scaleTo);
}

/** scale_jobs.go RequestJobScale 53-65 + createJobs 119-141: nothing unless active and the effective max is positive. */
export function jobsToCreate(active: boolean, effectiveMax: number, scaleTo: number): number {
    const max = Math.max(0, effectiveMax);
    if (!active || max <= 0) return 0;
    return Math.min(scaleTo, max);
}

/**
 * scale_jobs.go cleanUp (336-382) + deleteJobsWithHistoryLimit (384-402), run at the end of every poll: finished Jobs
 * beyond successfulJobsHistoryLimit / failedJobsHistoryLimit (default 100 each, 38-41) are deleted one Delete call each,
 * through the same controller-runtime client — the same token bucket — as the Creates (issue 24 point 7).
 */
export function jobsToDelete(succeeded: number, failed: number, successfulJobsHistoryLimit = 100, failedJobsHistoryLimit = 100): number {
    return Math.max(0, succeeded - successfulJobsHistoryLimit) + Math.max(0, failed - failedJobsHistoryLimit);
}

export interface ScaledJobState {
    readonly queueLength: number;
    /** Jobs not finished (pending ones included). */
    readonly running: number;
    /** Unfinished Jobs with no pod Running or Succeeded yet. */
    readonly pending: number;
}

export interface ScaledJobSpec {
    readonly strategy: ScalingStrategy;
    /** queueLength / messageCount: messages per Job. */
    readonly target: number;
    readonly activation: number;
    readonly minReplicaCount: number;
    readonly maxReplicaCount: number;
}

/**
 * Jobs KEDA creates at one poll of a one-trigger ScaledJob (our stacks render one queue trigger). The trigger is
 * active when the queue length is above activation (azure_queue_scaler.go 145-146, azure_servicebus_scaler.go 225-227).
 */
export function scaledJobJobsToCreate(spec: ScaledJobSpec, s: ScaledJobState): number {
    const m = scaledJobMetrics([{ queueLength: s.queueLength, target: spec.target, active: s.queueLength > spec.activation }], "max", spec.minReplicaCount, spec.maxReplicaCount);
    const [effective, scaleTo] = scaledJobDecision(spec.strategy, spec.minReplicaCount, spec.maxReplicaCount, s.running, m.queueLength, m.maxScale, s.pending);
    return jobsToCreate(m.active, effective, scaleTo);
}

export interface ScaledObjectSpec {
    readonly target: number;
    readonly activation: number;
    readonly minReplicaCount: number;
    readonly maxReplicaCount: number;
}

export interface ScaledObjectLoopSpec extends ScaledObjectSpec {
    readonly cooldownPeriod: number;
    /** spec.idleReplicaCount (KEDA allows only 0 below min); undefined when not set. */
    readonly idleReplicaCount?: number;
    /** spec.advanced.horizontalPodAutoscalerConfig.behavior, passed to the HPA as is; undefined when not set. */
    readonly hpaBehavior?: HpaBehaviorInput;
}

/** What KEDA and the HPA keep between steps of a ScaledObject (times in seconds). */
export interface ScaledObjectState {
    /** The Deployment's spec.replicas, written by KEDA (0 ↔ active) and by the HPA (the rest). */
    readonly replicas: number;
    /** status.lastActiveTime; undefined = nil (never active since the ScaledObject was created). */
    readonly lastActiveAt?: number;
    readonly hpa: HpaMemory;
}

export const initialScaledObjectState = (replicas: number): ScaledObjectState => ({ replicas, hpa: NO_HPA_MEMORY });

/**
 * scale_scaledobjects.go RequestScale (57-114), one poll:
 *   active:   at 0 (or below min with idleReplicaCount set) → scaleFromZeroOrIdle: min if > 0, else 1 (247-252);
 *             otherwise only lastActiveTime moves (79-80);
 *   inactive: above idleReplicaCount, or above 0 with min 0 → scaleToZeroOrIdle once lastActiveTime + cooldownPeriod
 *             has passed (212-213; nil lastActiveTime with the default initialCooldownPeriod 0 → at once) to
 *             idleReplicaCount if set, else minReplicaCount (321-330);
 *             below min with no idleReplicaCount → straight to min (102-109; issue 24 point 6).
 * The cooldown test is `lastActive + cooldown before now`; polls here land exactly on multiples of pollingInterval
 * while the real loop drifts later each period (startScaleLoop 187-198 arms the timer, then checks), so equality counts
 * as passed.
 */
export function scaledObjectPoll(spec: ScaledObjectLoopSpec, s: ScaledObjectState, queueLength: number, t: number): ScaledObjectState {
    const active = queueLength > spec.activation;
    const min = spec.minReplicaCount;
    const idle = spec.idleReplicaCount;
    const cur = s.replicas;
    if (active) {
        if ((idle !== undefined && cur < min) || cur === 0) return { ...s, replicas: min > 0 ? min : 1, lastActiveAt: t };
        return { ...s, lastActiveAt: t };
    }
    if ((idle !== undefined && cur > idle) || (cur > 0 && min === 0)) {
        const cooled = s.lastActiveAt === undefined || t - s.lastActiveAt >= spec.cooldownPeriod;
        return cooled ? { ...s, replicas: idle ?? min } : s;
    }
    if (idle === undefined && cur < min) return { ...s, replicas: min };
    return s;
}

/** The HPA KEDA creates (controllers/keda/hpa.go 79-84, 161-169): min = max(minReplicaCount, 1), behavior verbatim. */
export function hpaFor(spec: ScaledObjectLoopSpec): HpaSpec {
    return { minReplicas: Math.max(spec.minReplicaCount, 1), maxReplicas: spec.maxReplicaCount, targetAverageValue: spec.target, behavior: fillBehavior(spec.hpaBehavior) };
}

/**
 * One HPA sync (every HPA_SYNC_SECONDS) over the raw queue length — also below activation (point 8). `now` is the
 * sync's time; status.replicas is taken as spec.replicas (the Deployment controller creates pods within the step).
 */
export function hpaSync(spec: ScaledObjectLoopSpec, s: ScaledObjectState, queueLength: number, now: number): ScaledObjectState {
    const r = hpaReconcile(hpaFor(spec), s.hpa, { specReplicas: s.replicas, statusReplicas: s.replicas, metric: queueLength }, now);
    return { ...s, replicas: r.replicas, hpa: r.memory };
}
