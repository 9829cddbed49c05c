/**
 * A cluster whose pools can together exceed 10 nodes runs the Standard (or Premium) tier: the Free tier has no
 * SLA, a smaller API-server inflight limit, and is "recommended under 10 nodes" (FACTS §2). Pools live both inline
 * (ManagedCluster.agentPoolProfiles, the system pool) and as separate AgentPool resources (FACTS §2), so only a
 * stack policy, which sees every resource, can add them up.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { isAzureType, type Props } from "./common";

export const FREE_TIER_MAX_NODES = 10;
const SCALE_TIERS = ["Standard", "Premium"];

/** What the check needs of a resource: PolicyResource's fields, so tests can hand-build them. */
export type StackResource = Pick<PolicyResource, "type" | "name" | "urn" | "props"> & Partial<Pick<PolicyResource, "propertyDependencies">>;

export interface StackViolation {
    message: string;
    urn: string;
}

/** Most nodes a pool can have: maxCount when autoscaled, else its fixed count (AKS's default count is 1). */
export function poolMaxNodes(pool: Props): number {
    if (pool.enableAutoScaling === true && typeof pool.maxCount === "number") return pool.maxCount;
    if (typeof pool.count === "number") return pool.count;
    return typeof pool.maxCount === "number" ? pool.maxCount : 1;
}

export function checkClusterTiers(resources: readonly StackResource[]): StackViolation[] {
    const clusters = resources.filter((r) => isAzureType(r.type, "containerservice", "ManagedCluster"));
    const pools = resources.filter((r) => isAzureType(r.type, "containerservice", "AgentPool"));
    const out: StackViolation[] = [];
    for (const cluster of clusters) {
        // An AgentPool belongs to the cluster it names (resourceName = cluster name, FACTS §8). During a preview of a
        // new cluster that name is unknown: fall back to the property dependency, then to the only cluster.
        const own = pools.filter((p) => {
            const named = p.props.resourceName;
            if (typeof named === "string") return named === cluster.props.resourceName;
            if (p.propertyDependencies?.resourceName?.some((d) => d.urn === cluster.urn)) return true;
            return clusters.length === 1;
        });
        const inline: Props[] = Array.isArray(cluster.props.agentPoolProfiles) ? cluster.props.agentPoolProfiles : [];
        const total = [...inline, ...own.map((p) => p.props)].reduce((sum, p) => sum + poolMaxNodes(p), 0);
        const tier = cluster.props.sku?.tier ?? "Free";
        if (total > FREE_TIER_MAX_NODES && !SCALE_TIERS.includes(tier)) {
            const name = typeof cluster.props.resourceName === "string" ? cluster.props.resourceName : cluster.name;
            out.push({
                urn: cluster.urn,
                message: `AKS cluster ${name} can reach ${total} nodes (Σ maxCount of ${inline.length + own.length} pools) on the ${tier} tier; set sku: { name: "Base", tier: "Standard" } above ${FREE_TIER_MAX_NODES} nodes`,
            });
        }
    }
    return out;
}

export const clusterTierPolicy: StackValidationPolicy & { check: typeof checkClusterTiers } = {
    name: "kedascale-aks-standard-tier-at-scale",
    description: `AKS clusters whose pools can exceed ${FREE_TIER_MAX_NODES} nodes (inline and separate pools together) must use the Standard or Premium tier.`,
    enforcementLevel: "mandatory",
    check: checkClusterTiers,
    validateStack: (args, reportViolation) => {
        for (const v of checkClusterTiers(args.resources)) reportViolation(v.message, v.urn);
    },
};
