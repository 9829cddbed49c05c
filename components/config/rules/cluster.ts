/** Cluster autoscaler value formats (azure-native v3 ManagedClusterPropertiesAutoScalerProfile docs). */
import type { PlatformConfig } from "../schema";
import { error, key, type Problem } from "./problem";

const MINUTES = /^\d+m$/;
const DURATION = /^\d+(s|m|h)$/;
const INTEGER = /^\d+$/;
const BOOLEAN = /^(true|false)$/;
const FRACTION = /^(0(\.\d+)?|1(\.0+)?)$/;

/** What AKS accepts for each key: several take minutes only ("10m"), not "600s". */
const FORMATS: Record<string, [RegExp, string]> = {
    scanInterval: [DURATION, `a duration in seconds such as "10s"`],
    newPodScaleUpDelay: [DURATION, `a duration such as "0s" or "30s"`],
    scaleDownDelayAfterAdd: [MINUTES, `whole minutes such as "10m"`],
    scaleDownDelayAfterDelete: [MINUTES, `whole minutes such as "1m"`],
    scaleDownUnneededTime: [MINUTES, `whole minutes such as "10m"`],
    maxNodeProvisionTime: [MINUTES, `whole minutes such as "15m"`],
    maxEmptyBulkDelete: [INTEGER, `a whole number such as "10"`],
    okTotalUnreadyCount: [INTEGER, `a whole number such as "3"`],
    maxTotalUnreadyPercentage: [INTEGER, `a whole number 0–100 such as "45"`],
    maxGracefulTerminationSec: [INTEGER, `whole seconds such as "600"`],
    skipNodesWithLocalStorage: [BOOLEAN, `"true" or "false"`],
    skipNodesWithSystemPods: [BOOLEAN, `"true" or "false"`],
    balanceSimilarNodeGroups: [BOOLEAN, `"true" or "false"`],
    scaleDownUtilizationThreshold: [FRACTION, `a fraction between 0 and 1 such as "0.5"`],
};

export function clusterRules(cfg: PlatformConfig): Problem[] {
    const problems: Problem[] = [];
    for (const [name, value] of Object.entries(cfg.cluster.autoscaler)) {
        const format = FORMATS[name];
        if (format && value !== undefined && !format[0].test(value)) {
            problems.push(error([key("cluster", "autoscaler", name)], `"${value}" is not a value AKS accepts for ${name}`, `use ${format[1]}`));
        }
    }
    const pct = cfg.cluster.autoscaler.maxTotalUnreadyPercentage;
    if (pct !== undefined && INTEGER.test(pct) && Number(pct) > 100) {
        problems.push(error([key("cluster", "autoscaler", "maxTotalUnreadyPercentage")], `"${pct}" is above 100`, `use a percentage from 0 to 100`));
    }
    return problems;
}
