/**
 * Read-time checks of an existing AKS cluster (bring your own cluster), pure: what the cluster must have for
 * kedascale's KEDA and workloads to work, each failure with the `az` command that fixes it.
 *  - OIDC issuer and workload identity: every federated credential trusts the issuer URL, and the webhook injects the
 *    token into pods (FACTS §4); `az aks update --enable-oidc-issuer --enable-workload-identity` turns both on
 *    (aks-docs workload-identity-deploy-cluster.md, use-oidc-issuer.md; the issuer is on by default only for clusters
 *    created at 1.34 or later).
 *  - The AKS managed KEDA add-on (`workloadAutoScalerProfile.keda.enabled`) and a Helm-installed KEDA cannot run in one
 *    cluster (aks-docs keda-about.md; FACTS §4): refuse to install ours; `az aks update --disable-keda` removes the add-on.
 *  - The kubelet identity (`identityProfile.kubeletidentity.objectId`) is what AcrPull is granted to (FACTS §5).
 */

/** The fields of a GET managedCluster (azure-native getManagedCluster) the checks read. */
export interface ClusterFacts {
    readonly name?: string;
    readonly kubernetesVersion?: string;
    readonly oidcIssuerProfile?: { readonly enabled?: boolean; readonly issuerURL?: string };
    readonly securityProfile?: { readonly workloadIdentity?: { readonly enabled?: boolean } };
    readonly workloadAutoScalerProfile?: { readonly keda?: { readonly enabled: boolean } };
    readonly identityProfile?: { readonly [key: string]: { readonly objectId?: string; readonly clientId?: string } };
    readonly agentPoolProfiles?: readonly { readonly name: string; readonly mode?: string; readonly scaleSetPriority?: string }[];
}

export interface ExistingClusterRef {
    readonly resourceGroupName: string;
    readonly clusterName: string;
    /** Only when it is not the deployer's default subscription. */
    readonly subscriptionId?: string;
}

/** What the deployment will put in the cluster, so the checks ask only for what it needs. */
export interface ClusterNeeds {
    /** kedascale installs KEDA by Helm (then the AKS KEDA add-on must be off). */
    readonly helmKeda: boolean;
    /** Some workload requires Spot nodes (placement spot, affinity required). */
    readonly spotPool: boolean;
}

/** The `az aks update` command for this cluster with the given flags. */
export function azAksUpdate(ref: ExistingClusterRef, ...flags: string[]): string {
    const subscription = ref.subscriptionId ? ` --subscription ${ref.subscriptionId}` : "";
    return `az aks update --resource-group ${ref.resourceGroupName} --name ${ref.clusterName}${subscription} ${flags.join(" ")}`;
}

/** Every reason kedascale cannot deploy into this cluster as it is; empty when it can. */
export function existingClusterProblems(c: ClusterFacts, ref: ExistingClusterRef, needs: ClusterNeeds): string[] {
    const where = `the existing AKS cluster ${ref.resourceGroupName}/${ref.clusterName}`;
    const problems: string[] = [];
    const oidc = c.oidcIssuerProfile?.enabled === true;
    const workloadIdentity = c.securityProfile?.workloadIdentity?.enabled === true;
    if (!oidc || !workloadIdentity) {
        const off = [...(oidc ? [] : ["the OIDC issuer"]), ...(workloadIdentity ? [] : ["workload identity"])].join(" and ");
        const flags = [...(oidc ? [] : ["--enable-oidc-issuer"]), ...(workloadIdentity ? [] : ["--enable-workload-identity"])];
        problems.push(
            `${where} has ${off} off (oidcIssuerProfile.enabled / securityProfile.workloadIdentity.enabled): KEDA and the workers authenticate to Azure ` +
                `only through federated credentials that trust the cluster's OIDC issuer, with tokens the workload identity webhook injects. ` +
                `Fix: ${azAksUpdate(ref, ...flags)}`,
        );
    } else if (!c.oidcIssuerProfile?.issuerURL) {
        problems.push(`${where} has the OIDC issuer on but AKS returned no issuer URL (oidcIssuerProfile.issuerURL). Fix: wait for the cluster's update to finish (az aks show --query provisioningState), then run again`);
    }
    if (needs.helmKeda && c.workloadAutoScalerProfile?.keda?.enabled === true) {
        problems.push(
            `${where} runs the AKS managed KEDA add-on (workloadAutoScalerProfile.keda.enabled), and only one KEDA may run in a cluster, so kedascale will not install its own KEDA by Helm. ` +
                `Fix: ${azAksUpdate(ref, "--disable-keda")} (ScaledObjects of the add-on stop scaling until kedascale's KEDA runs), or deploy into a cluster without the add-on`,
        );
    }
    if (!c.identityProfile?.kubeletidentity?.objectId) {
        problems.push(`${where} has no kubelet managed identity (identityProfile.kubeletidentity), so it cannot be granted AcrPull on the registry. Fix: ${azAksUpdate(ref, "--enable-managed-identity")}`);
    }
    if (needs.spotPool && !(c.agentPoolProfiles ?? []).some((p) => p.scaleSetPriority === "Spot")) {
        const pools = (c.agentPoolProfiles ?? []).map((p) => p.name).join(", ") || "none";
        problems.push(
            `${where} has no Spot node pool (pools: ${pools}), but a workload requires Spot nodes; its pods would stay Pending. ` +
                `Fix: az aks nodepool add --resource-group ${ref.resourceGroupName} --cluster-name ${ref.clusterName}${ref.subscriptionId ? ` --subscription ${ref.subscriptionId}` : ""} --name spot --priority Spot --eviction-policy Delete --spot-max-price -1 --enable-cluster-autoscaler --min-count 0 --max-count 5, or place the workload elsewhere`,
        );
    }
    return problems;
}

/** Thrown at read time when the cluster cannot host kedascale; lists every problem at once. */
export class ExistingClusterError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`kedascale cannot deploy into the existing cluster (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ExistingClusterError";
    }
}
