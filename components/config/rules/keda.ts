/**
 * KEDA's install and the workloads' Kubernetes names, checked against what the API server and the chart do.
 */
import { onContainerApps } from "../containerApps";
import { nodeAllocatable } from "../../limits/platform";
import { lookupVmSize } from "../../limits/vmSizes";
import { effectiveMaxPods } from "../../plan/pools";
import { cpuMillis, formatCpu, formatMiB } from "../quantity";
import type { StackConfig } from "../stack";
import { error, key, type Problem } from "./problem";

/**
 * Namespaces that exist before the program runs, or belong to something else. Kubernetes creates default,
 * kube-system, kube-public and kube-node-lease and reserves the `kube-` prefix for itself (kubernetes.io,
 * "Namespaces": avoid creating namespaces with the prefix kube-). AKS add-ons create gatekeeper-system (Azure
 * Policy), calico-system and tigera-operator (Calico), app-routing-system (application routing),
 * aks-istio-system (Istio) and aks-command (run command). The program creates each workload namespace as its
 * own Namespace resource: an existing one fails with AlreadyExists (pulumi-kubernetes does not adopt existing
 * objects, FACTS §10), and `pulumi destroy` would delete it with everything in it.
 */
export const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease", "gatekeeper-system", "calico-system", "tigera-operator", "app-routing-system", "aks-istio-system", "aks-command"] as const;

/** CronJob names are at most 52 characters (the controller appends an 11-character suffix to its Jobs' names). */
const MAX_CRONJOB_NAME = 52;
/** `<name>-load-<unix seconds>`: a Job name is a DNS label (≤ 63), and `date +%s` has 10 digits until 2286. */
const LOAD_RUN_SUFFIX = "-load-".length + 10;
const MAX_JOB_NAME = 63;

export function kedaRules(cfg: StackConfig): Problem[] {
    const problems: Problem[] = [];
    const res = cfg.keda.operatorResources;
    const resKey = (f: string) => key("keda", "operatorResources", f);
    const memRequest = memoryBytes(res.memory);
    const memLimit = memoryBytes(res.memoryLimit);
    if (memRequest !== undefined && memLimit !== undefined && memRequest > memLimit) {
        problems.push(error([resKey("memory"), resKey("memoryLimit")], `memory request ${res.memory} is above memoryLimit ${res.memoryLimit}; the API server refuses a container whose request exceeds its limit`, `raise memoryLimit to at least ${res.memory}, or lower memory`));
    }
    // CPU needs no rule of its own: a request above the chart's default 1-CPU limit (kedacore/charts v2.20.2
    // values.yaml resources.operator.limits.cpu: 1) raises the rendered limit to the request (plan/kedaOperator.ts).
    // The operator runs on the system pool (plan/kedaChart.ts nodeSelector): its requests must fit one system node.
    const system = cfg.cluster.systemPool;
    const size = !cfg.cluster.existing && !cfg.cluster.local ? lookupVmSize(system.vmSize) : undefined;
    const cpu = cpuMillis(res.cpu);
    if (size && cpu !== undefined && memRequest !== undefined) {
        const room = nodeAllocatable(size, effectiveMaxPods(cfg, system));
        const over = [
            ...(cpu > room.cpuMillis ? [`cpu ${res.cpu}`] : []),
            ...(memRequest / 2 ** 20 > room.memoryMiB ? [`memory ${res.memory}`] : []),
        ];
        if (over.length > 0) {
            problems.push(
                error(
                    [resKey(cpu > room.cpuMillis ? "cpu" : "memory"), key("cluster", "systemPool", "vmSize")],
                    `KEDA's operator requests ${over.join(" and ")}, but it runs on the system pool, whose ${system.vmSize} nodes have ${formatCpu(room.cpuMillis)} CPU and ${formatMiB(room.memoryMiB)} allocatable (aks-docs node-resource-reservations.md): the operator would stay Pending and nothing would scale`,
                    `lower keda.operatorResources below ${formatCpu(room.cpuMillis)} / ${formatMiB(room.memoryMiB)} (the system add-ons need part of that too), or use a larger cluster.systemPool.vmSize`,
                ),
            );
        }
    }

    cfg.workloads.forEach((w, i) => {
        if (onContainerApps(w)) return; // no namespace, no load-run Job on ACA
        const ns = w.namespace;
        const nsKey = key("workloads", i, "namespace");
        if (ns === cfg.keda.namespace) {
            problems.push(error([nsKey, key("keda", "namespace")], `namespace "${ns}" is KEDA's: the KEDA Helm release creates and owns it, so creating it again fails with AlreadyExists`, `use a namespace of its own, e.g. "workloads"`));
        } else if ((RESERVED_NAMESPACES as readonly string[]).includes(ns) || ns.startsWith("kube-")) {
            problems.push(error([nsKey], `namespace "${ns}" already exists in every AKS cluster or is reserved (kube-*, AKS add-ons); the program would fail creating it and delete it on destroy`, `use a namespace of its own, e.g. "workloads"`));
        }
        if (w.loadTest && w.name.length + LOAD_RUN_SUFFIX > MAX_JOB_NAME) {
            const max = MAX_JOB_NAME - LOAD_RUN_SUFFIX;
            problems.push(error([key("workloads", i, "name"), key("workloads", i, "loadTest")], `"${w.name}" is ${w.name.length} characters: its load runs ("${w.name}-load-<unix time>") would exceed a Job name's ${MAX_JOB_NAME}, and its template "${w.name}-load" may exceed a CronJob name's ${MAX_CRONJOB_NAME}`, `shorten the name to ${max} characters or fewer, or remove loadTest`));
        }
    });
    return problems;
}

/** Kubernetes memory quantity with a binary suffix (the schema's Ki/Mi/Gi) in bytes. */
function memoryBytes(q: string): number | undefined {
    const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[q.slice(-2)];
    const n = Number(q.slice(0, -2));
    return unit && Number.isFinite(n) ? n * unit : undefined;
}
