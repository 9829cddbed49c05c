import * as containerservice from "@pulumi/azure-native/containerservice";
import { Provider as AzureProvider } from "@pulumi/azure-native/provider";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { existingClusterProblems, ExistingClusterError, type ClusterFacts } from "../plan/existingCluster";
import { clusterProvider, requireOutput, type ClusterTarget } from "./clusterTarget";

export interface ExistingClusterArgs {
    /** Resource group of the cluster. */
    resourceGroupName: string;
    /** Name of the managed cluster. */
    clusterName: string;
    /** Subscription of the cluster, when not the azure-native provider's: read through a provider of its own. Default: the provider's. */
    subscriptionId?: string;
    /** KEDA will be installed by Helm: refuse a cluster running the AKS KEDA add-on (one KEDA per cluster). Default: true. */
    helmKeda?: boolean;
    /** Some workload requires Spot nodes: refuse a cluster without a Spot pool. Default: false. */
    requireSpotPool?: boolean;
    /** Whether pods that tolerate Spot may land on Spot nodes; unknown before the read, so the safe answer. Default: true. */
    spotNodes?: boolean;
}

/**
 * An AKS cluster kedascale deploys into but does not manage: read with getManagedCluster, checked when read (OIDC
 * issuer, workload identity, no AKS KEDA add-on when KEDA comes by Helm, a kubelet identity, a Spot pool when needed;
 * plan/existingCluster.ts), and a Kubernetes provider from its user kubeconfig. Creates no Azure resource.
 */
export class ExistingCluster extends pulumi.ComponentResource implements ClusterTarget {
    /** The azure-native provider of the cluster's subscription; only when subscriptionId was given. */
    public readonly azureProvider?: AzureProvider;
    /** The cluster as read, after the checks passed (a failed check fails every output that depends on it). */
    public readonly cluster: pulumi.Output<ClusterFacts>;
    public readonly provider: k8s.Provider;
    public readonly clusterName: pulumi.Output<string>;
    public readonly oidcIssuerUrl: pulumi.Output<string>;
    public readonly kubeletIdentityObjectId: pulumi.Output<string>;
    public readonly kubernetesVersion: pulumi.Output<string | undefined>;
    public readonly spotNodes: boolean;

    constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:azure:ExistingCluster", name, {}, opts);
        const ref = { resourceGroupName: args.resourceGroupName, clusterName: args.clusterName, subscriptionId: args.subscriptionId };
        const needs = { helmKeda: args.helmKeda ?? true, spotPool: args.requireSpotPool ?? false };
        this.spotNodes = args.spotNodes ?? true;
        if (args.subscriptionId) {
            this.azureProvider = new AzureProvider(`${name}-subscription`, { subscriptionId: args.subscriptionId }, { parent: this });
        }

        this.cluster = containerservice
            .getManagedClusterOutput({ resourceGroupName: args.resourceGroupName, resourceName: args.clusterName }, { parent: this, provider: this.azureProvider })
            .apply((c) => {
                const problems = existingClusterProblems(c as ClusterFacts, ref, needs);
                if (problems.length > 0) throw new ExistingClusterError(problems);
                return c as ClusterFacts;
            });
        this.clusterName = this.cluster.apply((c) => c.name ?? args.clusterName);
        this.oidcIssuerUrl = this.cluster.apply((c) => requireOutput(c.oidcIssuerProfile?.issuerURL, "oidcIssuerProfile.issuerURL"));
        this.kubeletIdentityObjectId = this.cluster.apply((c) => requireOutput(c.identityProfile?.kubeletidentity?.objectId, "identityProfile.kubeletidentity.objectId"));
        this.kubernetesVersion = this.cluster.apply((c) => c.kubernetesVersion);
        // The kubeconfig is read only once the checks passed (clusterName derives from the checked read).
        this.provider = clusterProvider(`${name}-k8s`, { resourceGroupName: args.resourceGroupName, clusterName: this.clusterName, azureProvider: this.azureProvider }, this);

        this.registerOutputs({ azureProvider: this.azureProvider, provider: this.provider, clusterName: this.clusterName, oidcIssuerUrl: this.oidcIssuerUrl, kubeletIdentityObjectId: this.kubeletIdentityObjectId });
    }
}
