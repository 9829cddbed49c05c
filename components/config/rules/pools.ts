/** Node pool rules (FACTS §2): AKS name format and size limits, Spot never as the system pool, tier vs size. */
import type { PlatformConfig } from "../schema";
import { allPools, isSpot, maxClusterNodes, peakClusterNodes, surgeNodes } from "../../plan/pools";
import { given, type RuleContext } from "./context";
import { error, key, warning, type Problem } from "./problem";

/** AKS limits (aks-docs quotas-skus-regions.md, FACTS §2). */
export const AKS_LIMITS = { nodesPerPool: 1000, nodesPerCluster: 5000, poolsPerCluster: 100, freeTierRecommendedNodes: 10 } as const;

/** Linux agent pool names: lowercase alphanumerics, start with a letter, 1–12 characters (aks-docs create-node-pools.md). */
const POOL_NAME = /^[a-z][a-z0-9]{0,11}$/;

export function poolRules(cfg: PlatformConfig, ctx?: RuleContext): Problem[] {
    const problems: Problem[] = [];
    const pools = allPools(cfg);
    const poolKey = (i: number, field: string) => (i === 0 ? key("cluster", "systemPool", field) : key("pools", i - 1, field));

    const seen = new Map<string, number>();
    pools.forEach((p, i) => {
        if (!POOL_NAME.test(p.name)) {
            problems.push(error([poolKey(i, "name")], `"${p.name}" is not a valid agent pool name`, `use 1–12 lowercase letters or digits starting with a letter, e.g. "spot1"`));
        }
        if (seen.has(p.name)) {
            problems.push(error([poolKey(seen.get(p.name)!, "name"), poolKey(i, "name")], `two pools are named "${p.name}"`, `give every pool a unique name`));
        }
        seen.set(p.name, i);
        if (p.minCount > p.maxCount) {
            problems.push(error([poolKey(i, "minCount"), poolKey(i, "maxCount")], `minCount ${p.minCount} is greater than maxCount ${p.maxCount}`, `make minCount ≤ maxCount`));
        }
        if (p.maxCount > AKS_LIMITS.nodesPerPool) {
            problems.push(
                error([poolKey(i, "maxCount")], `maxCount ${p.maxCount} exceeds AKS's ${AKS_LIMITS.nodesPerPool} nodes per pool`, `split the capacity across pools of at most ${AKS_LIMITS.nodesPerPool} nodes (more than one Spot SKU also lowers eviction risk)`),
            );
        }
        // Upgrade surge (plan/pools.ts surgeNodes): none on Spot pools, and a pool plus its surge must fit one scale set.
        const surgeGiven = i === 0 ? given(ctx, "cluster", "systemPool", "maxSurge") : given(ctx, "pools", i - 1, "maxSurge");
        if (isSpot(p) && (surgeGiven || p.maxSurge !== undefined)) {
            problems.push(
                error(
                    [poolKey(i, "maxSurge"), poolKey(i, "priority")],
                    `maxSurge "${p.maxSurge}" on Spot pool "${p.name}" has no effect and AKS refuses it ("Spot pools can't set max surge"): Spot pools are upgraded in place, without surge nodes (aks-docs spot-node-pool.md)`,
                    `remove maxSurge from pool "${p.name}"`,
                ),
            );
        }
        const surge = surgeNodes(p);
        if (surge > 0 && p.maxCount + surge > AKS_LIMITS.nodesPerPool) {
            problems.push(
                error(
                    [poolKey(i, "maxSurge"), poolKey(i, "maxCount")],
                    `pool "${p.name}" at maxCount ${p.maxCount} plus its upgrade surge of ${surge} node(s) (maxSurge "${p.maxSurge ?? "10%"}") exceeds the ${AKS_LIMITS.nodesPerPool} instances of one scale set, so AKS rejects its upgrades before they start (aks-docs upgrade-aks-node-pools-rolling.md)`,
                    `lower maxCount to ${AKS_LIMITS.nodesPerPool - surge} or less, set maxSurge to a count of at most ${Math.max(1, AKS_LIMITS.nodesPerPool - p.maxCount)}, or split the pool`,
                ),
            );
        }
        if (i > 0 && p.maxCount === 0) {
            problems.push(error([poolKey(i, "maxCount")], `maxCount is 0, so pool "${p.name}" can never have a node`, `set maxCount ≥ 1 or remove the pool`));
        }
    });
    // System pool limits (aks-docs use-system-pools.md): room for ≥ 30 pods; vCPUs, memory and B-series in vmSizes.ts.
    const system = cfg.cluster.systemPool;
    if (system.maxPods !== undefined && system.maxPods < 30) {
        problems.push(error([key("cluster", "systemPool", "maxPods")], `maxPods ${system.maxPods} is below the 30 pods AKS requires of a system pool`, `set maxPods to 30 or more`));
    }
    if (cfg.cluster.systemPool.priority === "Spot") {
        problems.push(
            error([key("cluster", "systemPool", "priority")], `the system pool is "Spot", but AKS requires Regular priority for system pools (Spot nodes can be evicted at any time)`, `set cluster.systemPool.priority to "Regular" and put Spot capacity in a worker pool under kedascale:pools`),
        );
    }
    if (pools.length > AKS_LIMITS.poolsPerCluster) {
        problems.push(error([key("pools")], `${pools.length} pools exceed AKS's ${AKS_LIMITS.poolsPerCluster} per cluster`, `merge pools`));
    }
    const total = maxClusterNodes(cfg);
    if (total > AKS_LIMITS.nodesPerCluster) {
        problems.push(error([key("pools"), key("cluster", "systemPool", "maxCount")], `the pools can reach ${total} nodes, above AKS's ${AKS_LIMITS.nodesPerCluster} per cluster`, `lower maxCount across pools to a total of at most ${AKS_LIMITS.nodesPerCluster}`));
    }
    const peak = peakClusterNodes(cfg);
    if (total <= AKS_LIMITS.nodesPerCluster && peak > AKS_LIMITS.nodesPerCluster) {
        problems.push(
            error(
                [key("pools"), key("cluster", "systemPool", "maxSurge")],
                `the pools reach ${total} nodes, and ${peak} with upgrade surge: AKS blocks upgrades of a cluster at its ${AKS_LIMITS.nodesPerCluster}-node limit (aks-docs best-practices-performance-scale-large.md)`,
                `lower maxCount or maxSurge so Σ(maxCount + surge) stays at most ${AKS_LIMITS.nodesPerCluster}`,
            ),
        );
    }
    if (cfg.cluster.tier === "Free" && total > AKS_LIMITS.freeTierRecommendedNodes) {
        problems.push(
            warning([key("cluster", "tier")], `tier "Free" with pools that can reach ${total} nodes: Free has no SLA and a small API server (50 mutating / 100 read in flight), recommended under ${AKS_LIMITS.freeTierRecommendedNodes} nodes`, `set cluster.tier to "Standard" for clusters that scale out`),
        );
    }
    return problems;
}
