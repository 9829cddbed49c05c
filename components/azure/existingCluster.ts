import * as containerservice from "@pulumi/azure-native/containerservice";
import { Provider as AzureProvider } from "@pulumi/azure-native/provider";
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type * as k8sClient from "@kubernetes/client-node";
import { delimiter, join } from "node:path";
import { existsSync } from "node:fs";
import { entraProblems, existingClusterProblems, ExistingClusterError, kubeloginMode, nonInteractiveKubeconfig, type ClusterFacts, type DeployerLogin, type KubeconfigShape } from "../plan/existingCluster";
import { defaultClusterPreflightProvider } from "./clusterPreflight";
import { kubernetesProvider, requireOutput, userKubeconfig, type ClusterTarget } from "./clusterTarget";
import { deployerCredentialSource, DEPLOYMENTS_OIDC_TOKEN_FILE } from "./deployerCredential";

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
    /** Workloads whose Jobs run an http handler as a native sidecar: the cluster must run Kubernetes ≥ 1.29. Default: none. */
    nativeSidecars?: string[];
    /** Whether pods that tolerate Spot may land on Spot nodes; unknown before the read, so the safe answer. Default: true. */
    spotNodes?: boolean;
    /** Namespace of kedascale's KEDA release ("keda"): the one owner of the external metrics API the preflight accepts. Default: keda. */
    kedaNamespace?: string;
    /** How the deployer signs in and whether kubelogin is on PATH (Entra ID clusters). Default: read from this process. */
    deployerLogin?: DeployerLogin;
    /** Provider of the Kubernetes-side preflight (clusterPreflight.ts); tests replace it. Default: the live probe. */
    preflightProvider?: pulumi.dynamic.ResourceProvider;
}

/** The preflight as a resource (`pulumi-nodejs:dynamic/aks:ClusterPreflight`): its Check reads the cluster (clusterPreflight.ts). */
export class ClusterPreflight extends pulumi.dynamic.Resource {
    constructor(provider: pulumi.dynamic.ResourceProvider, name: string, inputs: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
        super(provider, name, inputs, opts, "aks", "ClusterPreflight");
    }
}

/** This process's login (deployerCredential.ts) and whether kubelogin is on PATH. */
export function currentDeployerLogin(env: NodeJS.ProcessEnv = process.env): DeployerLogin {
    const onPath = (env.PATH ?? "").split(delimiter).some((dir) => dir && (existsSync(join(dir, "kubelogin")) || existsSync(join(dir, "kubelogin.exe"))));
    return {
        source: deployerCredentialSource(env),
        env,
        deploymentsTokenFile: existsSync(DEPLOYMENTS_OIDC_TOKEN_FILE) ? DEPLOYMENTS_OIDC_TOKEN_FILE : undefined,
        kubeloginOnPath: onPath,
    };
}

/** A kubeconfig (YAML or JSON) as an object, through the Kubernetes client's own loader. */
function parseKubeconfig(text: string): KubeconfigShape {
    const k = require("@kubernetes/client-node") as typeof k8sClient;
    const kc = new k.KubeConfig();
    kc.loadFromString(text);
    return JSON.parse(kc.exportConfig()) as KubeconfigShape;
}

/**
 * An AKS cluster kedascale deploys into but does not manage: read with getManagedCluster, checked when read (OIDC
 * issuer, workload identity, no AKS KEDA add-on when KEDA comes by Helm, a kubelet identity, a Spot pool when needed,
 * kubelogin for an Entra ID cluster; plan/existingCluster.ts), then checked from inside at preview (no other
 * external-metrics server, the deployer's Kubernetes rights; clusterPreflight.ts), and a Kubernetes provider from its
 * user kubeconfig that waits for those checks. Creates no Azure resource.
 */
export class ExistingCluster extends pulumi.ComponentResource implements ClusterTarget {
    /** The azure-native provider of the cluster's subscription; only when subscriptionId was given. */
    public readonly azureProvider?: AzureProvider;
    /** The cluster as read, after the checks passed (a failed check fails every output that depends on it). */
    public readonly cluster: pulumi.Output<ClusterFacts>;
    /** Kubernetes-side preflight (another external-metrics server, the deployer's rights); the provider waits for it. */
    public readonly preflight: ClusterPreflight;
    public readonly provider: k8s.Provider;
    public readonly clusterName: pulumi.Output<string>;
    public readonly oidcIssuerUrl: pulumi.Output<string>;
    public readonly kubeletIdentityObjectId: pulumi.Output<string>;
    public readonly kubernetesVersion: pulumi.Output<string | undefined>;
    public readonly spotNodes: boolean;

    constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:azure:ExistingCluster", name, {}, opts);
        const ref = { resourceGroupName: args.resourceGroupName, clusterName: args.clusterName, subscriptionId: args.subscriptionId };
        const needs = { helmKeda: args.helmKeda ?? true, spotPool: args.requireSpotPool ?? false, nativeSidecars: args.nativeSidecars ?? [] };
        const login = args.deployerLogin ?? currentDeployerLogin();
        this.spotNodes = args.spotNodes ?? true;
        if (args.subscriptionId) {
            this.azureProvider = new AzureProvider(`${name}-subscription`, { subscriptionId: args.subscriptionId }, { parent: this });
        }

        this.cluster = containerservice
            .getManagedClusterOutput({ resourceGroupName: args.resourceGroupName, resourceName: args.clusterName }, { parent: this, provider: this.azureProvider })
            .apply((c) => {
                const problems = [...existingClusterProblems(c as ClusterFacts, ref, needs), ...entraProblems(c as ClusterFacts, ref, login)];
                if (problems.length > 0) throw new ExistingClusterError(problems);
                return c as ClusterFacts;
            });
        this.clusterName = this.cluster.apply((c) => c.name ?? args.clusterName);
        this.oidcIssuerUrl = this.cluster.apply((c) => requireOutput(c.oidcIssuerProfile?.issuerURL, "oidcIssuerProfile.issuerURL"));
        this.kubeletIdentityObjectId = this.cluster.apply((c) => requireOutput(c.identityProfile?.kubeletidentity?.objectId, "identityProfile.kubeletidentity.objectId"));
        this.kubernetesVersion = this.cluster.apply((c) => c.kubernetesVersion);
        // The kubeconfig is read only once the checks passed (clusterName derives from the checked read). An Entra ID
        // cluster's kubeconfig runs kubelogin: ask for that form and switch it to a login that needs no browser.
        const entra = this.cluster.apply((c) => c.aadProfile?.managed === true);
        const mode = kubeloginMode(login);
        const kubeconfig = userKubeconfig({ resourceGroupName: args.resourceGroupName, clusterName: this.clusterName, azureProvider: this.azureProvider }, this, {
            format: entra.apply((e) => (e ? ("exec" as const) : undefined)),
            transform: entra.apply((e) => (e && !("problem" in mode) ? (text: string) => JSON.stringify(nonInteractiveKubeconfig(parseKubeconfig(text), mode)) : undefined)),
        });
        // Kubernetes-side checks at preview (another external-metrics server, the deployer's rights), before any object.
        this.preflight = new ClusterPreflight(
            args.preflightProvider ?? defaultClusterPreflightProvider(),
            `${name}-preflight`,
            {
                kubeconfig,
                resourceGroupName: args.resourceGroupName,
                clusterName: args.clusterName,
                clusterId: this.cluster.apply((c) => c.id ?? ""),
                subscriptionId: args.subscriptionId ?? "",
                release: "keda",
                namespace: args.kedaNamespace ?? "keda",
                azureRbac: this.cluster.apply((c) => c.aadProfile?.enableAzureRBAC === true),
            },
            { parent: this },
        );
        this.provider = kubernetesProvider(`${name}-k8s`, kubeconfig, this, [this.preflight]);

        this.registerOutputs({ azureProvider: this.azureProvider, preflight: this.preflight, provider: this.provider, clusterName: this.clusterName, oidcIssuerUrl: this.oidcIssuerUrl, kubeletIdentityObjectId: this.kubeletIdentityObjectId });
    }
}
