/**
 * Bring your own cluster (`cluster.existing`): kedascale reads the cluster and creates no VNet, cluster or pool, so
 * every setting that only shapes a created cluster would have no effect, and is an error. What the program can only
 * learn from the cluster itself (OIDC issuer, workload identity, the AKS KEDA add-on, Spot pools) is checked when it
 * reads it (plan/existingCluster.ts), before any KEDA object is sent.
 */
import type { StackConfig } from "../stack";
import { given, type RuleContext } from "./context";
import { error, key, type Problem } from "./problem";

/** cluster.* fields that shape a cluster kedascale creates. */
const CREATED_CLUSTER_FIELDS = ["kubernetesVersion", "tier", "systemPool", "autoscalerPreset", "autoscaler", "virtualNodes", "outbound"] as const;

export function existingClusterRules(cfg: StackConfig, ctx: RuleContext): Problem[] {
    const existing = cfg.cluster.existing;
    if (!existing) return [];
    const where = `${existing.resourceGroup}/${existing.name}`;
    const problems: Problem[] = [];
    for (const field of CREATED_CLUSTER_FIELDS) {
        if (given(ctx, "cluster", field)) {
            problems.push(
                error(
                    [key("cluster", field), key("cluster", "existing")],
                    `cluster.${field} has no effect: kedascale deploys into the existing cluster ${where} and does not change it`,
                    `remove cluster.${field} (change the cluster itself with az aks update / az aks nodepool), or remove cluster.existing to create a cluster`,
                ),
            );
        }
    }
    // Pulumi.yaml defaults network to {}: only a non-empty object is something the user wrote.
    const network = ctx.raw.network;
    if (network !== null && typeof network === "object" && Object.keys(network).length > 0) {
        problems.push(error([key("network"), key("cluster", "existing")], `network settings have no effect: the existing cluster ${where} keeps its own VNet and network model`, `remove kedascale:network, or remove cluster.existing to create a cluster`));
    }
    if (Array.isArray(ctx.raw.pools) && ctx.raw.pools.length > 0) {
        problems.push(error([key("pools"), key("cluster", "existing")], `pools have no effect: kedascale adds no node pool to the existing cluster ${where}`, `remove kedascale:pools (add pools with az aks nodepool add), or remove cluster.existing to create a cluster`));
    }
    return problems;
}
