/**
 * KEDA's arithmetic, as kedacore/keda v2.20.2 computes it (pure; the emulation of issue 16 applies the same rules to
 * a real queue).
 *
 * ScaledJob, per poll (FACTS §9):
 *   pkg/scaling/scaledjob/metrics.go CalculateQueueLengthAndMaxValue / IsScaledJobActive:
 *     maxScale = ceil(min(queueLength / target, maxReplicaCount)),  scaleTo = ceil(queueLength)
 *   pkg/scaling/executor/scale_jobs.go getScalingDecision + GetEffectiveMaxScale, then createJobs creates
 *   min(scaleTo, effectiveMaxScale) Jobs (nothing when ≤ 0):
 *     running < min:  effectiveMaxScale = scaleTo = min − running
 *     default:   effectiveMaxScale = maxScale − running
 *     accurate:  maxScale + running − pending > max ? max − running : maxScale − pending
 *     eager:     effectiveMaxScale = min(max − running − pending, maxScale), scaleTo = max
 *   where running = Jobs not finished, minus minReplicaCount; pending = unfinished Jobs none of whose pods is Running
 *   or Succeeded (getPendingJobCount). Jobs are created only while the scaler is active: queueLength > activation
 *   (or minReplicaCount > 0).
 * ScaledObject: KEDA activates 0 → 1 itself at a poll; above that the HPA (AverageValue target) wants
 *   ceil(queueLength / target) replicas within [max(min, 1), max] (kubernetes HPA algorithm).
 */

export type ScalingStrategy = "default" | "accurate" | "eager";

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

/** Jobs KEDA creates at one poll (scale_jobs.go RequestJobScale → createJobs). */
export function scaledJobJobsToCreate(spec: ScaledJobSpec, s: ScaledJobState): number {
    const active = s.queueLength > spec.activation || spec.minReplicaCount > 0;
    if (!active) return 0;
    const maxScale = Math.ceil(Math.min(s.queueLength / spec.target, spec.maxReplicaCount));
    let scaleTo = Math.ceil(s.queueLength);
    let effective: number;
    if (s.running < spec.minReplicaCount) {
        scaleTo = effective = spec.minReplicaCount - s.running;
    } else {
        const running = s.running - spec.minReplicaCount;
        switch (spec.strategy) {
            case "default":
                effective = maxScale - running;
                break;
            case "accurate":
                effective = maxScale + running - s.pending > spec.maxReplicaCount ? spec.maxReplicaCount - running : maxScale - s.pending;
                break;
            case "eager":
                effective = Math.min(spec.maxReplicaCount - running - s.pending, maxScale);
                scaleTo = spec.maxReplicaCount;
                break;
        }
    }
    effective = Math.max(0, effective);
    return effective <= 0 ? 0 : Math.min(scaleTo, effective);
}

export interface ScaledObjectSpec {
    readonly target: number;
    readonly activation: number;
    readonly minReplicaCount: number;
    readonly maxReplicaCount: number;
}

/** Replicas KEDA + the HPA aim for at a queue length (before the HPA's rate limits). */
export function scaledObjectDesiredReplicas(spec: ScaledObjectSpec, queueLength: number, current: number): number {
    const active = queueLength > spec.activation;
    if (!active) return spec.minReplicaCount;
    const wanted = Math.ceil(queueLength / spec.target);
    const floor = Math.max(spec.minReplicaCount, 1);
    return Math.min(spec.maxReplicaCount, Math.max(floor, current === 0 ? 1 : wanted));
}

/**
 * The HPA's default scale-up limit per 15 s sync (kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale,
 * "Default Behavior": Percent 100 and Pods 4 per 15 s, selectPolicy Max, no stabilization for scale-up):
 * at most max(2 × current, current + 4) replicas after one sync.
 */
export function hpaScaleUpLimit(current: number): number {
    return Math.max(2 * current, current + 4);
}

/** The kube-controller-manager's --horizontal-pod-autoscaler-sync-period default (15 s). */
export const HPA_SYNC_SECONDS = 15;

/** What KEDA and the HPA keep between steps of a ScaledObject (times in seconds). */
export interface ScaledObjectState {
    /** Replicas asked of the Deployment. */
    readonly replicas: number;
    /** Last poll at which the scaler was active (queueLength > activation); -Infinity before any. */
    readonly lastActiveAt: number;
    /** Since when the HPA has wanted fewer replicas (scale-down stabilization), if it does. */
    readonly belowSince?: number;
}

export interface ScaledObjectLoopSpec extends ScaledObjectSpec {
    readonly cooldownPeriod: number;
    /** KEDA scales to this (only 0 is allowed) instead of min when inactive; undefined = min. */
    readonly idleReplicaCount?: number;
    /** The HPA's scale-down stabilization window (behavior.scaleDown.stabilizationWindowSeconds, default 300). */
    readonly scaleDownStabilizationSeconds: number;
}

/**
 * KEDA's own step at a poll of a ScaledObject (pkg/scaling/executor/scale_scaledobjects.go RequestScale): active and
 * at zero → max(min, 1) (KEDA activates; the HPA cannot scale from 0); inactive for cooldownPeriod since the last active
 * poll → idleReplicaCount if set, else minReplicaCount. Anything in between is the HPA's job (hpaSync).
 */
export function scaledObjectPoll(spec: ScaledObjectLoopSpec, s: ScaledObjectState, queueLength: number, t: number): ScaledObjectState {
    const active = queueLength > spec.activation;
    const lastActiveAt = active ? t : s.lastActiveAt;
    const rest = spec.idleReplicaCount ?? spec.minReplicaCount;
    if (active && s.replicas === 0) return { ...s, lastActiveAt, replicas: Math.max(1, spec.minReplicaCount) };
    if (!active && s.replicas > rest && t - lastActiveAt >= spec.cooldownPeriod) return { ...s, replicas: rest, lastActiveAt };
    return { ...s, lastActiveAt };
}

/**
 * One HPA sync (every HPA_SYNC_SECONDS) of a Deployment KEDA has activated: scale up at once within hpaScaleUpLimit,
 * scale down only after wanting fewer for the whole stabilization window, never below 1 (0 is KEDA's decision).
 */
export function hpaSync(spec: ScaledObjectLoopSpec, s: ScaledObjectState, queueLength: number, t: number): ScaledObjectState {
    if (s.replicas === 0) return s;
    const desired = scaledObjectDesiredReplicas(spec, queueLength, s.replicas);
    if (desired > s.replicas) return { ...s, replicas: Math.min(desired, hpaScaleUpLimit(s.replicas)), belowSince: undefined };
    if (desired < s.replicas) {
        const belowSince = s.belowSince ?? t;
        return t - belowSince >= spec.scaleDownStabilizationSeconds ? { ...s, replicas: Math.max(desired, 1), belowSince } : { ...s, belowSince };
    }
    return { ...s, belowSince: undefined };
}
