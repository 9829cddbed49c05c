/**
 * A stack's config → the burst model's inputs. The config is read exactly as `pulumi up` and the tests read it:
 * Pulumi.yaml defaults merged with Pulumi.<stack>.yaml (test/harness/stackConfig.ts, the same merge `npm run plan`
 * uses), then the program's own parser and preflight (components/config/load.ts parseConfig), so a stack that would
 * not deploy is not simulated.
 */
import { decodeRawConfig, parseConfig } from "../../components/config/load";
import type { StackConfig } from "../../components/config/stack";
import type { WorkloadConfig } from "../../components/config/workloads";
import { autoscalerProfile } from "../../components/plan/autoscaler";
import { podRequestQuantities } from "../../components/plan/handler";
import { allPools, effectiveMaxPods } from "../../components/plan/pools";
import { stackConfig, stackNames } from "../../test/harness/stackConfig";
import type { HpaBehaviorInput } from "./hpa";
import type { ScalingStrategy } from "./keda";

export interface ModelInputs {
    readonly stack: string;
    readonly messages: number;
    readonly workSeconds: number;
    readonly workload: {
        readonly name: string;
        readonly kind: "job" | "deployment";
        readonly requests: { cpu: string; memory: string };
        readonly target: number;
        readonly activation: number;
        readonly pollingInterval: number;
        readonly minReplicaCount: number;
        readonly maxReplicaCount: number;
        readonly strategy: ScalingStrategy;
        /** ScaledJob: one message per Job, or each Job drains the queue. */
        readonly mode: "once" | "drain";
        /** Messages one replica works on at once (deployment). */
        readonly inflight: number;
        readonly cooldownPeriod: number;
        readonly idleReplicaCount?: number;
        /** The HPA behavior the ScaledObject renders (advanced.horizontalPodAutoscalerConfig.behavior); undefined = none. */
        readonly hpaBehavior?: HpaBehaviorInput;
        /** ScaledJob: finished Jobs KEDA keeps before deleting (each delete is an API call). */
        readonly successfulJobsHistoryLimit: number;
        readonly failedJobsHistoryLimit: number;
    };
    readonly pool: { readonly name: string; readonly vmSize: string; readonly minCount: number; readonly maxCount: number; readonly maxPods: number; readonly spot: boolean };
    readonly keda: { readonly qps: number; readonly burst: number };
    readonly autoscaler: {
        readonly scanIntervalSeconds: number;
        readonly maxNodeProvisionSeconds: number;
        readonly scaleDownUnneededSeconds: number;
        readonly scaleDownDelayAfterAddSeconds: number;
        readonly maxEmptyBulkDelete: number;
        readonly newPodScaleUpDelaySeconds: number;
    };
}

/** Cluster-autoscaler durations ("10s", "15m", "1h", "1m30s") in seconds. */
export function durationSeconds(text: string): number {
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)];
    if (!parts.length || parts.map((p) => p[0]).join("") !== text) throw new Error(`not a duration like "10s" or "15m": ${text}`);
    return parts.reduce((s, [, n, u]) => s + Number(n) * (u === "h" ? 3600 : u === "m" ? 60 : 1), 0);
}

/** The stack's parsed, validated config (throws the preflight's ConfigError for a stack that would not deploy). */
export function readStack(stack: string): StackConfig {
    if (!stackNames().includes(stack)) throw new Error(`no stack "${stack}": there is no Pulumi.${stack}.yaml; stacks: ${stackNames().join(", ")}`);
    const { raw, problems } = decodeRawConfig(stackConfig(stack));
    return parseConfig(raw, problems, { stack }).config as StackConfig;
}

/** The pool a workload's pods land on: Spot pools for placement spot, the system pool for system, else the first worker pool. */
function poolFor(cfg: StackConfig, w: WorkloadConfig) {
    const pools = allPools(cfg);
    const workers = pools.slice(1);
    const pick =
        w.placement === "system" ? pools[0] : w.placement === "spot" ? (workers.find((p) => p.priority === "Spot") ?? pools[0]) : (workers[0] ?? pools[0]);
    return { name: pick.name, vmSize: pick.vmSize, minCount: pick.minCount, maxCount: pick.maxCount, maxPods: effectiveMaxPods(cfg, pick), spot: pick.priority === "Spot" };
}

export interface InputChoices {
    readonly workload?: string;
    readonly messages?: number;
    readonly workSeconds?: number;
}

export function modelInputs(stack: string, cfg: StackConfig, choices: InputChoices = {}): ModelInputs {
    if (cfg.workloads.length === 0) throw new Error(`stack ${stack} has no workloads to simulate (kedascale:workloads)`);
    const w = choices.workload ? cfg.workloads.find((x) => x.name === choices.workload) : cfg.workloads[0];
    if (!w) throw new Error(`stack ${stack} has no workload "${choices.workload}"; it has ${cfg.workloads.map((x) => x.name).join(", ")}`);
    const messages = choices.messages ?? w.loadTest?.messages;
    if (messages === undefined) throw new Error(`workload ${w.name} of stack ${stack} has no loadTest.messages: pass --messages N`);
    const workSeconds = choices.workSeconds ?? (w.loadTest?.workMs !== undefined ? w.loadTest.workMs / 1000 : 1);
    const profile = autoscalerProfile(cfg.cluster);
    return {
        stack,
        messages,
        workSeconds,
        workload: {
            name: w.name,
            kind: w.kind,
            // The whole pod's: an http handler's container requests too (components/plan/handler.ts).
            requests: podRequestQuantities(w),
            target: w.target ?? (w.kind === "job" ? 1 : 5),
            activation: w.activation,
            pollingInterval: w.pollingInterval,
            minReplicaCount: w.minReplicaCount,
            maxReplicaCount: w.maxReplicaCount,
            strategy: w.job.scalingStrategy,
            mode: w.job.mode,
            inflight: w.inflight,
            cooldownPeriod: w.cooldownPeriod,
            ...(w.idleReplicaCount !== undefined ? { idleReplicaCount: w.idleReplicaCount } : {}),
            // What components/plan/workload.ts renderScaledObject writes: a scale-down window and a Percent policy per
            // 60 s when scaleDown is set, no behavior otherwise (then the HPA's no-behavior rules apply: hpa.ts).
            ...(w.scaleDown
                ? { hpaBehavior: { scaleDown: { stabilizationWindowSeconds: w.scaleDown.stabilizationWindowSeconds, policies: [{ type: "Percent" as const, value: w.scaleDown.percentPerMinute, periodSeconds: 60 }] } } }
                : {}),
            successfulJobsHistoryLimit: w.job.successfulJobsHistoryLimit,
            failedJobsHistoryLimit: w.job.failedJobsHistoryLimit,
        },
        pool: poolFor(cfg, w),
        keda: { qps: cfg.keda.kubeApiQps, burst: cfg.keda.kubeApiBurst },
        autoscaler: {
            scanIntervalSeconds: durationSeconds(profile.scanInterval),
            maxNodeProvisionSeconds: durationSeconds(profile.maxNodeProvisionTime),
            scaleDownUnneededSeconds: durationSeconds(profile.scaleDownUnneededTime),
            scaleDownDelayAfterAddSeconds: durationSeconds(profile.scaleDownDelayAfterAdd),
            maxEmptyBulkDelete: Number(profile.maxEmptyBulkDelete),
            newPodScaleUpDelaySeconds: durationSeconds(profile.newPodScaleUpDelay),
        },
    };
}
