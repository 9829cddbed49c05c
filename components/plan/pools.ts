/** Pure decisions about node pools: which pools exist, their effective pod density and autoscaling. */
import type { PlatformConfig, PoolConfig } from "../config/schema";

/** AKS's maxPods defaults when none is given (aks-docs azure-cni-overlay / configure-azure-cni). */
const DEFAULT_MAX_PODS = { azureOverlay: 250, azureNodeSubnet: 30, kubenet: 110 } as const;

/** The system pool first, then the worker pools, as one list. */
export function allPools(cfg: PlatformConfig): PoolConfig[] {
    return [cfg.cluster.systemPool, ...cfg.pools];
}

export function effectiveMaxPods(cfg: Pick<PlatformConfig, "network">, pool: PoolConfig): number {
    return pool.maxPods ?? DEFAULT_MAX_PODS[cfg.network.plugin];
}

/** The cluster autoscaler owns a pool's count only when the pool may change size. */
export function isAutoscaled(pool: PoolConfig): boolean {
    return pool.minCount < pool.maxCount;
}

export function isSpot(pool: PoolConfig): boolean {
    return pool.priority === "Spot";
}

/** The most nodes the cluster can reach when every pool is at maxCount. */
export function maxClusterNodes(cfg: PlatformConfig): number {
    return allPools(cfg).reduce((sum, p) => sum + p.maxCount, 0);
}

/** Labels and taint AKS itself puts on Spot nodes (FACTS §2); workloads tolerate and select these. */
export const SPOT_LABEL = { key: "kubernetes.azure.com/scalesetpriority", value: "spot" } as const;
export const SPOT_TAINT = `${SPOT_LABEL.key}=${SPOT_LABEL.value}:NoSchedule`;
export const CRITICAL_ADDONS_TAINT = "CriticalAddonsOnly=true:NoSchedule";

/** Taints to declare on a pool: the user's, plus AKS's Spot taint declared explicitly so a diff never tries to remove it. */
export function poolTaints(pool: PoolConfig, opts: { system: boolean; onlyCriticalAddons?: boolean }): string[] {
    const taints = [...pool.taints];
    if (opts.system && opts.onlyCriticalAddons) taints.push(CRITICAL_ADDONS_TAINT);
    if (isSpot(pool)) taints.push(SPOT_TAINT);
    return [...new Set(taints)];
}
