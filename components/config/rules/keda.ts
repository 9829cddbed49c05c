/**
 * KEDA's install and the workloads' Kubernetes names, checked against what the API server and the chart do.
 */
import { onContainerApps } from "../containerApps";
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
    // CPU needs no rule: the limit is rendered ≥ the request (plan/kedaOperator.ts operatorLimits).

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
