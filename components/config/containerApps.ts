/**
 * Config shape of the Azure Container Apps target: the environment (`kedascale:containerApps`) and the per-workload
 * ACA settings (`workloads[].containerApps`). A workload runs on ACA when `platform: containerApps`; the fields it
 * shares with AKS keep their meaning (see docs/placements.md, "Azure Container Apps jobs"): resources.requests → the replica's
 * allocation, target/activation → the scale rule, pollingInterval, minReplicaCount/maxReplicaCount → min/max
 * executions, job.activeDeadlineSeconds → replicaTimeout, job.backoffLimit → replicaRetryLimit, job.mode → the
 * worker's `--once`/`--drain`. Cross-field rules live in rules/containerApps.ts.
 */
import { z } from "zod";
import { DEFAULT_ENVIRONMENT_CORE_QUOTA, LOG_RETENTION_DAYS, MAX_ENVIRONMENT_CORE_QUOTA } from "../limits/containerApps";
import { parseCidr } from "./cidr";
import { cpuMillis, memoryMiB } from "./quantity";
import type { WorkloadConfig } from "./workloads";
import { onContainerApps, workloadContainerAppsSchema, type Platform, type WorkloadContainerAppsConfig } from "./workloadPlatform";

const cidr = z.string().refine((s) => parseCidr(s) !== undefined, {
    message: "must be an IPv4 CIDR whose host bits are zero, e.g. 10.226.0.0/27",
});

export { PLATFORMS, workloadPlatformSchema, workloadContainerAppsSchema, onContainerApps } from "./workloadPlatform";
export type { Platform, WorkloadContainerAppsConfig } from "./workloadPlatform";

/** The Container Apps managed environment every ACA workload of the stack shares. */
export const containerAppsSchema = z.strictObject({
    /**
     * VNet integration: a subnet of `network.vnetCidr`, at least a /27, delegated to Microsoft.App/environments.
     * Default: none (the environment gets an Azure-managed network; jobs reach the queue over public endpoints, as
     * AKS nodes do).
     */
    infrastructureSubnetCidr: cidr.optional(),
    /** Days the Log Analytics workspace keeps the jobs' console and system logs (PerGB2018: 30–730). Default 30. */
    logRetentionDays: z.int().min(LOG_RETENTION_DAYS.min).max(LOG_RETENTION_DAYS.max).default(30),
    /**
     * The environment's Consumption core quota preflight sizes against: Σ maxExecutions × parallelism × cpu of every
     * ACA workload must fit. Default 100, Azure's default (raisable to 5,000 by a quota request on the environment;
     * set this to the number granted).
     */
    coreQuota: z.int().min(1).max(MAX_ENVIRONMENT_CORE_QUOTA).default(DEFAULT_ENVIRONMENT_CORE_QUOTA),
});
export type ContainerAppsConfig = z.infer<typeof containerAppsSchema>;


/** The workload fields the ACA target reads, with its own block resolved. */
export type ContainerAppsWorkload = WorkloadConfig & { readonly platform?: Platform; readonly containerApps?: WorkloadContainerAppsConfig };


/** The ACA block with its defaults (a workload without one gets parallelism 1, completion 1). */
export function acaSettings(w: ContainerAppsWorkload): WorkloadContainerAppsConfig {
    return w.containerApps ?? workloadContainerAppsSchema.parse({});
}

/**
 * Whether the stack needs an AKS cluster (and so KEDA and a Kubernetes provider): when any workload runs on AKS,
 * or when there are no workloads at all (an empty platform stays what it was before ACA existed).
 */
export function needsCluster(cfg: { readonly workloads: readonly { readonly platform?: Platform }[] }): boolean {
    return cfg.workloads.length === 0 || cfg.workloads.some((w) => !onContainerApps(w));
}

/** What a replica of an ACA workload requests (ACA gives exactly this; there is no separate limit). */
export function replicaAllocation(w: Pick<WorkloadConfig, "resources">): { cpu: number; memoryGi: number } {
    return { cpu: (cpuMillis(w.resources.requests.cpu) ?? NaN) / 1000, memoryGi: (memoryMiB(w.resources.requests.memory) ?? NaN) / 1024 };
}

/** Cores an ACA workload holds at maxReplicaCount (max executions) × parallelism replicas: what the core quota counts. */
export function workloadCoresAtMax(w: ContainerAppsWorkload): number {
    return w.maxReplicaCount * acaSettings(w).parallelism * replicaAllocation(w).cpu;
}
