/**
 * What KEDA and the workloads need of a cluster, whether kedascale created it (AksCluster) or reads an existing one
 * (ExistingCluster); and the one way both build their Kubernetes provider.
 */
import type { Provider as AzureProvider } from "@pulumi/azure-native/provider";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface ClusterTarget {
    readonly clusterName: pulumi.Output<string>;
    /** OIDC issuer URL that federated credentials trust. */
    readonly oidcIssuerUrl: pulumi.Output<string>;
    /** Kubelet identity's object id: the principal that pulls images (AcrPull on the registry). */
    readonly kubeletIdentityObjectId: pulumi.Output<string>;
    /** Provider for Kubernetes objects in the cluster (server-side apply; kubeconfig a secret). */
    readonly provider: k8s.Provider;
    /** Whether pods that tolerate Spot may land on a Spot node (decides their shutdown budget). */
    readonly spotNodes: boolean;
}

/**
 * A Kubernetes provider for an AKS cluster: the user kubeconfig from listClusterUserCredential (FACTS §8, §10),
 * decoded and wrapped in a secret; server-side apply (the ScaledJob CRD is too big for client-side apply, FACTS §9).
 * `azureProvider`: the azure-native provider of the cluster's subscription, when it is not the stack's.
 */
export function clusterProvider(
    name: string,
    cluster: { resourceGroupName: pulumi.Input<string>; clusterName: pulumi.Input<string>; azureProvider?: AzureProvider },
    parent: pulumi.Resource,
): k8s.Provider {
    return kubernetesProvider(name, userKubeconfig(cluster, parent), parent);
}

/**
 * The cluster's user kubeconfig (listClusterUserCredential), decoded, as a secret. `format: "exec"` asks an Entra ID
 * cluster for the kubelogin form ("requires kubelogin binary in the path": azure-native
 * listManagedClusterUserCredentials), which `transform` can rewrite (plan/existingCluster.ts nonInteractiveKubeconfig).
 */
export function userKubeconfig(
    cluster: { resourceGroupName: pulumi.Input<string>; clusterName: pulumi.Input<string>; azureProvider?: AzureProvider },
    parent: pulumi.Resource,
    opts: { format?: pulumi.Input<"exec" | undefined>; transform?: pulumi.Input<((kubeconfig: string) => string) | undefined> } = {},
): pulumi.Output<string> {
    const raw = containerservice
        .listManagedClusterUserCredentialsOutput({ resourceGroupName: cluster.resourceGroupName, resourceName: cluster.clusterName, format: opts.format }, { provider: cluster.azureProvider, parent })
        .apply((creds) => Buffer.from(requireOutput(creds.kubeconfigs?.[0]?.value, "kubeconfigs[0].value"), "base64").toString("utf8"));
    return pulumi.secret(pulumi.all([raw, opts.transform]).apply(([k, t]) => (t ? t(k) : k)));
}

/** A Kubernetes provider on server-side apply (FACTS §9); `dependsOn` holds every object back until, e.g., a preflight passed. */
export function kubernetesProvider(name: string, kubeconfig: pulumi.Input<string>, parent: pulumi.Resource, dependsOn: pulumi.Resource[] = []): k8s.Provider {
    return new k8s.Provider(name, { kubeconfig: pulumi.secret(kubeconfig), enableServerSideApply: true }, { parent, dependsOn });
}

/** An output AKS always returns once the resource exists; a clear error if it ever does not. */
export function requireOutput<T>(value: T | undefined | null, what: string): T {
    if (value === undefined || value === null) throw new Error(`AKS did not return ${what}`);
    return value;
}
