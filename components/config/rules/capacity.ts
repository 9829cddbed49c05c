/**
 * Capacity that can never fit: a pod larger than any node it may run on (after AKS's reservations), more replicas
 * than the Spot pools can ever hold, a Job deadline shorter than its work, a network plugin past its node limit.
 */
import { onContainerApps } from "../containerApps";
import { KUBENET_MAX_NODES, nodeAllocatable } from "../../limits/platform";
import { lookupVmSize } from "../../limits/vmSizes";
import { effectiveMaxPods, isSpot, peakClusterNodes, peakPoolNodes } from "../../plan/pools";
import { podRequests } from "../../plan/handler";
import type { PoolConfig } from "../schema";
import type { StackConfig } from "../stack";
import type { WorkloadConfig } from "../workloads";
import { formatCpu, formatMiB } from "../quantity";
import { given, type RuleContext } from "./context";
import { error, key, warning, type Problem } from "./problem";

interface PoolRoom {
    readonly pool: PoolConfig;
    readonly cpuMillis: number;
    readonly memoryMiB: number;
    readonly maxPods: number;
    readonly vcpus: number;
}

/** Allocatable per node of each pool whose size the table knows (limits/platform.ts nodeAllocatable). */
function rooms(cfg: StackConfig, pools: PoolConfig[]): PoolRoom[] {
    return pools.flatMap((pool) => {
        const size = lookupVmSize(pool.vmSize);
        if (!size) return [];
        const maxPods = effectiveMaxPods(cfg, pool);
        return [{ pool, ...nodeAllocatable(size, maxPods), maxPods, vcpus: size.vcpus }];
    });
}

/** Pools a workload's pods may be scheduled on, by placement (plan/workload.ts placement: tolerations, affinity). */
export function eligiblePools(cfg: StackConfig, w: WorkloadConfig): PoolConfig[] {
    const system = cfg.cluster.systemPool;
    const systemOpen = !system.onlyCriticalAddons;
    switch (w.placement) {
        case "system":
            return [system];
        case "any":
            return [...(systemOpen ? [system] : []), ...cfg.pools];
        case "spot":
            return w.spotAffinity === "required" ? cfg.pools.filter(isSpot) : [...(systemOpen ? [system] : []), ...cfg.pools];
        // ACI is not a pool: rules/virtualNodes.ts checks the container-group limits instead.
        case "virtualNodes":
            return [];
        case "spotThenVirtualNodes":
            return cfg.pools.filter(isSpot);
    }
}

/** The pod's requests: the worker's container, plus an http handler's (plan/handler.ts podRequests). */
function request(w: WorkloadConfig): { cpu?: number; mem?: number } {
    const r = podRequests(w);
    return { cpu: r.cpuMillis, mem: r.memoryMiB };
}
/** How the pod's requests read in a message: the workload's, or the sum with the handler's. */
const describeRequests = (w: WorkloadConfig, cpu: number, mem: number) =>
    w.handler?.http && w.handler.resources ? `cpu ${formatCpu(cpu)} / memory ${formatMiB(mem)} (resources + handler.resources)` : `cpu ${w.resources.requests.cpu} / memory ${w.resources.requests.memory}`;

/** Pods of this request one node of the pool holds (CPU, memory and maxPods; DaemonSets take more in reality). */
function podsPerNode(room: PoolRoom, cpu: number, mem: number): number {
    return Math.max(0, Math.min(Math.floor(room.cpuMillis / Math.max(cpu, 1)), Math.floor(room.memoryMiB / Math.max(mem, 1)), room.maxPods));
}

export function podFitRules(cfg: StackConfig): Problem[] {
    const problems: Problem[] = [];
    cfg.workloads.forEach((w, i) => {
        if (onContainerApps(w)) return; // ACA replicas run on no node of ours (rules/containerApps.ts sizes them)
        const { cpu, mem } = request(w);
        if (cpu === undefined || mem === undefined) return;
        const candidates = rooms(cfg, eligiblePools(cfg, w));
        if (candidates.length === 0 || candidates.some((r) => r.cpuMillis >= cpu && r.memoryMiB >= mem)) return;
        const best = [...candidates].sort((a, b) => b.cpuMillis - a.cpuMillis || b.memoryMiB - a.memoryMiB)[0];
        problems.push(
            error(
                [key("workloads", i, "resources", "requests"), key("workloads", i, "placement")],
                `requests ${describeRequests(w, cpu, mem)} fit no node workload "${w.name}" may run on: the largest, pool "${best.pool.name}" (${best.pool.vmSize}), has ${formatCpu(best.cpuMillis)} CPU and ${formatMiB(best.memoryMiB)} allocatable after AKS's kube-reserved and eviction reserve (aks-docs node-resource-reservations.md); pods would stay Pending`,
                `lower the requests below ${formatCpu(best.cpuMillis)} / ${formatMiB(best.memoryMiB)} (DaemonSets take some of that too), or use a larger vmSize for the pool`,
            ),
        );
    });
    return problems;
}

/**
 * Spot-only workloads at their maximum against what the Spot pools hold at maxCount. The capacity summary
 * (plan/capacity.ts) tells to request maxCount × vCPUs of Spot quota (Spot pools have no upgrade surge); replicas beyond what those nodes hold
 * stay Pending forever.
 */
export function spotCapacityRules(cfg: StackConfig, ctx: RuleContext): Problem[] {
    const problems: Problem[] = [];
    const spotRooms = rooms(cfg, cfg.pools.filter(isSpot));
    if (spotRooms.length === 0 || spotRooms.length !== cfg.pools.filter(isSpot).length) return [];
    const spotVcpusQuota = spotRooms.reduce((s, r) => s + peakPoolNodes(r.pool) * r.vcpus, 0);
    const spotCpuAtMax = spotRooms.reduce((s, r) => s + r.pool.maxCount * r.cpuMillis, 0);
    let demand = 0;
    const demanding: string[] = [];
    cfg.workloads.forEach((w, i) => {
        if (onContainerApps(w) || w.placement !== "spot" || w.spotAffinity !== "required") return;
        const { cpu, mem } = request(w);
        if (cpu === undefined || mem === undefined) return;
        const slots = spotRooms.reduce((s, r) => s + r.pool.maxCount * podsPerNode(r, cpu, mem), 0);
        demand += w.maxReplicaCount * cpu;
        demanding.push(key("workloads", i, "maxReplicaCount"));
        if (w.maxReplicaCount > slots) {
            // Refused when the user asked for it; KEDA's default of 100 is only a warning (not an intent to run 100).
            const severity = given(ctx, "workloads", i, "maxReplicaCount") ? error : warning;
            problems.push(
                severity(
                    [key("workloads", i, "maxReplicaCount"), key("pools")],
                    `maxReplicaCount ${w.maxReplicaCount} of workload "${w.name}" (requests ${describeRequests(w, cpu, mem)} each, Spot only) exceeds the ${slots} pods the Spot pools hold at maxCount (capacity summary: ${spotVcpusQuota} Spot vCPUs); the rest would stay Pending`,
                    `lower maxReplicaCount to ${slots}, raise the Spot pools' maxCount (and the Spot quota), or lower the requests`,
                ),
            );
        }
    });
    if (demanding.length > 1 && demand > spotCpuAtMax) {
        problems.push(
            error(
                [...demanding, key("pools")],
                `Spot-only workloads at maxReplicaCount request ${formatCpu(demand)} CPU together, more than the ${formatCpu(spotCpuAtMax)} allocatable on the Spot pools at maxCount (capacity summary: ${spotVcpusQuota} Spot vCPUs)`,
                `lower the workloads' maxReplicaCount or requests, or raise the Spot pools' maxCount`,
            ),
        );
    }
    return problems;
}

/** A Job that handles one message (or drains) must outlive one message's work, or it is killed every time. */
export function jobDeadlineRules(cfg: StackConfig): Problem[] {
    const problems: Problem[] = [];
    cfg.workloads.forEach((w, i) => {
        const workMs = w.loadTest?.workMs;
        if (w.kind !== "job" || workMs === undefined || onContainerApps(w)) return;
        const workS = Math.ceil(workMs / 1000);
        if (w.job.activeDeadlineSeconds <= workS) {
            problems.push(
                error(
                    [key("workloads", i, "job", "activeDeadlineSeconds"), key("workloads", i, "loadTest", "workMs")],
                    `activeDeadlineSeconds ${w.job.activeDeadlineSeconds} is not longer than one message's work (loadTest.workMs ${workMs} = ${workS} s): Kubernetes kills every Job before it finishes, and the message is redelivered until dead-lettered`,
                    `set activeDeadlineSeconds above ${workS} plus image pull and start time (e.g. ${workS + 120}), or lower loadTest.workMs`,
                ),
            );
        }
    });
    return problems;
}

/** kubenet: one UDR route per node, at most 400 (aks-docs configure-kubenet.md). */
export function pluginNodeLimitRules(cfg: StackConfig): Problem[] {
    if (cfg.network.plugin !== "kubenet") return [];
    const nodes = peakClusterNodes(cfg);
    if (nodes <= KUBENET_MAX_NODES) return [];
    return [
        error(
            [key("network", "plugin"), key("pools")],
            `kubenet routes each node's pods through a route table of at most ${KUBENET_MAX_NODES} routes, but the pools reach ${nodes} nodes (Σ maxCount + upgrade surge)`,
            `set network.plugin to "azureOverlay" (up to 5,000 nodes), or lower maxCount and maxSurge to a total of ${KUBENET_MAX_NODES} nodes`,
        ),
    ];
}
