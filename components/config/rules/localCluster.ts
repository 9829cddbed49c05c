/**
 * The `local` stack (`cluster.local`, issue 16): a laptop cluster from the kubeconfig, Azurite in it, no Azure
 * resource. Everything that only shapes Azure — a created or existing AKS cluster, its network and pools, ACR, Service
 * Bus, Azure Container Apps, virtual nodes — would have no effect or cannot exist there, and is an error naming the key,
 * the value and the fix.
 */
import { onContainerApps } from "../containerApps";
import type { StackConfig } from "../stack";
import { given, type RuleContext } from "./context";
import { error, key, type Problem } from "./problem";

/** cluster.* fields that shape an AKS cluster. */
const AKS_CLUSTER_FIELDS = ["existing", "kubernetesVersion", "tier", "systemPool", "autoscalerPreset", "autoscaler", "virtualNodes", "outbound"] as const;

/** Top-level keys that only configure Azure resources the local stack does not create (Pulumi.yaml defaults them to {}). */
const AZURE_ONLY_KEYS = {
    network: "the laptop cluster keeps its own network",
    pools: "kedascale adds no node pool to a laptop cluster",
    registry: "the image goes to cluster.local.registry, not to an Azure Container Registry",
    containerApps: "Azure Container Apps cannot run in a laptop cluster",
} as const;

const nonEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : v !== null && typeof v === "object" ? Object.keys(v).length > 0 : v !== undefined);

export function localClusterRules(cfg: StackConfig, ctx: RuleContext): Problem[] {
    const local = cfg.cluster.local;
    if (!local) return [];
    const problems: Problem[] = [];
    const where = `the laptop cluster behind ${local.kubeconfigContext ? `kubeconfig context "${local.kubeconfigContext}"` : "the current kubeconfig context"}`;
    for (const field of AKS_CLUSTER_FIELDS) {
        if (given(ctx, "cluster", field)) {
            problems.push(error([key("cluster", field), key("cluster", "local")], `cluster.${field} ${JSON.stringify((ctx.raw.cluster as Record<string, unknown>)[field])} has no effect: kedascale deploys to ${where} and creates no AKS cluster`, `remove cluster.${field}, or remove cluster.local to deploy to Azure`));
        }
    }
    for (const [k, why] of Object.entries(AZURE_ONLY_KEYS)) {
        if (nonEmpty(ctx.raw[k])) problems.push(error([key(k), key("cluster", "local")], `${k} ${JSON.stringify(ctx.raw[k])} has no effect: ${why}`, `remove kedascale:${k}, or remove cluster.local to deploy to Azure`));
    }
    if (cfg.messaging.broker !== "storageQueue") {
        problems.push(error([key("messaging", "broker"), key("cluster", "local")], `broker "${cfg.messaging.broker}" cannot run in a laptop cluster: the local stack's queue is Azurite's, which emulates Storage queues only (no Service Bus emulator runs in the cluster)`, `set messaging.broker to "storageQueue"`));
    }
    for (const field of ["serviceBus", "virtualNodes"] as const) {
        if (given(ctx, "messaging", field)) problems.push(error([key("messaging", field), key("cluster", "local")], `messaging.${field} has no effect: the local stack's only queue is Azurite's Storage queue`, `remove messaging.${field}`));
    }
    for (const field of ["accountKind", "sku"] as const) {
        if (given(ctx, "messaging", "results", field)) problems.push(error([key("messaging", "results", field), key("cluster", "local")], `messaging.results.${field} has no effect: results go to Azurite's blob service, which has no account kind or replication`, `remove messaging.results.${field}`));
    }
    cfg.workloads.forEach((w, i) => {
        if (onContainerApps(w)) {
            problems.push(error([key("workloads", i, "platform"), key("cluster", "local")], `workload "${w.name}" has platform "containerApps": Azure Container Apps cannot run in a laptop cluster`, `remove platform (KEDA in the laptop cluster scales it), or deploy it from an Azure stack`));
        } else if (w.placement !== "any") {
            // spot/system: the Spot label and taint and AKS's kubernetes.azure.com/mode=system are AKS node labels, absent
            // from kind/k3d/minikube nodes, so every pod would stay Pending; virtual nodes are ACI, which a laptop lacks.
            const why =
                w.placement === "virtualNodes" || w.placement === "spotThenVirtualNodes"
                    ? "virtual nodes are Azure Container Instances, which a laptop cluster does not have"
                    : `a laptop cluster's nodes carry no ${w.placement === "spot" ? "Spot label (kubernetes.azure.com/scalesetpriority=spot)" : "AKS system-pool label (kubernetes.azure.com/mode=system)"}, so every pod would stay Pending`;
            problems.push(error([key("workloads", i, "placement"), key("cluster", "local")], `workload "${w.name}" has placement "${w.placement}"${given(ctx, "workloads", i, "placement") ? "" : " (the default)"}: ${why}`, `set workloads[${i}].placement to "any"`));
        }
    });
    return problems;
}
