/**
 * Where a workload runs and the per-workload settings only Azure Container Apps has. Its own module so that
 * config/workloads.ts (the workload schema) and config/containerApps.ts (the ACA environment and its arithmetic over
 * workloads) do not import each other (issue 26: no import circles).
 */
import { z } from "zod";

/** Where a workload runs: AKS (KEDA ScaledObject/ScaledJob, the default) or an Azure Container Apps job. */
export const PLATFORMS = ["aks", "containerApps"] as const;
export const workloadPlatformSchema = z.enum(PLATFORMS).default("aks");
export type Platform = (typeof PLATFORMS)[number];

/** Per-workload settings only ACA has (an error on an AKS workload). */
export const workloadContainerAppsSchema = z.strictObject({
    /** Replicas one execution runs at once (eventTriggerConfig.parallelism). Default 1: one replica, one message. */
    parallelism: z.int().min(1).max(100).default(1),
    /** Replicas that must succeed for the execution to succeed (replicaCompletionCount, ≤ parallelism). Default 1. */
    replicaCompletionCount: z.int().min(1).max(100).default(1),
});
export type WorkloadContainerAppsConfig = z.infer<typeof workloadContainerAppsSchema>;

/** True when a workload runs on ACA. */
export const onContainerApps = (w: { readonly platform?: Platform }): boolean => w.platform === "containerApps";
