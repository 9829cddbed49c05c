/** Pure mapping from pool and network config to the AKS API's shapes, so the mapping tests without mocks. */
import { outboundSchema, type NetworkConfig, type OutboundConfig, type PoolConfig } from "../config/schema";
import { outboundProfile } from "./outbound";
import { effectiveMaxPods, isAutoscaled, isSpot, osDiskPlan, poolTaints } from "./pools";
import type { PlatformConfig } from "../config/schema";

/** Fields shared by the inline system pool and separate AgentPools (AKS API names). */
export interface PoolSpec {
    vmSize: string;
    osType: "Linux";
    type: "VirtualMachineScaleSets";
    mode: "System" | "User";
    count: number;
    enableAutoScaling: boolean;
    minCount?: number;
    maxCount?: number;
    maxPods: number;
    osDiskType?: "Ephemeral" | "Managed";
    osDiskSizeGB?: number;
    availabilityZones?: string[];
    nodeLabels: Record<string, string>;
    nodeTaints: string[];
    scaleSetPriority?: "Spot";
    scaleSetEvictionPolicy?: "Delete";
    spotMaxPrice?: number;
}

export function poolSpec(cfg: Pick<PlatformConfig, "network" | "cluster">, pool: PoolConfig, system: boolean): PoolSpec {
    const autoscaled = isAutoscaled(pool);
    const spec: PoolSpec = {
        vmSize: pool.vmSize,
        osType: "Linux",
        type: "VirtualMachineScaleSets",
        mode: system ? "System" : "User",
        // The autoscaler owns count afterwards (ignoreChanges), so the initial count is just the floor.
        count: pool.minCount,
        enableAutoScaling: autoscaled,
        ...(autoscaled ? { minCount: pool.minCount, maxCount: pool.maxCount } : {}),
        maxPods: effectiveMaxPods(cfg, pool),
        // Decided from the VM size table so an Ephemeral disk always fits the local disk (plan/pools.ts osDiskPlan).
        ...osDiskFields(pool),
        ...(pool.zones.length ? { availabilityZones: pool.zones } : {}),
        nodeLabels: { ...pool.labels, "kedascale.io/pool": pool.name },
        nodeTaints: poolTaints(pool, { system, onlyCriticalAddons: system && cfg.cluster.systemPool.onlyCriticalAddons }),
    };
    if (isSpot(pool)) {
        // Delete (not Deallocate) so evicted VMs free quota; -1 = pay up to the on-demand price, never evicted for price (FACTS §2).
        Object.assign(spec, { scaleSetPriority: "Spot", scaleSetEvictionPolicy: "Delete", spotMaxPrice: -1 });
    }
    return spec;
}

export interface NetworkProfileSpec {
    networkPlugin: "azure" | "kubenet";
    networkPluginMode?: "overlay";
    networkDataplane?: "cilium";
    networkPolicy?: "cilium";
    podCidr?: string;
    serviceCidr: string;
    dnsServiceIP: string;
    loadBalancerSku: "standard";
    outboundType: "loadBalancer";
    loadBalancerProfile: ReturnType<typeof outboundProfile>["loadBalancerProfile"];
}

/** `outbound` defaults to the schema's (one IP, automatic ports); rules/outbound.ts sizes it for Σ maxCount. */
export function networkProfileSpec(net: NetworkConfig, outbound: OutboundConfig = outboundSchema.parse({})): NetworkProfileSpec {
    const cilium = net.dataplane === "cilium" ? { networkDataplane: "cilium" as const, networkPolicy: "cilium" as const } : {};
    const common = { serviceCidr: net.serviceCidr, dnsServiceIP: net.dnsServiceIP, loadBalancerSku: "standard" as const, ...outboundProfile(outbound) };
    switch (net.plugin) {
        case "azureOverlay":
            return { networkPlugin: "azure", networkPluginMode: "overlay", podCidr: net.podCidr, ...cilium, ...common };
        case "azureNodeSubnet":
            // Without a mode, "azure" is node-subnet CNI: pods take VNet IPs (FACTS §3).
            return { networkPlugin: "azure", ...cilium, ...common };
        case "kubenet":
            return { networkPlugin: "kubenet", podCidr: net.podCidr, ...common };
    }
}

function osDiskFields(pool: PoolConfig): Pick<PoolSpec, "osDiskType" | "osDiskSizeGB"> {
    const plan = osDiskPlan(pool);
    return { ...(plan.osDiskType ? { osDiskType: plan.osDiskType } : {}), ...(plan.osDiskSizeGB ? { osDiskSizeGB: plan.osDiskSizeGB } : {}) };
}
