/** Cluster autoscaler profile: a named preset, then the user's overrides (every value a string, FACTS §2). */
import type { ClusterConfig } from "../config/schema";

export type AutoscalerProfile = Record<string, string>;
export type AutoscalerPreset = ClusterConfig["autoscalerPreset"];
/** Per-setting overrides in the AKS API's names (scanInterval, maxNodeProvisionTime, …), every value a string. */
export type AutoscalerOverrides = Readonly<Record<string, string | undefined>>;

/**
 * balanced: AKS's own defaults, written out so a diff shows them.
 * burst: AKS's "bursty" profile (aks-docs cluster-autoscaler.md: scan-interval 20s, max-empty-bulk-delete 100,
 * ok-total-unready-count 1000, max-total-unready-percentage 100), plus a shorter maxNodeProvisionTime so a
 * failing Spot allocation is given up on in minutes, not 15 (kubernetes/autoscaler#8323), and least-waste
 * so a burst lands on the pool that fits the pending pods best when there are several.
 */
export const AUTOSCALER_PRESETS: Record<AutoscalerPreset, AutoscalerProfile> = {
    balanced: {
        scanInterval: "10s",
        scaleDownDelayAfterAdd: "10m",
        scaleDownUnneededTime: "10m",
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
        scaleDownDelayAfterAdd: "5m",
        scaleDownUnneededTime: "5m",
        maxEmptyBulkDelete: "100",
        newPodScaleUpDelay: "0s",
        maxNodeProvisionTime: "5m",
        expander: "least-waste",
        okTotalUnreadyCount: "1000",
        maxTotalUnreadyPercentage: "100",
        skipNodesWithLocalStorage: "false",
        balanceSimilarNodeGroups: "true",
        maxGracefulTerminationSec: "600",
    },
};

export function autoscalerProfile(cluster: { autoscalerPreset: AutoscalerPreset; autoscaler: AutoscalerOverrides }): AutoscalerProfile {
    const overrides = Object.fromEntries(Object.entries(cluster.autoscaler).filter(([, v]) => v !== undefined)) as AutoscalerProfile;
    return { ...AUTOSCALER_PRESETS[cluster.autoscalerPreset], ...overrides };
}
