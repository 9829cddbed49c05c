/**
 * Pods of one workload per node: the node's allocatable (components/limits: the VM-size table and AKS's
 * kube-reserved formulas) less what DaemonSets request, divided by the pod's requests, capped by maxPods.
 */
import { cpuMillis, memoryMiB } from "../../components/config/quantity";
import { lookupVmSize } from "../../components/limits/vmSizes";
import { nodeAllocatable } from "../../components/limits/platform";

export interface DaemonSetOverhead {
    readonly cpuMillis: number;
    readonly memoryMiB: number;
    readonly pods: number;
}

export interface PodsPerNode {
    readonly podsPerNode: number;
    /** What limits it: "cpu", "memory" or "maxPods". */
    readonly boundBy: "cpu" | "memory" | "maxPods";
    readonly allocatable: { cpuMillis: number; memoryMiB: number };
}

/** Fits pods of `requests` on a node of `vmSize`; throws naming the size when the table does not know it. */
export function podsPerNode(vmSize: string, maxPods: number, requests: { cpu: string; memory: string }, overhead: DaemonSetOverhead): PodsPerNode {
    const size = lookupVmSize(vmSize);
    if (!size) throw new Error(`VM size ${vmSize} is not in components/limits/vmSizes.ts: add it there (vCPUs, memory) to simulate this pool`);
    const alloc = nodeAllocatable(size, maxPods);
    const cpu = cpuMillis(requests.cpu)!;
    const mem = memoryMiB(requests.memory)!;
    const byCpu = Math.floor((alloc.cpuMillis - overhead.cpuMillis) / cpu);
    const byMem = Math.floor((alloc.memoryMiB - overhead.memoryMiB) / mem);
    const byPods = maxPods - overhead.pods;
    const n = Math.max(0, Math.min(byCpu, byMem, byPods));
    const boundBy = n === byCpu ? "cpu" : n === byMem ? "memory" : "maxPods";
    return { podsPerNode: n, boundBy, allocatable: alloc };
}
