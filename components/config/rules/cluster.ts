/**
 * Cluster autoscaler settings: value formats (azure-native v3 ManagedClusterPropertiesAutoScalerProfile docs), the
 * profile having anything to scale, and node scale-down not cutting a workload's shutdown short.
 */
import { onContainerApps } from "../workloadPlatform";
import { autoscalerProfile } from "../../plan/autoscaler";
import { allPools, isAutoscaled } from "../../plan/pools";
import { shutdownBudget } from "../../plan/shutdown";
import type { StackConfig } from "../stack";
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
    scaleDownDelayAfterFailure: [MINUTES, `whole minutes such as "3m"`],
    scaleDownUnneededTime: [MINUTES, `whole minutes such as "10m"`],
    scaleDownUnreadyTime: [MINUTES, `whole minutes such as "20m"`],
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

export function clusterRules(cfg: StackConfig): Problem[] {
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
    const bulk = cfg.cluster.autoscaler.maxEmptyBulkDelete;
    if (bulk !== undefined && INTEGER.test(bulk) && Number(bulk) < 1) {
        problems.push(error([key("cluster", "autoscaler", "maxEmptyBulkDelete")], `"${bulk}" deletes no empty node at all; AKS takes a positive integer`, `use 1 or more (AKS default 10, burst preset 100)`));
    }
    return problems;
}

/**
 * When the autoscaler removes a node it waits at most max-graceful-termination-sec for its pods (aks-docs
 * cluster-autoscaler.md; AKS's bursty profile: 30): a workload on cluster nodes whose terminationGracePeriodSeconds is
 * longer is killed mid-shutdown at every scale-down, so its in-flight messages come back only after their lock.
 */
export function autoscalerGraceRules(cfg: StackConfig): Problem[] {
    if (!allPools(cfg).some(isAutoscaled)) return [];
    const raw = autoscalerProfile(cfg.cluster).maxGracefulTerminationSec;
    const limit = Number(raw);
    if (!INTEGER.test(raw ?? "")) return [];
    const problems: Problem[] = [];
    cfg.workloads.forEach((w, i) => {
        if (onContainerApps(w) || w.placement === "virtualNodes") return; // no node of ours to scale down
        const grace = shutdownBudget(w, cfg.pools).terminationGracePeriodSeconds;
        if (grace <= limit) return;
        const source = cfg.cluster.autoscaler.maxGracefulTerminationSec !== undefined ? `cluster.autoscaler.maxGracefulTerminationSec` : `the "${cfg.cluster.autoscalerPreset}" autoscaler preset's maxGracefulTerminationSec`;
        problems.push(
            error(
                [key("workloads", i, "terminationGracePeriodSeconds"), key("cluster", "autoscaler", "maxGracefulTerminationSec"), key("cluster", "autoscalerPreset")],
                `workload "${w.name}" has terminationGracePeriodSeconds ${grace}${w.terminationGracePeriodSeconds === undefined ? " (its placement's default)" : ""}, but ${source} is ${limit}: the autoscaler kills its pods ${grace - limit} s early whenever it removes their node`,
                `set workloads[${i}].terminationGracePeriodSeconds to ${limit} or less, or set cluster.autoscaler.maxGracefulTerminationSec to "${grace}" or more`,
            ),
        );
    });
    return problems;
}
