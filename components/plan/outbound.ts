/**
 * Node egress capacity (SNAT ports), pure. Numbers: Azure Load Balancer outbound-connections doc and AKS
 * load-balancer-standard.md (FACTS §2).
 * - Automatic allocation (allocatedOutboundPorts 0) gives each node ports by backend pool size:
 *   1–50 nodes 1,024; 51–100 512; 101–200 256; 201–400 128; 401–800 64; 801–1,000 32. The table is per frontend IP;
 *   we count one IP's worth in automatic mode (AKS advises setting allocatedOutboundPorts explicitly when adding IPs).
 * - Manual allocation: every node gets exactly allocatedOutboundPorts; the frontend IPs must hold them all:
 *   nodes × ports ≤ IPs × 64,000, else nodes beyond that get no outbound at all.
 */
import type { OutboundConfig, PlatformConfig } from "../config/schema";

export const SNAT_PORTS_PER_LB_IP = 64_000;

/**
 * Fewest SNAT ports per node we accept. Each outbound connection to one destination ip:port holds a port, and a
 * closed one is reusable only after a cool-down, so a node booting under a burst (image layers from ACR and its
 * storage endpoint, AMQP to Service Bus, HTTPS to Blob, kubelet/CNI/monitoring agents to the API server) easily holds
 * dozens at once. Below 64, SNAT exhaustion shows as connection timeouts exactly when the pool scales out.
 */
export const MIN_SNAT_PORTS_PER_NODE = 64;

const AUTOMATIC_TABLE: [maxNodes: number, ports: number][] = [
    [50, 1024],
    [100, 512],
    [200, 256],
    [400, 128],
    [800, 64],
    [1000, 32],
];

/** Azure's automatic SNAT ports per node for a backend pool of `nodes` (one frontend IP). */
export function automaticPortsPerNode(nodes: number): number {
    for (const [max, ports] of AUTOMATIC_TABLE) if (nodes <= max) return ports;
    // Beyond 1,000 nodes in one pool Azure's table ends; 16 ports keeps the arithmetic honest (1,000 × 32 ≈ 32,000).
    return 16;
}

/** Every node the cluster can reach: Σ maxCount of the system pool and every worker pool. */
export function maxClusterNodes(cfg: Pick<PlatformConfig, "cluster" | "pools">): number {
    return cfg.cluster.systemPool.maxCount + cfg.pools.reduce((n, p) => n + p.maxCount, 0);
}

export interface OutboundPlan {
    readonly nodes: number;
    /** SNAT ports each node gets at that node count. */
    readonly portsPerNode: number;
    /** Nodes the frontend IPs can serve at the configured ports per node. */
    readonly nodeCapacity: number;
}

/** The egress fields that size SNAT (config's OutboundConfig and AksCluster's resolved outbound args both fit). */
export type OutboundSettings = Pick<OutboundConfig, "outboundIPs" | "allocatedOutboundPorts" | "idleTimeoutMinutes">;

export function outboundPlan(outbound: OutboundSettings, nodes: number): OutboundPlan {
    const totalPorts = outbound.outboundIPs * SNAT_PORTS_PER_LB_IP;
    if (outbound.allocatedOutboundPorts === 0) {
        return { nodes, portsPerNode: automaticPortsPerNode(nodes), nodeCapacity: 1000 };
    }
    return { nodes, portsPerNode: outbound.allocatedOutboundPorts, nodeCapacity: Math.floor(totalPorts / outbound.allocatedOutboundPorts) };
}

/** The ManagedCluster networkProfile fields for egress (azure-native v3 ManagedClusterLoadBalancerProfileArgs). */
export function outboundProfile(outbound: OutboundSettings): {
    outboundType: "loadBalancer";
    loadBalancerProfile: { managedOutboundIPs: { count: number }; allocatedOutboundPorts: number; idleTimeoutInMinutes: number };
} {
    return {
        outboundType: "loadBalancer",
        loadBalancerProfile: {
            managedOutboundIPs: { count: outbound.outboundIPs },
            allocatedOutboundPorts: outbound.allocatedOutboundPorts,
            idleTimeoutInMinutes: outbound.idleTimeoutMinutes,
        },
    };
}
