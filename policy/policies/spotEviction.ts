/**
 * Spot pools evict with Delete: Deallocate keeps the stopped VMs counting against quota (FACTS §2). The API's
 * default for a Spot pool is Delete ("If not specified, the default is 'Delete'", azure-native AgentPool
 * scaleSetEvictionPolicy), so unset passes; Deallocate fails. Checks separate AgentPool resources and pools
 * inline in ManagedCluster.agentPoolProfiles.
 */
import { isAzureType, resourcePolicy, type Props } from "./common";

function poolViolation(pool: Props, label: string): string | undefined {
    if (pool.scaleSetPriority !== "Spot") return undefined;
    const policy = pool.scaleSetEvictionPolicy;
    if (policy === undefined || policy === "Delete") return undefined;
    return `Spot pool ${label} evicts with ${String(policy)}; set scaleSetEvictionPolicy: "Delete" (Deallocate keeps evicted VMs counting against quota)`;
}

export function checkSpotEviction(type: string, props: Props, name: string): string[] {
    if (isAzureType(type, "containerservice", "AgentPool")) {
        const v = poolViolation(props, typeof props.agentPoolName === "string" ? props.agentPoolName : name);
        return v ? [v] : [];
    }
    if (isAzureType(type, "containerservice", "ManagedCluster")) {
        const pools: Props[] = Array.isArray(props.agentPoolProfiles) ? props.agentPoolProfiles : [];
        return pools.map((p, i) => poolViolation(p, `${String(p.name ?? `#${i}`)} (inline in ${String(props.resourceName ?? name)})`)).filter((v): v is string => v !== undefined);
    }
    return [];
}

export const spotEvictionPolicy = resourcePolicy(
    "kedascale-spot-eviction-delete",
    "Spot node pools must use scaleSetEvictionPolicy Delete.",
    checkSpotEviction,
);
