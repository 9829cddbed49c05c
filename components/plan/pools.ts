/** Pure decisions about node pools: which pools exist, their effective pod density and autoscaling. */
import type { PlatformConfig, PoolConfig } from "../config/schema";
import { aksDefaultOsDiskGB, ephemeralPlacement, largestEphemeralOsDiskGB, lookupVmSize, MIN_OS_DISK_GB, type EphemeralPlacement, type VmSize } from "../limits/vmSizes";

/** AKS's maxPods defaults when none is given (aks-docs azure-cni-overlay / configure-azure-cni). */
const DEFAULT_MAX_PODS = { azureOverlay: 250, azureNodeSubnet: 30, kubenet: 110 } as const;

/** The system pool first, then the worker pools, as one list. */
export function allPools(cfg: PlatformConfig): PoolConfig[] {
    return [cfg.cluster.systemPool, ...cfg.pools];
}

export type NetworkPlugin = keyof typeof DEFAULT_MAX_PODS;

/** A pool's maxPods, or AKS's default for the network plugin. */
export function maxPodsFor(plugin: NetworkPlugin, pool: Pick<PoolConfig, "maxPods">): number {
    return pool.maxPods ?? DEFAULT_MAX_PODS[plugin];
}

export function effectiveMaxPods(cfg: { network: { plugin: NetworkPlugin } }, pool: Pick<PoolConfig, "maxPods">): number {
    return maxPodsFor(cfg.network.plugin, pool);
}

/** The cluster autoscaler owns a pool's count only when the pool may change size. */
export function isAutoscaled(pool: Pick<PoolConfig, "minCount" | "maxCount">): boolean {
    return pool.minCount < pool.maxCount;
}

export function isSpot(pool: Pick<PoolConfig, "priority">): boolean {
    return pool.priority === "Spot";
}

/** The most nodes the cluster can reach when every pool is at maxCount. */
export function maxClusterNodes(cfg: PlatformConfig): number {
    return allPools(cfg).reduce((sum, p) => sum + p.maxCount, 0);
}

/**
 * Upgrade surge rendered on Regular pools when none is given: the AKS API's own default ("If not specified, the
 * default is 10%": azure-native AgentPoolUpgradeSettings.maxSurge) and the low end of AKS's 10–20 % for pools past
 * 500 nodes (aks-docs best-practices-performance-scale-large.md). Stated so the arithmetic below is what AKS does,
 * whichever default a given API version or doc page claims (upgrade-aks-node-pools-rolling.md still says one node).
 */
export const DEFAULT_MAX_SURGE = "10%";

/** maxSurge as AKS takes it: a node count ("5") or a percentage of the pool, 1–100 % ("33%") (upgrade-aks-node-pools-rolling.md). */
export const MAX_SURGE_FORMAT = /^([1-9]\d*|([1-9]\d?|100)%)$/;

/**
 * The maxSurge to render: none on Spot pools, which have no surge nodes ("There are no surge nodes available for
 * Spot node pool upgrades": aks-docs spot-node-pool.md) and where ARM refuses the field ("Spot pools can't set max
 * surge", InvalidParameter agentPoolProfile.upgrade.maxSurge: terraform-provider-azurerm#19355, #31129); the given
 * value or DEFAULT_MAX_SURGE on Regular pools.
 */
export function maxSurgeFor(pool: Pick<PoolConfig, "priority" | "maxSurge">): string | undefined {
    return isSpot(pool) ? undefined : (pool.maxSurge ?? DEFAULT_MAX_SURGE);
}

/**
 * Extra nodes an upgrade of this pool adds at its largest: a percentage of the pool size rounded up, never more than
 * the nodes being upgraded (upgrade-aks-node-pools-rolling.md: "A percent value is rounded up to the nearest node
 * count. If the max surge value is higher than the required number of nodes to be upgraded, the number of nodes to be
 * upgraded is used"). These nodes need quota, IPs, pod CIDR blocks and SNAT ports like any other.
 */
export function surgeNodes(pool: Pick<PoolConfig, "priority" | "maxSurge" | "maxCount">): number {
    const surge = maxSurgeFor(pool);
    if (surge === undefined || !MAX_SURGE_FORMAT.test(surge)) return 0;
    const n = surge.endsWith("%") ? Math.ceil((pool.maxCount * Number(surge.slice(0, -1))) / 100) : Number(surge);
    return Math.min(n, pool.maxCount);
}

/** A pool at maxCount in the middle of an upgrade: maxCount plus its surge. */
export function peakPoolNodes(pool: Pick<PoolConfig, "priority" | "maxSurge" | "maxCount">): number {
    return pool.maxCount + surgeNodes(pool);
}

/** Every node the cluster can hold at once: Σ (maxCount + upgrade surge) over every pool, the system pool included. */
export function peakClusterNodes(cfg: Pick<PlatformConfig, "cluster" | "pools">): number {
    return [cfg.cluster.systemPool, ...cfg.pools].reduce((sum, p) => sum + peakPoolNodes(p), 0);
}

/** Labels and taint AKS itself puts on Spot nodes (FACTS §2); workloads tolerate and select these. */
export const SPOT_LABEL = { key: "kubernetes.azure.com/scalesetpriority", value: "spot" } as const;
export const SPOT_TAINT = `${SPOT_LABEL.key}=${SPOT_LABEL.value}:NoSchedule`;
export const CRITICAL_ADDONS_TAINT = "CriticalAddonsOnly=true:NoSchedule";

/** Taints to declare on a pool: the user's, plus AKS's Spot taint declared explicitly so a diff never tries to remove it. */
export function poolTaints(pool: Pick<PoolConfig, "taints" | "priority">, opts: { system: boolean; onlyCriticalAddons?: boolean }): string[] {
    const taints = [...pool.taints];
    if (opts.system && opts.onlyCriticalAddons) taints.push(CRITICAL_ADDONS_TAINT);
    if (isSpot(pool)) taints.push(SPOT_TAINT);
    return [...new Set(taints)];
}

/** What the OS disk of a pool will be, decided from the VM size table (components/limits/vmSizes.ts). */
export interface OsDiskPlan {
    /** Rendered osDiskType; undefined leaves it to AKS (unknown size, nothing asked). */
    readonly osDiskType?: "Ephemeral" | "Managed";
    /** Rendered osDiskSizeGB; undefined leaves AKS's default. */
    readonly osDiskSizeGB?: number;
    /** The size as the table knows it, if it does. */
    readonly size?: VmSize;
    /** Largest ephemeral OS disk the size holds (GiB), and on which local disk. */
    readonly largestEphemeralGB?: number;
    readonly placement?: EphemeralPlacement;
    /** Why the plan cannot be deployed, or what it fell back to; rules turn these into messages. */
    readonly issue?: "unknownSize" | "sizeTooLarge" | "noLocalDisk" | "localDiskTooSmall" | "fellBackToManaged";
}

/**
 * Decides the OS disk AKS will get. Ephemeral, given or not, must fit the local disk AKS places it on (cache, else
 * temp, else NVMe: vmSizes.ts). With Ephemeral and no size, render the AKS default for the vCPU count
 * (concepts-storage.md) cut down to what fits, because AKS applies that default to ephemeral disks too and refuses
 * one that does not fit (dev's D2ds_v5: default 128 GiB, temp disk 75 GiB → 75). With no osDiskType, do what AKS
 * does: ephemeral when it fits, else Managed — stated, so the diff shows it.
 */
export function osDiskPlan(pool: Pick<PoolConfig, "vmSize" | "osDiskType" | "osDiskSizeGB">): OsDiskPlan {
    const size = lookupVmSize(pool.vmSize);
    if (!size) {
        return { osDiskType: pool.osDiskType, osDiskSizeGB: pool.osDiskSizeGB, issue: "unknownSize" };
    }
    const largest = largestEphemeralOsDiskGB(size);
    const { placement } = ephemeralPlacement(size);
    const base = { size, largestEphemeralGB: largest, placement };
    const fits = largest >= MIN_OS_DISK_GB;
    const wanted = pool.osDiskSizeGB ?? Math.min(aksDefaultOsDiskGB(size.vcpus), largest);
    if (pool.osDiskType === "Managed") return { ...base, osDiskType: "Managed", osDiskSizeGB: pool.osDiskSizeGB };
    if (pool.osDiskType === "Ephemeral") {
        if (largest === 0) return { ...base, osDiskType: "Ephemeral", osDiskSizeGB: pool.osDiskSizeGB, issue: "noLocalDisk" };
        if (!fits) return { ...base, osDiskType: "Ephemeral", osDiskSizeGB: pool.osDiskSizeGB, issue: "localDiskTooSmall" };
        if (wanted > largest) return { ...base, osDiskType: "Ephemeral", osDiskSizeGB: wanted, issue: "sizeTooLarge" };
        return { ...base, osDiskType: "Ephemeral", osDiskSizeGB: wanted };
    }
    // Not given: AKS's own rule, made explicit.
    if (fits && wanted <= largest) return { ...base, osDiskType: "Ephemeral", osDiskSizeGB: wanted };
    return { ...base, osDiskType: "Managed", osDiskSizeGB: pool.osDiskSizeGB, issue: "fellBackToManaged" };
}
