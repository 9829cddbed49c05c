/** Network rules (FACTS §1, §3): plugin vs virtual nodes, address-space capacity, overlaps, reserved ranges. */
import { contains, overlaps, parseCidr, parseIpv4, type Ipv4Range } from "../cidr";
import type { PlatformConfig } from "../schema";
import type { StackConfig } from "../stack";
import { allPools, effectiveMaxPods, peakClusterNodes, peakPoolNodes } from "../../plan/pools";
import { error, key, type Problem } from "./problem";

/** Ranges AKS refuses for the VNet, pod and service CIDRs (aks-docs concepts-network-cni-overview.md, FACTS §3). */
export const RESERVED_RANGES = ["169.254.0.0/16", "172.30.0.0/16", "172.31.0.0/16", "192.0.2.0/24"] as const;

/** Azure keeps 5 addresses of every subnet (network, gateway, 2 DNS, broadcast). */
const AZURE_RESERVED_PER_SUBNET = 5;

export function virtualNodeRules(cfg: PlatformConfig): Problem[] {
    if (!cfg.cluster.virtualNodes || cfg.network.plugin === "azureNodeSubnet") return [];
    return [
        error(
            [key("cluster", "virtualNodes"), key("network", "plugin")],
            `virtual nodes need Azure CNI in node-subnet mode, but network.plugin is "${cfg.network.plugin}" (ACI connector rejects ${cfg.network.plugin === "kubenet" ? "kubenet" : "Azure CNI Overlay"})`,
            `set network.plugin to "azureNodeSubnet", or set cluster.virtualNodes to false`,
        ),
    ];
}

/**
 * Overlay and kubenet give every node a /24 of podCidr; node-subnet CNI takes (maxPods+1) VNet IPs per node. Nodes are
 * counted at maxCount plus each pool's upgrade surge: "(number of nodes + max surge nodes) + ((number of nodes + max
 * surge nodes) * maximum pods per node)" (aks-docs concepts-network-ip-address-planning.md; plan/pools.ts surgeNodes).
 */
export function addressCapacityRules(cfg: PlatformConfig): Problem[] {
    const pools = allPools(cfg);
    const problems: Problem[] = [];
    const surgeKeys = [key("cluster", "systemPool", "maxSurge"), key("pools")];
    if (cfg.network.plugin === "azureNodeSubnet") {
        const subnet = parseCidr(cfg.network.nodeSubnetCidr);
        if (!subnet) return [];
        const needed = pools.reduce((sum, p) => sum + peakPoolNodes(p) * (effectiveMaxPods(cfg, p) + 1), 0) + AZURE_RESERVED_PER_SUBNET;
        if (needed > subnet.size) {
            const prefix = 32 - Math.ceil(Math.log2(needed));
            problems.push(
                error(
                    [key("network", "nodeSubnetCidr"), ...surgeKeys],
                    `node-subnet CNI needs ${needed} addresses for Σ(maxCount+surge)×(maxPods+1) across ${pools.length} pools, but ${cfg.network.nodeSubnetCidr} has ${subnet.size}`,
                    `use a /${prefix} or larger node subnet (inside network.vnetCidr), lower maxCount or maxPods, or switch network.plugin to "azureOverlay"`,
                ),
            );
        }
        return problems;
    }
    // Overlay and kubenet nodes still take one VNet address each from the node subnet.
    const nodeSubnet = parseCidr(cfg.network.nodeSubnetCidr);
    const nodes = peakClusterNodes(cfg);
    if (nodeSubnet && nodes + AZURE_RESERVED_PER_SUBNET > nodeSubnet.size) {
        problems.push(
            error(
                [key("network", "nodeSubnetCidr"), ...surgeKeys],
                `the pools reach ${nodes} nodes (Σ maxCount + upgrade surge), each taking an address of the node subnet, but ${cfg.network.nodeSubnetCidr} has ${nodeSubnet.size - AZURE_RESERVED_PER_SUBNET} usable`,
                `use a /${32 - Math.ceil(Math.log2(nodes + AZURE_RESERVED_PER_SUBNET))} or larger node subnet inside network.vnetCidr, or lower maxCount or maxSurge`,
            ),
        );
    }
    const pod = parseCidr(cfg.network.podCidr);
    if (!pod) return problems;
    const slashes24 = nodes;
    const available = pod.prefix <= 24 ? pod.size / 256 : 0;
    if (slashes24 > available) {
        const prefix = 24 - Math.ceil(Math.log2(slashes24));
        problems.push(
            error(
                [key("network", "podCidr"), ...surgeKeys],
                `${cfg.network.plugin} gives each node a /24, so Σ(maxCount + upgrade surge) = ${slashes24} nodes need ${slashes24} /24s, but ${cfg.network.podCidr} holds ${available}`,
                `set network.podCidr to a /${prefix} or larger that overlaps nothing (e.g. 100.64.0.0/${Math.min(prefix, 10)}), or lower the pools' maxCount or maxSurge`,
            ),
        );
    }
    return problems;
}

interface NamedRange {
    readonly configKey: string;
    readonly range: Ipv4Range;
}

export function addressOverlapRules(cfg: PlatformConfig): Problem[] {
    const n = cfg.network;
    const named = (k: keyof typeof n): NamedRange | undefined => {
        const range = parseCidr(n[k]);
        return range && { configKey: key("network", k), range };
    };
    const vnet = named("vnetCidr");
    const nodeSubnet = named("nodeSubnetCidr");
    const vnSubnet = cfg.cluster.virtualNodes ? named("virtualNodeSubnetCidr") : undefined;
    const pod = n.plugin === "azureNodeSubnet" ? undefined : named("podCidr");
    const service = named("serviceCidr");
    const problems: Problem[] = [];

    for (const subnet of [nodeSubnet, vnSubnet]) {
        if (subnet && vnet && !contains(vnet.range, subnet.range)) {
            problems.push(
                error([subnet.configKey, vnet.configKey], `subnet ${subnet.range.cidr} is not inside the VNet ${vnet.range.cidr}`, `pick a subnet range inside ${vnet.range.cidr}, or widen network.vnetCidr`),
            );
        }
    }
    const mustBeDisjoint: [NamedRange | undefined, NamedRange | undefined][] = [
        [nodeSubnet, vnSubnet],
        [pod, vnet],
        [service, vnet],
        [service, pod],
    ];
    for (const [a, b] of mustBeDisjoint) {
        if (a && b && overlaps(a.range, b.range)) {
            problems.push(
                error([a.configKey, b.configKey], `${a.range.cidr} overlaps ${b.range.cidr}`, `give ${a.configKey} a range that overlaps no other cluster, VNet or peered range`),
            );
        }
    }
    for (const r of [vnet, pod, service]) {
        for (const reserved of RESERVED_RANGES) {
            if (r && overlaps(r.range, parseCidr(reserved)!)) {
                problems.push(
                    error([r.configKey], `${r.range.cidr} overlaps ${reserved}, which AKS reserves`, `pick a range outside ${RESERVED_RANGES.join(", ")}`),
                );
            }
        }
    }
    if (service) {
        if (service.range.prefix <= 12) {
            problems.push(
                error([service.configKey], `${service.range.cidr} is a /${service.range.prefix}; AKS needs a service range smaller than /12`, `use a /13 to /24 range such as 10.0.0.0/16`),
            );
        }
        const dns = parseIpv4(n.dnsServiceIP);
        if (dns === undefined) {
            problems.push(error([key("network", "dnsServiceIP")], `"${n.dnsServiceIP}" is not an IPv4 address`, `use an address inside network.serviceCidr, e.g. its .10`));
        } else if (dns <= service.range.first + 1 || dns >= service.range.last) {
            problems.push(
                error(
                    [key("network", "dnsServiceIP"), service.configKey],
                    `${n.dnsServiceIP} is not a usable address of ${service.range.cidr} (outside it, its network or broadcast address, or .1 which the API server's service takes)`,
                    `use an address inside network.serviceCidr such as its .10`,
                ),
            );
        }
    }
    return problems;
}

export function networkRules(cfg: PlatformConfig): Problem[] {
    return [...virtualNodeRules(cfg), ...addressCapacityRules(cfg), ...addressOverlapRules(cfg)];
}

/**
 * Every virtual-node pod is an ACI container group with its own address in the delegated subnet ("The pod is assigned
 * an internal IP address from the Azure virtual network subnet delegated for use with virtual nodes": aks-docs
 * virtual-nodes-cli.md), so the subnet must hold every
 * virtual-node workload at maxReplicaCount (spotThenVirtualNodes may put all of them there), plus Azure's 5.
 */
export function virtualNodeSubnetCapacityRules(cfg: StackConfig): Problem[] {
    if (!cfg.cluster.virtualNodes) return [];
    const subnet = parseCidr(cfg.network.virtualNodeSubnetCidr);
    if (!subnet) return [];
    const aci = cfg.workloads.map((w, i) => ({ w, i })).filter(({ w }) => w.placement === "virtualNodes" || w.placement === "spotThenVirtualNodes");
    const needed = aci.reduce((n, { w }) => n + w.maxReplicaCount, 0) + AZURE_RESERVED_PER_SUBNET;
    if (aci.length === 0 || needed <= subnet.size) return [];
    return [
        error(
            [key("network", "virtualNodeSubnetCidr"), ...aci.map(({ i }) => key("workloads", i, "maxReplicaCount"))],
            `virtual-node workloads can run ${needed - AZURE_RESERVED_PER_SUBNET} container groups at maxReplicaCount, each with an address of the ACI subnet, but ${cfg.network.virtualNodeSubnetCidr} has ${subnet.size - AZURE_RESERVED_PER_SUBNET} usable`,
            `use a /${32 - Math.ceil(Math.log2(needed))} or larger network.virtualNodeSubnetCidr inside network.vnetCidr, or lower the workloads' maxReplicaCount`,
        ),
    ];
}
