/**
 * What one queue worker runs and how KEDA scales it: ScaledWorkload's `workload` argument, every optional field with
 * KEDA's or kedascale's default (FACTS §9), and the resolver that applies them. The config schema
 * (config/workloads.ts) has the same defaults; test/componentDefaults.test.ts keeps them equal.
 */
import type { WorkloadSpec } from "../plan/workload";

export interface WorkloadArgs {
    /** Name of the Deployment/ScaledObject or ScaledJob and of its ServiceAccount: DNS-1123, ≤ 54 (KEDA's HPA keda-hpa-<name> ≤ 63). Required. */
    name: string;
    /** deployment: long-running workers scaled by a ScaledObject; job: Jobs created by a ScaledJob. Required. */
    kind: "deployment" | "job";
    /** Namespace of every object, which must exist (not KEDA's nor a reserved one). Default: workloads. */
    namespace?: string;
    /**
     * spot: Spot nodes (required or preferred); system: the system pool; any: wherever it fits; virtualNodes: ACI through
     * AKS virtual nodes; spotThenVirtualNodes: Spot preferred, ACI when Spot is full. The last two need `virtualNodes`
     * (ScaledWorkloadArgs). Default: spot.
     */
    placement?: "spot" | "system" | "any" | "virtualNodes" | "spotThenVirtualNodes";
    /** With placement spot: required, or preferred (may fall back to regular nodes). Default: required. */
    spotAffinity?: "required" | "preferred";
    /** Requests decide pods per node; limits.memory ≥ requests.memory. Required. */
    resources: { requests: { cpu: string; memory: string }; limits: { cpu?: string; memory: string } };
    /** Messages one pod processes at once (deployment), 1–256. Default: 8. */
    inflight?: number;
    /** Messages per replica or Job (messageCount / queueLength). Default: 5 for deployments, 1 for jobs. */
    target?: number;
    /** Messages that wake the workload from zero. Default: 0. */
    activation?: number;
    /** Seconds between KEDA's queue polls, ≥ 1. Default: 30. */
    pollingInterval?: number;
    /** Seconds after the last activity before scaling to zero (deployment). Default: 300. */
    cooldownPeriod?: number;
    /** Default: 0. */
    minReplicaCount?: number;
    /** ≥ minReplicaCount. Default: 100. */
    maxReplicaCount?: number;
    /** Only 0, and below minReplicaCount (deployment). Default: none. */
    idleReplicaCount?: number;
    /** Replicas to hold while the scaler fails (deployment). Default: none. */
    fallback?: { failureThreshold: number; replicas: number };
    /** HPA scale-down (deployment): wait 0–3,600 s (default 300), then remove at most 1–100 % per minute (default 50). Default: none (HPA's own). */
    scaleDown?: { stabilizationWindowSeconds?: number; percentPerMinute?: number };
    /** Pod grace. Default: 30 if pods may land on Spot (eviction notice ~30 s), else 60; the worker gets 10 s less. */
    terminationGracePeriodSeconds?: number;
    /** ScaledJob settings (kind job). Default: once, default strategy, gradual rollout, backoff 2, deadline 900 s, history 10/10. */
    job?: {
        mode?: "once" | "drain";
        scalingStrategy?: "default" | "accurate" | "eager";
        /** Anything but gradual deletes running Jobs on every spec change (keda#1021). */
        rollout?: "gradual" | "immediate";
        backoffLimit?: number;
        activeDeadlineSeconds?: number;
        successfulJobsHistoryLimit?: number;
        failedJobsHistoryLimit?: number;
    };
    /** A suspended CronJob `<name>-load` (own sender identity) that only `kubectl create job --from` runs. Default: none. */
    loadTest?: { messages: number; concurrency?: number; size?: number; workMs?: number };
    /** The queue it reads (ScaledWorkloadArgs.messaging must be that entity). Default: the workload's name. */
    queue?: string;
    /** Service Bus: a topic subscription instead of a queue. Default: none. */
    topic?: { name: string; subscription: string };
    /** Opt-in to competing consumers on one entity (checked by preflight, not here). Default: false. */
    shareEntity?: boolean;
    /**
     * What the container runs: absent = the kedascale worker (kedascale's command and flags); set = the team's image
     * (ScaledWorkloadArgs.image is then its resolved reference), with `command`/`args` as given. Default: none.
     */
    image?: WorkloadSpec["image"];
    /** The team image's command. Default: its ENTRYPOINT. */
    command?: string[];
    /** The team image's arguments. Default: its CMD. */
    args?: string[];
    /** Extra environment (names not KEDASCALE_* nor the AZURE_* identity ones). Default: none. */
    env?: Record<string, string>;
    /** A team image's uid (runAsNonRoot holds either way). Default: the image's USER. */
    runAsUser?: number;
    /**
     * The worker as a runtime for the team's code in `image` (config/handler.ts): `http` runs `image` beside the worker
     * (ScaledWorkloadArgs.workerImage then runs the worker; `resources` are the handler container's own), `exec` runs
     * the worker inside `image` with this command per message. `http.path` defaults to `/`, `http.healthPath` to
     * `/healthz`. Default: none.
     */
    handler?: { http?: { port: number; path?: string; healthPath?: string }; exec?: string[]; resources?: NonNullable<WorkloadSpec["handler"]>["resources"] };
}

export function resolveWorkload(w: WorkloadArgs): WorkloadSpec {
    const job = w.job ?? {};
    return {
        name: w.name,
        kind: w.kind,
        namespace: w.namespace ?? "workloads",
        placement: w.placement ?? "spot",
        spotAffinity: w.spotAffinity ?? "required",
        resources: w.resources,
        inflight: w.inflight ?? 8,
        target: w.target,
        activation: w.activation ?? 0,
        pollingInterval: w.pollingInterval ?? 30,
        cooldownPeriod: w.cooldownPeriod ?? 300,
        minReplicaCount: w.minReplicaCount ?? 0,
        maxReplicaCount: w.maxReplicaCount ?? 100,
        idleReplicaCount: w.idleReplicaCount,
        fallback: w.fallback,
        scaleDown: w.scaleDown && { stabilizationWindowSeconds: w.scaleDown.stabilizationWindowSeconds ?? 300, percentPerMinute: w.scaleDown.percentPerMinute ?? 50 },
        terminationGracePeriodSeconds: w.terminationGracePeriodSeconds,
        job: {
            mode: job.mode ?? "once",
            scalingStrategy: job.scalingStrategy ?? "default",
            rollout: job.rollout ?? "gradual",
            backoffLimit: job.backoffLimit ?? 2,
            activeDeadlineSeconds: job.activeDeadlineSeconds ?? 900,
            successfulJobsHistoryLimit: job.successfulJobsHistoryLimit ?? 10,
            failedJobsHistoryLimit: job.failedJobsHistoryLimit ?? 10,
        },
        queue: w.queue,
        topic: w.topic,
        shareEntity: w.shareEntity ?? false,
        image: w.image,
        command: w.command,
        args: w.args,
        env: w.env ?? {},
        runAsUser: w.runAsUser,
        handler: w.handler && {
            ...(w.handler.http ? { http: { port: w.handler.http.port, path: w.handler.http.path ?? "/", healthPath: w.handler.http.healthPath ?? "/healthz" } } : {}),
            ...(w.handler.exec ? { exec: w.handler.exec } : {}),
            ...(w.handler.resources ? { resources: w.handler.resources } : {}),
        },
        loadTest: w.loadTest && { messages: w.loadTest.messages, concurrency: w.loadTest.concurrency ?? 32, size: w.loadTest.size ?? 256, workMs: w.loadTest.workMs },
    };
}
