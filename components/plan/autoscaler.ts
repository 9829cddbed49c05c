/** Cluster autoscaler profile: a named preset, then the user's overrides (every value a string, FACTS §2). */
import type { ClusterConfig } from "../config/schema";

export type AutoscalerProfile = Record<string, string>;
export type AutoscalerPreset = ClusterConfig["autoscalerPreset"];
/** Per-setting overrides in the AKS API's names (scanInterval, maxNodeProvisionTime, …), every value a string. */
export type AutoscalerOverrides = Readonly<Record<string, string | undefined>>;

/**
 * balanced: AKS's own defaults (aks-docs cluster-autoscaler.md, "Cluster autoscaler profile settings"), written out so
 * a diff shows them.
 * burst: AKS's documented profile "for bursty workloads" (cluster-autoscaler.md, "Configure cluster autoscaler profile
 * for bursty workloads"), value for value: scan-interval 20s, scale-down-delay-after-add 10m,
 * scale-down-delay-after-failure 1m, scale-down-unneeded-time 5m, scale-down-unready-time 5m,
 * max-graceful-termination-sec 30, skip-nodes-with-local-storage false, max-empty-bulk-delete 100,
 * max-total-unready-percentage 100, ok-total-unready-count 1000, max-node-provision-time 15m. 15 minutes, not less:
 * a Spot scale-up of hundreds of nodes can take that long, and a shorter limit makes the autoscaler treat a slow
 * allocation as failed, back off the pool and churn. Where we differ, and why:
 *  - expander "least-waste" (AKS's profile keeps "random"): with several Spot pools of different sizes, a burst goes to
 *    the pool whose nodes the pending pods fill best, instead of a random one;
 *  - balanceSimilarNodeGroups "true" (AKS keeps "false"): similar Spot pools (one per zone or per size) grow together,
 *    so one eviction wave in one scale set takes fewer of the workers.
 * max-graceful-termination-sec 30 bounds how long a node's pods get when the autoscaler removes it: rules/cluster.ts
 * refuses a workload whose terminationGracePeriodSeconds is longer.
 */
export const AUTOSCALER_PRESETS: Record<AutoscalerPreset, AutoscalerProfile> = {
    balanced: {
        scanInterval: "10s",
        scaleDownDelayAfterAdd: "10m",
        scaleDownDelayAfterFailure: "3m",
        scaleDownUnneededTime: "10m",
        scaleDownUnreadyTime: "20m",
        maxEmptyBulkDelete: "10",
        newPodScaleUpDelay: "0s",
        maxNodeProvisionTime: "15m",
        expander: "random",
        okTotalUnreadyCount: "3",
        maxTotalUnreadyPercentage: "45",
        skipNodesWithLocalStorage: "false",
        balanceSimilarNodeGroups: "false",
        maxGracefulTerminationSec: "600",
    },
    burst: {
        scanInterval: "20s",
        scaleDownDelayAfterAdd: "10m",
        scaleDownDelayAfterFailure: "1m",
        scaleDownUnneededTime: "5m",
        scaleDownUnreadyTime: "5m",
        maxEmptyBulkDelete: "100",
        newPodScaleUpDelay: "0s",
        maxNodeProvisionTime: "15m",
        expander: "least-waste",
        okTotalUnreadyCount: "1000",
        maxTotalUnreadyPercentage: "100",
        skipNodesWithLocalStorage: "false",
        balanceSimilarNodeGroups: "true",
        maxGracefulTerminationSec: "30",
    },
};

export function autoscalerProfile(cluster: { autoscalerPreset: AutoscalerPreset; autoscaler: AutoscalerOverrides }): AutoscalerProfile {
    const overrides = Object.fromEntries(Object.entries(cluster.autoscaler).filter(([, v]) => v !== undefined)) as AutoscalerProfile;
    return { ...AUTOSCALER_PRESETS[cluster.autoscalerPreset], ...overrides };
}
