import * as authorization from "@pulumi/azure-native/authorization";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { autoscalerProfile, type AutoscalerOverrides, type AutoscalerPreset } from "../plan/autoscaler";
import { networkProfileSpec, nodePoolSpec, type PoolShape } from "../plan/clusterSpec";
import { controlPlaneIdentityName } from "../plan/names";
import { isAutoscaled } from "../plan/pools";
import type { ClusterTarget } from "./clusterTarget";
import { clusterProvider, requireOutput } from "./clusterTarget";
import { defaultSubnetLinkProvider } from "./aciSubnetLink";
import { grantRole } from "./roles";

/** One AKS node pool. Rules: aks-docs (pool names, counts), FACTS §2 (Spot); preflight checks them for stack config. */
export interface NodePoolArgs {
    /** Agent pool name: 1–12 lowercase letters and digits, starting with a letter, unique in the cluster. Required. */
    name: string;
    /** VM size, e.g. Standard_D4ds_v5. Required. */
    vmSize: string;
    /** Regular (on-demand) or Spot. Default: Regular. Spot gets Delete eviction, max price −1 and AKS's Spot taint. */
    priority?: "Regular" | "Spot";
    /** Fewest nodes. Default: 0 (a Spot pool can scale to zero). */
    minCount?: number;
    /** Most nodes: ≤ 1,000 per pool. minCount = maxCount is a fixed-size pool without the autoscaler. Required. */
    maxCount: number;
    /** Ephemeral or Managed. Default: Ephemeral when the OS disk fits the size's local disk, else Managed (plan/pools.ts osDiskPlan). */
    osDiskType?: "Ephemeral" | "Managed";
    /** OS disk size, 30–2,048 GB. Default: AKS's default for the vCPU count, cut to the local disk when Ephemeral. */
    osDiskSizeGB?: number;
    /** Pods per node, 10–250. Default: 250 on Overlay, 30 on node-subnet CNI, 110 on kubenet (AKS's defaults). */
    maxPods?: number;
    /**
     * Upgrade surge, a node count ("5") or a percentage of the pool ("33%"). Regular pools only (AKS refuses it on
     * Spot pools, which get no surge node). Default: "10%" on Regular pools, none on Spot.
     */
    maxSurge?: string;
    /** Availability zones. Default: none (regional). */
    zones?: ("1" | "2" | "3")[];
    /** Extra node labels (not kubernetes.io/, k8s.io/, kubernetes.azure.com/). Default: none; kedascale.io/pool is always set. */
    labels?: Record<string, string>;
    /** Extra taints, "key=value:Effect". Default: none. */
    taints?: string[];
}

/** The inline System-mode pool: KEDA and the cluster's add-ons run here. AKS needs ≥ 4 vCPUs, not B-series. */
export interface SystemPoolArgs extends Partial<NodePoolArgs> {
    /** Default: "system". */
    name?: string;
    /** Default: Standard_D4ds_v5. */
    vmSize?: string;
    /** Default: 2 (minCount and maxCount). Never Spot. */
    minCount?: number;
    maxCount?: number;
    /** Taint CriticalAddonsOnly=true:NoSchedule, so only add-ons (and KEDA, which tolerates it) run here. Default: true. */
    onlyCriticalAddons?: boolean;
}

/** The cluster's network model (aks-docs concepts-network; FACTS §3). */
export interface ClusterNetworkArgs {
    /** azureOverlay, azureNodeSubnet (pods take VNet IPs; virtual nodes need it) or kubenet. Default: azureOverlay. */
    plugin?: "azureOverlay" | "azureNodeSubnet" | "kubenet";
    /** azure or cilium (eBPF, Azure CNI only). Default: azure. */
    dataplane?: "azure" | "cilium";
    /** Pod range for Overlay and kubenet: one /24 per node. Default: 10.244.0.0/16. */
    podCidr?: string;
    /** Service range, smaller than /12, clear of the VNet. Default: 10.0.0.0/16. */
    serviceCidr?: string;
    /** CoreDNS address, inside serviceCidr, not its .1. Default: 10.0.0.10. */
    dnsServiceIP?: string;
}

/** Load-balancer egress (FACTS §2): ports × nodes must fit IPs × 64,000. */
export interface OutboundArgs {
    /** Managed outbound public IPs, 1–100. Default: 1. */
    outboundIPs?: number;
    /** SNAT ports per node, a multiple of 8 up to 64,000; 0 = Azure's automatic table. Default: 0. */
    allocatedOutboundPorts?: number;
    /** Idle timeout of outbound flows, 4–120 minutes. Default: 30. */
    idleTimeoutMinutes?: number;
}

export interface AksClusterArgs {
    /** Resource group of the cluster (AKS adds its own MC_ node resource group). */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    location: pulumi.Input<string>;
    /** Cluster name, also its DNS prefix: 1–54 letters, digits and '-'. Names the control-plane identity `<name>-control-plane`. */
    clusterName: string;
    /** Kubernetes version, e.g. 1.33. Default: AKS's default for the region. */
    kubernetesVersion?: pulumi.Input<string>;
    /** Free (no SLA; AKS recommends ≤ 10 nodes), Standard or Premium. Default: Free. */
    tier?: "Free" | "Standard" | "Premium";
    /** The System-mode pool. Default: 2 × Standard_D4ds_v5, tainted for critical add-ons. */
    systemPool?: SystemPoolArgs;
    /** Worker pools, each its own AgentPool, created one after another. Default: none. */
    pools?: NodePoolArgs[];
    /** Network model. Default: Azure CNI Overlay, azure dataplane, AKS's default ranges. */
    network?: ClusterNetworkArgs;
    /** Egress sizing. Default: one IP, automatic ports, 30 minutes idle. */
    outbound?: OutboundArgs;
    /** Cluster autoscaler preset: balanced (AKS's defaults) or burst (AKS's bursty profile). Default: balanced. */
    autoscalerPreset?: AutoscalerPreset;
    /** Autoscaler settings (AKS API names, string values) that win over the preset. Default: none. */
    autoscaler?: AutoscalerOverrides;
    /** Subnet of every node pool (BYO VNet); the control-plane identity gets Network Contributor on it (or on vnetId). */
    nodeSubnetId: pulumi.Input<string>;
    /**
     * VNet of the node subnet. With it the cluster's load balancer uses IP-based backend pools (`NodeIP`, which AKS
     * recommends at high node counts) and the control-plane identity gets Network Contributor on the VNet, which
     * holds the `virtualNetworks/joinLoadBalancer/action` that needs (aks-docs aks-service-permissions.md). Default:
     * none: NIC-based pools (`NodeIPConfiguration`) and the grant on the node subnet only.
     */
    vnetId?: pulumi.Input<string>;
    /**
     * ACI-delegated subnet: turns virtual nodes on, and grants the connector Network Contributor on it. `subnet`, the
     * Subnet resource when the caller has one, makes the cluster wait for it (the connector crash-loops if it starts
     * before its subnet exists). A link ACI puts on the subnet is removed on destroy (aciSubnetLink.ts). Default: none (off).
     */
    virtualNodeSubnet?: { id: pulumi.Input<string>; name: pulumi.Input<string>; subnet?: pulumi.Resource };
    /** Provider that removes ACI's service association link on destroy; tests replace it. Default: ARM with the deployer's token. */
    subnetLinkProvider?: pulumi.dynamic.ResourceProvider;
}

/**
 * ACI's service association link on the virtual-node subnet, as a resource whose delete removes it
 * (`pulumi-nodejs:dynamic/aci:SubnetLink`; aciSubnetLink.ts).
 */
export class AciSubnetLink extends pulumi.dynamic.Resource {
    constructor(provider: pulumi.dynamic.ResourceProvider, name: string, inputs: { subnetId: pulumi.Input<string> }, opts: pulumi.CustomResourceOptions) {
        super(provider, name, inputs, opts, "aci", "SubnetLink");
    }
}

/** Defaults of NodePoolArgs applied (the same as the config schema's: test/componentDefaults.test.ts). */
export function resolvePool(p: NodePoolArgs): PoolShape {
    return {
        name: p.name,
        vmSize: p.vmSize,
        priority: p.priority ?? "Regular",
        minCount: p.minCount ?? 0,
        maxCount: p.maxCount,
        osDiskType: p.osDiskType,
        osDiskSizeGB: p.osDiskSizeGB,
        maxPods: p.maxPods,
        maxSurge: p.maxSurge,
        zones: p.zones ?? [],
        labels: p.labels ?? {},
        taints: p.taints ?? [],
    };
}

export function resolveSystemPool(p: SystemPoolArgs = {}): PoolShape & { onlyCriticalAddons: boolean } {
    return {
        ...resolvePool({ ...p, name: p.name ?? "system", vmSize: p.vmSize ?? "Standard_D4ds_v5", minCount: p.minCount ?? 2, maxCount: p.maxCount ?? 2 }),
        onlyCriticalAddons: p.onlyCriticalAddons ?? true,
    };
}

export function resolveClusterNetwork(n: ClusterNetworkArgs = {}) {
    return {
        plugin: n.plugin ?? "azureOverlay",
        dataplane: n.dataplane ?? "azure",
        podCidr: n.podCidr ?? "10.244.0.0/16",
        serviceCidr: n.serviceCidr ?? "10.0.0.0/16",
        dnsServiceIP: n.dnsServiceIP ?? "10.0.0.10",
    } as const;
}

export function resolveOutbound(o: OutboundArgs = {}) {
    return { outboundIPs: o.outboundIPs ?? 1, allocatedOutboundPorts: o.allocatedOutboundPorts ?? 0, idleTimeoutMinutes: o.idleTimeoutMinutes ?? 30 };
}

/**
 * An AKS cluster ready for KEDA at scale: the system pool inline, every worker pool a separate AgentPool
 * (Spot, autoscaled, count ignored), OIDC issuer and workload identity on, optional virtual nodes, and a
 * Kubernetes provider for its workloads.
 */
export class AksCluster extends pulumi.ComponentResource implements ClusterTarget {
    /** User-assigned control-plane identity, created before the cluster so its subnet grant can be too. */
    public readonly controlPlaneIdentity: managedidentity.UserAssignedIdentity;
    /** Network Contributor of the control plane on the VNet (with vnetId; else the node subnet); the cluster depends on it. */
    public readonly subnetGrant: authorization.RoleAssignment;
    /** Network Contributor of the ACI connector on its subnet; only with virtual nodes. */
    public readonly aciConnectorGrant?: authorization.RoleAssignment;
    /** Removes ACI's link from the virtual-node subnet on destroy, after the cluster and before the subnet; only with virtual nodes. */
    public readonly aciSubnetLink?: AciSubnetLink;
    public readonly managedCluster: containerservice.ManagedCluster;
    /** Worker pools by name, in the order given (and created). */
    public readonly agentPools: Record<string, containerservice.AgentPool>;
    /** Provider for Kubernetes objects in this cluster; its kubeconfig is a secret. */
    public readonly provider: k8s.Provider;
    public readonly clusterName: pulumi.Output<string>;
    public readonly clusterId: pulumi.Output<string>;
    /** OIDC issuer URL that federated credentials trust. */
    public readonly oidcIssuerUrl: pulumi.Output<string>;
    /** Kubelet identity: the principal that pulls images (AcrPull). */
    public readonly kubeletIdentityObjectId: pulumi.Output<string>;
    /** Whether any node can be Spot (a workload that tolerates Spot may be evicted with ~30 s notice). */
    public readonly spotNodes: boolean;

    constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:azure:AksCluster", name, {}, opts);
        const systemPool = resolveSystemPool(args.systemPool);
        const pools = (args.pools ?? []).map(resolvePool);
        const net = resolveClusterNetwork(args.network);
        if (systemPool.priority === "Spot") throw new Error(`AksCluster ${name}: the system pool cannot be Spot (AKS evicts it; the cluster loses CoreDNS and KEDA)`);
        this.spotNodes = pools.some((p) => p.priority === "Spot");

        // A user-assigned control-plane identity exists before the cluster, so its subnet grant can too
        // (a system-assigned one is born with the cluster, too late for a BYO subnet).
        this.controlPlaneIdentity = new managedidentity.UserAssignedIdentity(
            `${name}-control-plane`,
            { resourceName: controlPlaneIdentityName(args.clusterName), resourceGroupName: args.resourceGroupName, location: args.location },
            { parent: this },
        );
        // Network Contributor where AKS needs it: the node subnet (join, NSG), and the VNet when the load balancer's
        // backend pools are IP-based (joinLoadBalancer is a VNet action).
        this.subnetGrant = grantRole(
            `${name}-control-plane-${args.vnetId !== undefined ? "vnet" : "subnet"}`,
            { principalId: this.controlPlaneIdentity.principalId, role: "networkContributor", scope: args.vnetId ?? args.nodeSubnetId },
            { parent: this },
        );
        if (args.virtualNodeSubnet) {
            this.aciSubnetLink = new AciSubnetLink(
                args.subnetLinkProvider ?? defaultSubnetLinkProvider(),
                `${name}-aci-subnet-link`,
                { subnetId: args.virtualNodeSubnet.id },
                { parent: this, dependsOn: args.virtualNodeSubnet.subnet ? [args.virtualNodeSubnet.subnet] : [] },
            );
        }

        this.managedCluster = new containerservice.ManagedCluster(
            `${name}-aks`,
            {
                resourceName: args.clusterName,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                dnsPrefix: args.clusterName,
                kubernetesVersion: args.kubernetesVersion,
                sku: { name: "Base", tier: args.tier ?? "Free" },
                identity: { type: "UserAssigned", userAssignedIdentities: [this.controlPlaneIdentity.id] },
                enableRBAC: true,
                oidcIssuerProfile: { enabled: true },
                securityProfile: { workloadIdentity: { enabled: true } },
                agentPoolProfiles: [
                    {
                        name: systemPool.name,
                        vnetSubnetID: args.nodeSubnetId,
                        ...nodePoolSpec(systemPool, { plugin: net.plugin, system: true, onlyCriticalAddons: systemPool.onlyCriticalAddons }),
                    },
                ],
                networkProfile: networkProfileSpec(net, resolveOutbound(args.outbound), args.vnetId !== undefined ? "NodeIP" : "NodeIPConfiguration"),
                autoScalerProfile: autoscalerProfile({ autoscalerPreset: args.autoscalerPreset ?? "balanced", autoscaler: args.autoscaler ?? {} }),
                addonProfiles: args.virtualNodeSubnet
                    ? { aciConnectorLinux: { enabled: true, config: { SubnetName: args.virtualNodeSubnet.name } } }
                    : undefined,
            },
            {
                parent: this,
                // The ACI subnet (through its link resource) before the cluster: the connector starts with the cluster.
                dependsOn: [this.subnetGrant, ...(this.aciSubnetLink ? [this.aciSubnetLink] : [])],
                // The autoscaler changes the system pool's count; Pulumi must not fight it (pulumi-azure-native#2719).
                ignoreChanges: isAutoscaled(systemPool) ? ["agentPoolProfiles[0].count"] : [],
            },
        );

        if (args.virtualNodeSubnet) {
            // Without Network Contributor on its subnet the ACI connector crash-loops (FACTS §1).
            this.aciConnectorGrant = grantRole(
                `${name}-aci-connector-subnet`,
                {
                    principalId: this.managedCluster.addonProfiles.apply((p) => requireOutput(p?.aciConnectorLinux?.identity?.objectId, "addonProfiles.aciConnectorLinux.identity.objectId")),
                    role: "networkContributor",
                    scope: args.virtualNodeSubnet.id,
                },
                { parent: this },
            );
        }

        this.agentPools = {};
        let previous: pulumi.Resource = this.managedCluster;
        for (const pool of pools) {
            previous = this.agentPools[pool.name] = this.agentPool(name, args, net.plugin, pool, previous);
        }

        this.clusterName = this.managedCluster.name;
        this.clusterId = this.managedCluster.id;
        this.oidcIssuerUrl = this.managedCluster.oidcIssuerProfile.apply((p) => requireOutput(p?.issuerURL, "oidcIssuerProfile.issuerURL"));
        this.kubeletIdentityObjectId = this.managedCluster.identityProfile.apply((p) => requireOutput(p?.kubeletidentity?.objectId, "identityProfile.kubeletidentity.objectId"));
        this.provider = clusterProvider(`${name}-k8s`, { resourceGroupName: args.resourceGroupName, clusterName: this.managedCluster.name }, this);

        this.registerOutputs({
            controlPlaneIdentity: this.controlPlaneIdentity,
            subnetGrant: this.subnetGrant,
            aciConnectorGrant: this.aciConnectorGrant,
            aciSubnetLink: this.aciSubnetLink,
            managedCluster: this.managedCluster,
            agentPools: this.agentPools,
            provider: this.provider,
            clusterName: this.clusterName,
            oidcIssuerUrl: this.oidcIssuerUrl,
            kubeletIdentityObjectId: this.kubeletIdentityObjectId,
        });
    }

    private agentPool(name: string, args: AksClusterArgs, plugin: ReturnType<typeof resolveClusterNetwork>["plugin"], pool: PoolShape, after: pulumi.Resource) {
        const { mode: _mode, ...spec } = nodePoolSpec(pool, { plugin, system: false, onlyCriticalAddons: false });
        return new containerservice.AgentPool(
            `${name}-${pool.name}`,
            {
                resourceGroupName: args.resourceGroupName,
                resourceName: this.managedCluster.name,
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
