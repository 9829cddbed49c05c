/** Config shape of KEDA and of the `workloads` list: one ScaledObject or ScaledJob each. */
import { z } from "zod";
import { workloadContainerAppsSchema, workloadPlatformSchema } from "./workloadPlatform";
import { topicSubscriptionSchema, workloadImageSchema } from "./workloadImage";
import { handlerSchema } from "./handler";
import { VIRTUAL_NODE_PLACEMENTS } from "./virtualNodes";

import { containerResourcesSchema, cpuQuantity as cpu, memoryQuantity as memory } from "./quantity";
const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label: lowercase letters, digits and '-'");

export const kedaSchema = z.strictObject({
    /** kedacore/keda chart version (2.20.0/2.20.1 reject scalingStrategy "default": FACTS §9). */
    chartVersion: z.string().regex(/^\d+\.\d+\.\d+$/, "must be an exact chart version such as 2.20.2").default("2.20.2"),
    namespace: dnsLabel.default("keda"),
    /** Operator's client-side API rate: each ScaledJob Job is one create call (20/30 = ≥ 48 s for 1,000 Jobs). */
    kubeApiQps: z.int().min(1).max(1000).default(20),
    kubeApiBurst: z.int().min(1).max(2000).default(30),
    /** KEDA_SCALEDOBJECT_CTRL_MAX_RECONCILES: ScaledObjects reconciled at once (KEDA default 5). */
    scaledObjectMaxReconciles: z.int().min(1).max(100).default(5),
    /** KEDA_SCALEDJOB_CTRL_MAX_RECONCILES: ScaledJob objects reconciled at once (KEDA default 1; Jobs per object are not limited by it). */
    scaledJobMaxReconciles: z.int().min(1).max(100).default(1),
    /** Operator requests/limits; the operator's memory grows with the number of scaled objects and Jobs it watches. */
    operatorResources: z
        .strictObject({ cpu: cpu.default("100m"), memory: memory.default("256Mi"), memoryLimit: memory.default("1Gi") })
        .default({ cpu: "100m", memory: "256Mi", memoryLimit: "1Gi" }),
});
export type KedaConfig = z.infer<typeof kedaSchema>;

export const workloadSchema = z.strictObject({
    /** Name of the Deployment/Job, ScaledObject/ScaledJob and ServiceAccount (≤ 54 chars: KEDA's HPA is keda-hpa-<name>). */
    name: z.string(),
    /** deployment: long-running workers scaled by a ScaledObject. job: one Job per message(s), by a ScaledJob. */
    kind: z.enum(["deployment", "job"]),
    /**
     * Where it runs: aks (KEDA on the stack's cluster, the default) or containerApps (an event-triggered Azure
     * Container Apps job; kind must be job). Not `target`, which is already the messages per replica or Job.
     */
    platform: workloadPlatformSchema,
    /** ACA-only settings (parallelism, replicaCompletionCount); an error on an AKS workload. Default: 1 and 1. */
    containerApps: workloadContainerAppsSchema.optional(),
    namespace: dnsLabel.default("workloads"),
    /**
     * The queue this workload reads, created by the program in the stack's namespace or account (Storage: with
     * `<queue>-poison`); virtual-node workloads get theirs in the virtual-node broker. Default: the workload's name.
     * Rules per broker: rules/workloadEntities.ts.
     */
    queue: z.string().optional(),
    /** Service Bus only: read this topic subscription instead of a queue (both created by the program). Default: none. */
    topic: topicSubscriptionSchema.optional(),
    /**
     * Two workloads on one queue or subscription are competing consumers that KEDA scales twice on one backlog (each
     * scaler sees every message, so together they start up to twice the replicas the backlog needs). Refused unless
     * every workload on that entity sets this to true. Default: false.
     */
    shareEntity: z.boolean().default(false),
    /**
     * The image: a reference, `{ ref, registryId }` (another ACR) or `{ build: { context, dockerfile?, target?, args? } }`
     * (config/workloadImage.ts). Default: the kedascale worker.
     */
    image: workloadImageSchema.optional(),
    /**
     * The kedascale worker as a runtime for the team's code in `image` (config/handler.ts, docs/worker-runtime.md):
     * `{ http: { port, path?, healthPath? }, resources }` runs the image beside the worker, `{ exec: [command, args…] }`
     * runs the worker inside it. Default: none (the worker's built-in handler, or the image on its own).
     */
    handler: handlerSchema.optional(),
    /** The container's command (entrypoint), with `image` only. Default: the image's ENTRYPOINT. */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** The container's arguments, with `image` only (the kedascale worker's are kedascale's). Default: the image's CMD. */
    args: z.array(z.string()).optional(),
    /**
     * Extra environment, name → value (plain values: secrets are refused by preflight). Names are portable identifiers;
     * the contract's names (KEDASCALE_*, and the AZURE_* workload identity sets) are reserved. Default: none.
     */
    env: z.record(z.string(), z.string()).default({}),
    /**
     * With `image` on AKS nodes: the uid the container runs as. Pods run with runAsNonRoot, so an image whose USER is
     * root (or a name, which kubelet cannot check) must name a uid here. Default: the image's own USER.
     */
    runAsUser: z.int().min(1).max(2147483647).optional(),
    /**
     * spot: Spot nodes only (required) or preferably (preferred); system: the system pool; any: wherever it fits;
     * virtualNodes: Azure Container Instances through AKS virtual nodes; spotThenVirtualNodes: Spot preferred, ACI when
     * Spot is full (config/virtualNodes.ts; both need messaging.virtualNodes).
     */
    placement: z.enum(["spot", "system", "any", ...VIRTUAL_NODE_PLACEMENTS]).default("spot"),
    spotAffinity: z.enum(["required", "preferred"]).default("required"),
    /** Requests decide how many pods fit a node, and so how many nodes a burst needs. Required. */
    resources: containerResourcesSchema,
    /** Messages one pod processes at once (deployment). Jobs take one (--once) or drain. */
    inflight: z.int().min(1).max(256).default(8),
    /** Queue messages per replica/Job (KEDA messageCount/queueLength). Default 5 for deployments, 1 for jobs. */
    target: z.int().min(1).optional(),
    /** Messages that wake the workload from zero (activationMessageCount/activationQueueLength). */
    activation: z.int().min(0).default(0),
    pollingInterval: z.int().default(30),
    /** Seconds after the last activity before scaling to zero (deployment). */
    cooldownPeriod: z.int().min(0).default(300),
    minReplicaCount: z.int().min(0).default(0),
    maxReplicaCount: z.int().min(1).default(100),
    idleReplicaCount: z.int().optional(),
    /** Replicas to hold when the scaler keeps failing (deployment only). */
    fallback: z.strictObject({ failureThreshold: z.int().min(1), replicas: z.int().min(1) }).optional(),
    /** HPA scale-down: wait this long and remove at most this percent per minute (deployment). */
    scaleDown: z.strictObject({ stabilizationWindowSeconds: z.int().min(0).max(3600).default(300), percentPerMinute: z.int().min(1).max(100).default(50) }).optional(),
    /**
     * Time kubelet gives a stopping pod; the worker finishes or releases in-flight work 10 s before it ends.
     * Default from placement (plan/workload.ts shutdownBudget): 30 when pods may land on Spot (eviction gives ~30 s),
     * else 60. Above 30 on a Spot-capable placement is refused (rules/shutdown.ts).
     */
    terminationGracePeriodSeconds: z.int().min(15).max(3600).optional(),
    job: z
        .strictObject({
            /** once: one message per Job (fast start matters). drain: until the queue is empty. */
            mode: z.enum(["once", "drain"]).default("once"),
            scalingStrategy: z.enum(["default", "accurate", "eager"]).default("default"),
            rollout: z.enum(["gradual", "immediate"]).default("gradual"),
            backoffLimit: z.int().min(0).max(10).default(2),
            activeDeadlineSeconds: z.int().min(30).default(900),
            successfulJobsHistoryLimit: z.int().min(0).max(1000).default(10),
            failedJobsHistoryLimit: z.int().min(0).max(1000).default(10),
        })
        .default({ mode: "once", scalingStrategy: "default", rollout: "gradual", backoffLimit: 2, activeDeadlineSeconds: 900, successfulJobsHistoryLimit: 10, failedJobsHistoryLimit: 10 }),
    /**
     * The in-cluster load run's template, with its own sender identity: a suspended CronJob `<name>-load` that
     * `pulumi up` never runs. Each run is an explicit `kubectl create job <name>-load-<stamp> --from=cronjob/<name>-load`
     * (stack output howTo.sendLoad), its run id the Job's name.
     */
    loadTest: z
        .strictObject({ messages: z.int().min(1).max(10_000_000), concurrency: z.int().min(1).max(512).default(32), size: z.int().min(64).max(256 * 1024).default(256), workMs: z.int().min(0).optional() })
        .optional(),
});
export type WorkloadConfig = z.infer<typeof workloadSchema>;
