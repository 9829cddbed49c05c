/**
 * What the stack can grow to, and so which regional vCPU quotas to raise before `pulumi up`.
 * Spot VMs count against the regional "Total Regional Spot vCPUs" quota (lowPriorityCores); Regular VMs
 * against their family quota and "Total Regional vCPUs" (learn.microsoft.com azure/quotas/spot-quota,
 * regional-quota-requests). Each pool's upgrade surge is counted on top of maxCount (plan/pools.ts surgeNodes):
 * "Node surges require subscription quota for the requested max surge count for each upgrade operation"
 * (aks-docs upgrade-aks-node-pools-rolling.md). Spot pools have none (spot-node-pool.md).
 */
import type { PlatformConfig, PoolConfig } from "../config/schema";
import { allPools, isSpot, surgeNodes } from "./pools";

export interface VmSizeInfo {
    readonly vcpus: number;
    /** Quota name as `az vm list-usage` shows it (name.value), e.g. standardDDSv5Family. */
    readonly family: string;
}

/** Reads vCPUs and quota family from a size name: Standard_D4ds_v5 → 4 vCPUs, standardDDSv5Family. */
export function vmSizeInfo(vmSize: string): VmSizeInfo | undefined {
    const m = /^Standard_([A-Z]+)(\d+)(?:-\d+)?([a-z]*)(?:_v(\d+))?$/.exec(vmSize);
    if (!m) return undefined;
    const [, series, vcpus, features, version] = m;
    return { vcpus: Number(vcpus), family: `standard${series}${features.toUpperCase()}${version ? `v${version}` : ""}Family` };
}

export interface PoolCapacity {
    readonly pool: string;
    readonly vmSize: string;
    readonly priority: PoolConfig["priority"];
    readonly maxNodes: number;
    readonly vcpusPerNode: number | null;
    /** Extra nodes an upgrade adds at maxCount (0 on Spot pools). */
    readonly surgeNodes: number;
    /** vCPUs at maxCount plus the upgrade surge. */
    readonly vcpusAtMax: number | null;
    readonly quota: string;
}

export interface CapacitySummary {
    readonly maxNodes: number;
    /** maxNodes plus every pool's upgrade surge: what quota, addresses and SNAT are sized for. */
    readonly peakNodes: number;
    readonly pools: PoolCapacity[];
    /** Quota name → vCPUs to have approved in the region before deploying. */
    readonly quotaToRequest: Record<string, number>;
    readonly howToCheck: string;
}

export const SPOT_QUOTA = "lowPriorityCores";
export const REGIONAL_QUOTA = "cores";

export function capacitySummary(cfg: PlatformConfig): CapacitySummary {
    const pools = allPools(cfg).map((p): PoolCapacity => {
        const info = vmSizeInfo(p.vmSize);
        const surge = surgeNodes(p);
        const vcpusAtMax = info ? (p.maxCount + surge) * info.vcpus : null;
        return {
            pool: p.name,
            vmSize: p.vmSize,
            priority: p.priority,
            maxNodes: p.maxCount,
            vcpusPerNode: info?.vcpus ?? null,
            surgeNodes: surge,
            vcpusAtMax,
            quota: isSpot(p) ? SPOT_QUOTA : (info?.family ?? `family of ${p.vmSize}`),
        };
    });
    const quotaToRequest: Record<string, number> = {};
    const add = (name: string, n: number) => (quotaToRequest[name] = (quotaToRequest[name] ?? 0) + n);
    for (const p of pools) {
        if (p.vcpusAtMax === null) continue;
        add(p.quota, p.vcpusAtMax);
        if (p.priority === "Regular") add(REGIONAL_QUOTA, p.vcpusAtMax);
    }
    return {
        maxNodes: pools.reduce((s, p) => s + p.maxNodes, 0),
        peakNodes: pools.reduce((s, p) => s + p.maxNodes + p.surgeNodes, 0),
        pools,
        quotaToRequest,
        howToCheck: `az vm list-usage --location ${cfg.location} --query "[?contains('${Object.keys(quotaToRequest).join(" ")}', name.value)]" -o table`,
    };
}

/** With an existing cluster the stack adds no node and needs no quota: the cluster's pools and quota are its own. */
export function existingClusterCapacity(existing: { resourceGroup: string; name: string }): CapacitySummary {
    return {
        maxNodes: 0,
        peakNodes: 0,
        pools: [],
        quotaToRequest: {},
        howToCheck: `the existing cluster's pools and quota are its own: az aks nodepool list --resource-group ${existing.resourceGroup} --cluster-name ${existing.name} -o table`,
    };
}
