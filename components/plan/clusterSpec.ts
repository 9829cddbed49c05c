/**
 * Pure mapping from pools and network settings to the AKS API's shapes, so the mapping tests without mocks.
 * Parameters are the narrow shapes read (config's types and AksCluster's resolved args both fit).
 */
import type { NetworkConfig, PoolConfig } from "../config/schema";
import { outboundProfile, type OutboundSettings } from "./outbound";
import { isAutoscaled, isSpot, maxPodsFor, maxSurgeFor, osDiskPlan, poolTaints, type NetworkPlugin } from "./pools";

/** A pool with every default applied (config's PoolConfig, AksCluster's resolved NodePoolArgs). */
export type PoolShape = Pick<PoolConfig, "name" | "vmSize" | "priority" | "minCount" | "maxCount" | "osDiskType" | "osDiskSizeGB" | "maxPods" | "maxSurge" | "zones" | "labels" | "taints">;
/** The network fields the AKS network profile is rendered from. */
export type ClusterNetworkShape = Pick<NetworkConfig, "plugin" | "dataplane" | "podCidr" | "serviceCidr" | "dnsServiceIP">;

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
    /** Regular pools only: ARM refuses maxSurge on Spot pools (plan/pools.ts maxSurgeFor). */
    upgradeSettings?: { maxSurge: string };
}

/** Config form: the plugin and the system pool's onlyCriticalAddons come from the stack config. */
export function poolSpec(
    cfg: { network: { plugin: NetworkPlugin }; cluster: { systemPool: { onlyCriticalAddons: boolean } } },
    pool: PoolShape,
    system: boolean,
): PoolSpec {
    return nodePoolSpec(pool, { plugin: cfg.network.plugin, system, onlyCriticalAddons: system && cfg.cluster.systemPool.onlyCriticalAddons });
}

/** One pool in the AKS API's shape. `system`: the inline System-mode pool; onlyCriticalAddons taints it. */
export function nodePoolSpec(pool: PoolShape, opts: { plugin: NetworkPlugin; system: boolean; onlyCriticalAddons: boolean }): PoolSpec {
    const { system } = opts;
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
        maxPods: maxPodsFor(opts.plugin, pool),
        // Decided from the VM size table so an Ephemeral disk always fits the local disk (plan/pools.ts osDiskPlan).
        ...osDiskFields(pool),
        ...(pool.zones.length ? { availabilityZones: pool.zones } : {}),
        nodeLabels: { ...pool.labels, "kedascale.io/pool": pool.name },
        nodeTaints: poolTaints(pool, { system, onlyCriticalAddons: system && opts.onlyCriticalAddons }),
    };
    // Stated, never left to AKS: its default differs between API versions and docs (10 % vs one node), and
    // capacity, quota, pod CIDR and SNAT are sized for this value (plan/pools.ts surgeNodes).
    const maxSurge = maxSurgeFor(pool);
    if (maxSurge !== undefined) spec.upgradeSettings = { maxSurge };
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
    loadBalancerProfile: ReturnType<typeof outboundProfile>["loadBalancerProfile"] & { backendPoolType: BackendPoolType };
}

/**
 * How nodes join the load balancer's backend pools. NodeIP (by IP address) "provides higher efficiencies when updating
 * services and provisioning load balancers, especially at high node counts" (aks-docs configure-load-balancer-standard.md,
 * "Change the inbound pool type"); it needs joinLoadBalancer on the VNet (AksCluster grants it) and rules out Private
 * Link Service, which kedascale does not use. NodeIPConfiguration is the legacy NIC-based membership.
 */
export type BackendPoolType = "NodeIP" | "NodeIPConfiguration";

/** AKS's own egress defaults: one managed IP, automatic SNAT ports, 30-minute idle timeout (schema.ts outboundSchema). */
const DEFAULT_OUTBOUND: OutboundSettings = { outboundIPs: 1, allocatedOutboundPorts: 0, idleTimeoutMinutes: 30 };

/** `outbound` defaults to AKS's (one IP, automatic ports); rules/outbound.ts sizes it for Σ maxCount. */
export function networkProfileSpec(net: ClusterNetworkShape, outbound: OutboundSettings = DEFAULT_OUTBOUND, backendPoolType: BackendPoolType = "NodeIPConfiguration"): NetworkProfileSpec {
    const cilium = net.dataplane === "cilium" ? { networkDataplane: "cilium" as const, networkPolicy: "cilium" as const } : {};
    const egress = outboundProfile(outbound);
    const common = {
        serviceCidr: net.serviceCidr,
        dnsServiceIP: net.dnsServiceIP,
        loadBalancerSku: "standard" as const,
        outboundType: egress.outboundType,
        loadBalancerProfile: { ...egress.loadBalancerProfile, backendPoolType },
    };
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

function osDiskFields(pool: PoolShape): Pick<PoolSpec, "osDiskType" | "osDiskSizeGB"> {
    const plan = osDiskPlan(pool);
    return { ...(plan.osDiskType ? { osDiskType: plan.osDiskType } : {}), ...(plan.osDiskSizeGB ? { osDiskSizeGB: plan.osDiskSizeGB } : {}) };
}
