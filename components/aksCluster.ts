import * as containerservice from "@pulumi/azure-native/containerservice";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig, PoolConfig } from "./config/schema";
import { autoscalerProfile } from "./plan/autoscaler";
import { networkProfileSpec, poolSpec } from "./plan/clusterSpec";
import { isAutoscaled } from "./plan/pools";
import { grantRole } from "./roles";
import { controlPlaneIdentityName } from "./plan/names";

export interface AksClusterArgs {
    /** Resource group for the cluster (AKS adds its own MC_ node resource group). */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    location: pulumi.Input<string>;
    /** Cluster name, also its DNS prefix. */
    clusterName: string;
    /** Validated stack config; the cluster reads cluster, network and pools from it. */
    config: Pick<PlatformConfig, "cluster" | "network" | "pools">;
    /** Subnet for every node pool. */
    nodeSubnetId: pulumi.Input<string>;
    /** The ACI-delegated subnet, required when config.cluster.virtualNodes is on. Default: none. */
    virtualNodeSubnet?: { id: pulumi.Input<string>; name: string };
}

/**
 * An AKS cluster ready for KEDA at scale: the system pool inline, every worker pool a separate AgentPool
 * (Spot, autoscaled, count ignored), OIDC issuer and workload identity on, optional virtual nodes, and a
 * Kubernetes provider for its workloads.
 */
export class AksCluster extends pulumi.ComponentResource {
    public readonly clusterName: pulumi.Output<string>;
    public readonly clusterId: pulumi.Output<string>;
    /** OIDC issuer URL that federated credentials trust. */
    public readonly oidcIssuerUrl: pulumi.Output<string>;
    /** Kubelet identity: the principal that pulls images (AcrPull). */
    public readonly kubeletIdentityObjectId: pulumi.Output<string>;
    /** Worker pools by name, in config order. */
    public readonly agentPools: Record<string, containerservice.AgentPool>;
    /** Provider for Kubernetes objects in this cluster; its kubeconfig is a secret. */
    public readonly provider: k8s.Provider;

    constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:azure:AksCluster", name, {}, opts);
        const { cluster, network } = args.config;
        if (cluster.virtualNodes && !args.virtualNodeSubnet) {
            throw new Error(`AksCluster ${name}: cluster.virtualNodes is on but no virtualNodeSubnet was given`);
        }

        // A user-assigned control-plane identity exists before the cluster, so its subnet grant can too
        // (a system-assigned one is born with the cluster, too late for a BYO subnet).
        const controlPlane = new managedidentity.UserAssignedIdentity(
            `${name}-control-plane`,
            { resourceName: controlPlaneIdentityName(args.clusterName), resourceGroupName: args.resourceGroupName, location: args.location },
            { parent: this },
        );
        const subnetGrant = grantRole(
            `${name}-control-plane-subnet`,
            { principalId: controlPlane.principalId, role: "networkContributor", scope: args.nodeSubnetId },
            { parent: this },
        );

        const systemPool = cluster.systemPool;
        const managedCluster = new containerservice.ManagedCluster(
            `${name}-aks`,
            {
                resourceName: args.clusterName,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                dnsPrefix: args.clusterName,
                kubernetesVersion: cluster.kubernetesVersion,
                sku: { name: "Base", tier: cluster.tier },
                identity: { type: "UserAssigned", userAssignedIdentities: [controlPlane.id] },
                enableRBAC: true,
                oidcIssuerProfile: { enabled: true },
                securityProfile: { workloadIdentity: { enabled: true } },
                agentPoolProfiles: [{ name: systemPool.name, vnetSubnetID: args.nodeSubnetId, ...poolSpec(args.config, systemPool, true) }],
                networkProfile: networkProfileSpec(network, cluster.outbound),
                autoScalerProfile: autoscalerProfile(cluster),
                addonProfiles: args.virtualNodeSubnet
                    ? { aciConnectorLinux: { enabled: true, config: { SubnetName: args.virtualNodeSubnet.name } } }
                    : undefined,
            },
            {
                parent: this,
                dependsOn: [subnetGrant],
                // The autoscaler changes the system pool's count; Pulumi must not fight it (pulumi-azure-native#2719).
                ignoreChanges: isAutoscaled(systemPool) ? ["agentPoolProfiles[0].count"] : [],
            },
        );

        if (args.virtualNodeSubnet) {
            // Without Network Contributor on its subnet the ACI connector crash-loops (FACTS §1).
            grantRole(
                `${name}-aci-connector-subnet`,
                {
                    principalId: managedCluster.addonProfiles.apply((p) => requireOutput(p?.aciConnectorLinux?.identity?.objectId, "addonProfiles.aciConnectorLinux.identity.objectId")),
                    role: "networkContributor",
                    scope: args.virtualNodeSubnet.id,
                },
                { parent: this },
            );
        }

        this.agentPools = {};
        let previous: pulumi.Resource = managedCluster;
        for (const pool of args.config.pools) {
            previous = this.agentPools[pool.name] = this.agentPool(name, args, managedCluster, pool, previous);
        }

        this.clusterName = managedCluster.name;
        this.clusterId = managedCluster.id;
        this.oidcIssuerUrl = managedCluster.oidcIssuerProfile.apply((p) => requireOutput(p?.issuerURL, "oidcIssuerProfile.issuerURL"));
        this.kubeletIdentityObjectId = managedCluster.identityProfile.apply((p) => requireOutput(p?.kubeletidentity?.objectId, "identityProfile.kubeletidentity.objectId"));

        const kubeconfig = containerservice
            .listManagedClusterUserCredentialsOutput({ resourceGroupName: args.resourceGroupName, resourceName: managedCluster.name })
            .apply((creds) => Buffer.from(creds.kubeconfigs![0].value, "base64").toString("utf8"));
        this.provider = new k8s.Provider(
            `${name}-k8s`,
            { kubeconfig: pulumi.secret(kubeconfig), enableServerSideApply: true },
            { parent: this },
        );

        this.registerOutputs({
            clusterName: this.clusterName,
            oidcIssuerUrl: this.oidcIssuerUrl,
            kubeletIdentityObjectId: this.kubeletIdentityObjectId,
        });
    }

    private agentPool(name: string, args: AksClusterArgs, cluster: containerservice.ManagedCluster, pool: PoolConfig, after: pulumi.Resource) {
        const { mode: _mode, ...spec } = poolSpec(args.config, pool, false);
        return new containerservice.AgentPool(
            `${name}-${pool.name}`,
            {
                resourceGroupName: args.resourceGroupName,
                resourceName: cluster.name,
                agentPoolName: pool.name,
                mode: "User",
                vnetSubnetID: args.nodeSubnetId,
                ...spec,
            },
            {
                parent: this,
                // AKS runs one pool operation per cluster at a time: create pools one after another.
                dependsOn: [after],
                ignoreChanges: isAutoscaled(pool) ? ["count"] : [],
            },
        );
    }
}

/** An output AKS always returns once the resource exists; a clear error if it ever does not. */
function requireOutput<T>(value: T | undefined | null, what: string): T {
    if (value === undefined || value === null) throw new Error(`AKS did not return ${what}`);
    return value;
}
