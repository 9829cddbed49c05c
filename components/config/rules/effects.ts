/**
 * A setting that would have no effect is an error, not silence: fields the chosen kind, broker, plugin or mode
 * ignores, fallback replicas above the maximum, an API QPS above its burst, labels Kubernetes or AKS reserve.
 * "Written by the user" is read from the raw config (context.ts given), so schema defaults never trigger these.
 */
import { onContainerApps } from "../containerApps";
import { isAutoscaled } from "../../plan/pools";
import type { StackConfig } from "../stack";
import { given, type RuleContext } from "./context";
import { error, key, type Problem } from "./problem";

export function noEffectRules(cfg: StackConfig, ctx: RuleContext): Problem[] {
    const problems: Problem[] = [];
    const ignored = (keys: string[], what: string, fix: string) => problems.push(error(keys, what, fix));
    const rawWorkloads = Array.isArray(ctx.raw.workloads) ? ctx.raw.workloads : [];
    cfg.workloads.forEach((w, i) => {
        // ACA workloads: every AKS-only field is refused by rules/containerApps.ts, once.
        if (rawWorkloads[i] === undefined || onContainerApps(w)) return;
        const k = (...p: (string | number)[]) => key("workloads", i, ...p);
        const wrote = (...p: (string | number)[]) => given(ctx, "workloads", i, ...p);
        if (w.kind === "job") {
            for (const field of ["cooldownPeriod", "inflight"] as const) {
                if (wrote(field)) ignored([k(field)], `${field} ${JSON.stringify(w[field])} has no effect on kind "job" (${field === "inflight" ? "each Job takes one message, or drains one at a time" : "a ScaledJob has no cooldown: Jobs end on their own"})`, `remove ${field}, or use kind "deployment"`);
            }
        } else if (wrote("job")) {
            ignored([k("job")], `job settings ${JSON.stringify(ctx.raw && (rawWorkloads[i] as Record<string, unknown>).job)} have no effect on kind "deployment" (they configure a ScaledJob)`, `remove job, or use kind "job"`);
        }
        if (wrote("spotAffinity") && w.placement !== "spot") {
            ignored([k("spotAffinity"), k("placement")], `spotAffinity "${w.spotAffinity}" has no effect with placement "${w.placement}" (only placement "spot" sets Spot node affinity)`, `remove spotAffinity, or set placement to "spot"`);
        }
        if (w.fallback && w.fallback.replicas > w.maxReplicaCount) {
            ignored([k("fallback", "replicas"), k("maxReplicaCount")], `fallback.replicas ${w.fallback.replicas} is above maxReplicaCount ${w.maxReplicaCount}; KEDA caps it, so the extra replicas never exist`, `set fallback.replicas to ${w.maxReplicaCount} or less`);
        }
    });
    return problems;
}

export function brokerEffectRules(cfg: StackConfig, ctx: RuleContext): Problem[] {
    const m = cfg.messaging;
    const other = m.broker === "serviceBus" ? "storageQueue" : "serviceBus";
    const problems: Problem[] = [];
    if (given(ctx, "messaging", other)) {
        problems.push(error([key("messaging", other), key("messaging", "broker")], `messaging.${other} settings have no effect: broker is "${m.broker}"`, `remove messaging.${other}, or set messaging.broker to "${other}"`));
    }
    if (m.broker === "serviceBus" && given(ctx, "messaging", "serviceBus", "duplicateDetectionHistoryTimeWindow") && !m.serviceBus.requiresDuplicateDetection) {
        problems.push(error([key("messaging", "serviceBus", "duplicateDetectionHistoryTimeWindow"), key("messaging", "serviceBus", "requiresDuplicateDetection")], `duplicateDetectionHistoryTimeWindow "${m.serviceBus.duplicateDetectionHistoryTimeWindow}" has no effect: requiresDuplicateDetection is false`, `set requiresDuplicateDetection to true, or remove the window`));
    }
    return problems;
}

export function networkEffectRules(cfg: StackConfig, ctx: RuleContext): Problem[] {
    const n = cfg.network;
    const problems: Problem[] = [];
    if (n.plugin === "azureNodeSubnet" && given(ctx, "network", "podCidr")) {
        problems.push(error([key("network", "podCidr"), key("network", "plugin")], `podCidr "${n.podCidr}" has no effect with plugin "azureNodeSubnet" (pods take node-subnet IPs)`, `remove podCidr, or set network.plugin to "azureOverlay"`));
    }
    if (n.dataplane === "cilium" && n.plugin === "kubenet") {
        problems.push(error([key("network", "dataplane"), key("network", "plugin")], `dataplane "cilium" is ignored with plugin "kubenet": Azure CNI Powered by Cilium needs Azure CNI (aks-docs azure-cni-powered-by-cilium.md)`, `set network.plugin to "azureOverlay", or dataplane to "azure"`));
    }
    return problems;
}

export function clusterEffectRules(cfg: StackConfig, ctx: RuleContext): Problem[] {
    const problems: Problem[] = [];
    if (!cfg.cluster.virtualNodes && given(ctx, "network", "virtualNodeSubnetCidr")) {
        problems.push(error([key("network", "virtualNodeSubnetCidr"), key("cluster", "virtualNodes")], `virtualNodeSubnetCidr "${cfg.network.virtualNodeSubnetCidr}" has no effect: cluster.virtualNodes is false`, `remove it, or set cluster.virtualNodes to true`));
    }
    const anyAutoscaled = [cfg.cluster.systemPool, ...cfg.pools].some(isAutoscaled);
    for (const field of ["autoscaler", "autoscalerPreset"] as const) {
        if (!anyAutoscaled && given(ctx, "cluster", field)) {
            problems.push(error([key("cluster", field), key("pools")], `cluster.${field} has no effect: every pool has minCount = maxCount, so the cluster autoscaler never runs`, `remove cluster.${field}, or give a pool minCount < maxCount`));
        }
    }
    return problems;
}

/** The operator's client-side limiter refills at qps up to burst: qps above burst is capped to burst. */
export function rateRules(cfg: StackConfig): Problem[] {
    const { kubeApiQps, kubeApiBurst } = cfg.keda;
    if (kubeApiQps <= kubeApiBurst) return [];
    return [error([key("keda", "kubeApiQps"), key("keda", "kubeApiBurst")], `kubeApiQps ${kubeApiQps} is above kubeApiBurst ${kubeApiBurst}; client-go's token bucket never holds more than burst, so the extra QPS has no effect`, `set kubeApiBurst to at least ${kubeApiQps} (1.5 × qps is usual, e.g. ${Math.ceil(kubeApiQps * 1.5)})`)];
}

/**
 * Node label prefixes nobody but Kubernetes and AKS may set: kubernetes.io/ and k8s.io/ (and their subdomains;
 * the NodeRestriction admission plugin and kubernetes.io "Well-Known Labels"), kubernetes.azure.com/ (AKS's own,
 * aks-docs use-labels.md "Reserved system labels"). kedascale.io/pool is the program's own.
 */
const RESERVED_LABEL = /^((?:[^/]+\.)?kubernetes\.io|(?:[^/]+\.)?k8s\.io|kubernetes\.azure\.com)\//;
const OWN_LABEL = "kedascale.io/pool";
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function labelKeyProblem(labelKey: string): string | undefined {
    const slash = labelKey.lastIndexOf("/");
    const [prefix, name] = slash >= 0 ? [labelKey.slice(0, slash), labelKey.slice(slash + 1)] : [undefined, labelKey];
    if (prefix !== undefined && !DNS_SUBDOMAIN.test(prefix)) return `its prefix "${prefix}" is not a DNS subdomain`;
    if (!LABEL_NAME.test(name)) return `its name "${name}" is not 1–63 letters, digits, '-', '_', '.' starting and ending alphanumeric`;
    return undefined;
}

export function labelRules(cfg: StackConfig): Problem[] {
    const problems: Problem[] = [];
    [cfg.cluster.systemPool, ...cfg.pools].forEach((p, i) => {
        const base = i === 0 ? ["cluster", "systemPool"] : ["pools", i - 1];
        for (const [labelKey, value] of Object.entries(p.labels)) {
            const k = [key(...base, "labels", labelKey)];
            if (RESERVED_LABEL.test(labelKey)) {
                problems.push(error(k, `label "${labelKey}" uses a prefix reserved for Kubernetes and AKS (kubernetes.io/, k8s.io/, kubernetes.azure.com/); AKS refuses it or the kubelet may not set it`, `use your own prefix, e.g. "example.com/${labelKey.split("/").pop()}"`));
            } else if (labelKey === OWN_LABEL) {
                problems.push(error(k, `label "${OWN_LABEL}" has no effect: kedascale sets it to the pool name ("${p.name}")`, `remove it, or use another key`));
            } else {
                const bad = labelKeyProblem(labelKey);
                if (bad) problems.push(error(k, `label key "${labelKey}" is invalid: ${bad}`, `use "[prefix/]name" with a DNS-subdomain prefix and a name of at most 63 characters`));
            }
            if (value !== "" && !LABEL_NAME.test(value)) {
                problems.push(error(k, `label value "${value}" is invalid: at most 63 letters, digits, '-', '_', '.', starting and ending alphanumeric`, `shorten or clean the value`));
            }
        }
        p.taints.forEach((t, j) => {
            const taintKey = t.split(/[=:]/)[0];
            if (/^kubernetes\.azure\.com\//.test(taintKey) && !t.startsWith("kubernetes.azure.com/scalesetpriority=spot:")) {
                problems.push(error([key(...base, "taints", j)], `taint "${t}" uses the kubernetes.azure.com/ prefix, which AKS reserves`, `use your own prefix, e.g. "example.com/${taintKey.split("/").pop()}"`));
            }
        });
    });
    return problems;
}
