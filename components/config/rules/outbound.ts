/**
 * Egress that holds at the cluster's largest size (FACTS §2; numbers in plan/outbound.ts). Plans for Σ maxCount of
 * every pool, the system pool included, plus each pool's upgrade surge, not for today's node count: SNAT starvation
 * appears exactly when the autoscaler reaches the top of the range, and "it's critical to allocate sufficient excess
 * ports for extra nodes needed for upgrade" (aks-docs configure-load-balancer-standard.md).
 */
import { MIN_SNAT_PORTS_PER_NODE, SNAT_PORTS_PER_LB_IP, automaticPortsPerNode, outboundPlan } from "../../plan/outbound";
import { peakClusterNodes } from "../../plan/pools";
import type { StackConfig } from "../stack";
import { error, key, type Problem } from "./problem";

/** Smallest allocatedOutboundPorts ≥ MIN and the IPs that hold it for `nodes`. */
function sizing(nodes: number): { ports: number; ips: number } {
    // Prefer 256 ports per node (4× the floor) when ≤ 16 IPs hold it, else fewer ports, never below the floor.
    for (const ports of [256, 128, MIN_SNAT_PORTS_PER_NODE]) {
        const ips = Math.ceil((nodes * ports) / SNAT_PORTS_PER_LB_IP);
        if (ips <= 16) return { ports, ips };
    }
    return { ports: MIN_SNAT_PORTS_PER_NODE, ips: Math.ceil((nodes * MIN_SNAT_PORTS_PER_NODE) / SNAT_PORTS_PER_LB_IP) };
}

export function outboundRules(cfg: StackConfig): Problem[] {
    const problems: Problem[] = [];
    const o = cfg.cluster.outbound;
    const k = (f: string) => key("cluster", "outbound", f);
    if (o.type === "managedNATGateway") {
        problems.push(
            error(
                [k("type")],
                `"managedNATGateway" cannot be used: this program puts the nodes in its own VNet, and AKS's managed NAT gateway is incompatible with custom virtual networks (aks-docs nat-gateway.md)`,
                `use type "loadBalancer" with outboundIPs and allocatedOutboundPorts sized for the cluster`,
            ),
        );
        return problems;
    }
    const nodes = peakClusterNodes(cfg);
    const plan = outboundPlan(o, nodes);
    const fix = sizing(nodes);
    const fixText = `set cluster.outbound.allocatedOutboundPorts to ${fix.ports} and outboundIPs to ${fix.ips} or more (${fix.ips} × ${SNAT_PORTS_PER_LB_IP.toLocaleString("en-US")} ports ≥ ${nodes} nodes × ${fix.ports})`;
    const poolKeys = [key("cluster", "systemPool", "maxCount"), key("cluster", "systemPool", "maxSurge"), key("pools")];
    if (o.allocatedOutboundPorts === 0) {
        if (plan.portsPerNode < MIN_SNAT_PORTS_PER_NODE) {
            problems.push(
                error(
                    [k("allocatedOutboundPorts"), ...poolKeys],
                    `automatic SNAT allocation gives ${automaticPortsPerNode(nodes)} ports per node at ${nodes} nodes (Σ maxCount + upgrade surge), below the ${MIN_SNAT_PORTS_PER_NODE} a node needs when the pool scales out`,
                    fixText,
                ),
            );
        }
        return problems;
    }
    if (o.allocatedOutboundPorts < MIN_SNAT_PORTS_PER_NODE) {
        problems.push(error([k("allocatedOutboundPorts")], `${o.allocatedOutboundPorts} SNAT ports per node is below the ${MIN_SNAT_PORTS_PER_NODE} a node needs when the pool scales out`, fixText));
    }
    if (plan.nodeCapacity < nodes) {
        problems.push(
            error(
                [k("outboundIPs"), k("allocatedOutboundPorts"), ...poolKeys],
                `${o.outboundIPs} outbound IP(s) × ${SNAT_PORTS_PER_LB_IP.toLocaleString("en-US")} ports hold ${plan.nodeCapacity} nodes at ${o.allocatedOutboundPorts} ports each, but the pools reach ${nodes} nodes (Σ maxCount + upgrade surge); nodes beyond that get no outbound connectivity`,
                `raise outboundIPs to ${Math.ceil((nodes * o.allocatedOutboundPorts) / SNAT_PORTS_PER_LB_IP)}, or ${fixText}`,
            ),
        );
    }
    return problems;
}
