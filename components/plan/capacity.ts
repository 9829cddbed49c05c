/**
 * What the stack can grow to, and so which regional vCPU quotas to raise before `pulumi up`.
 * Spot VMs count against the regional "Total Regional Spot vCPUs" quota (lowPriorityCores); Regular VMs
 * against their family quota and "Total Regional vCPUs" (learn.microsoft.com azure/quotas/spot-quota,
 * regional-quota-requests). One surge node per pool is counted because upgrades add it.
 */
import type { PlatformConfig, PoolConfig } from "../config/schema";
import { allPools, isSpot } from "./pools";

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
    /** vCPUs at maxCount plus one upgrade-surge node. */
    readonly vcpusAtMax: number | null;
    readonly quota: string;
}

export interface CapacitySummary {
    readonly maxNodes: number;
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
        const vcpusAtMax = info ? (p.maxCount + 1) * info.vcpus : null;
        return {
            pool: p.name,
            vmSize: p.vmSize,
            priority: p.priority,
            maxNodes: p.maxCount,
            vcpusPerNode: info?.vcpus ?? null,
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
        pools,
        quotaToRequest,
        howToCheck: `az vm list-usage --location ${cfg.location} --query "[?contains('${Object.keys(quotaToRequest).join(" ")}', name.value)]" -o table`,
    };
}

/** With an existing cluster the stack adds no node and needs no quota: the cluster's pools and quota are its own. */
export function existingClusterCapacity(existing: { resourceGroup: string; name: string }): CapacitySummary {
    return {
        maxNodes: 0,
        pools: [],
        quotaToRequest: {},
        howToCheck: `the existing cluster's pools and quota are its own: az aks nodepool list --resource-group ${existing.resourceGroup} --cluster-name ${existing.name} -o table`,
    };
}
