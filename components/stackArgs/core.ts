/**
 * Stack config → component args for the Azure platform (network, cluster, registry, messaging, KEDA, workloads).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AksClusterArgs } from "../azure/aksCluster";
import type { ClusterTarget } from "../azure/clusterTarget";
import type { ExistingClusterArgs } from "../azure/existingCluster";
import type { MessagingArgs } from "../azure/messaging";
import type { NetworkArgs } from "../azure/network";
import type { RegistryArgs } from "../azure/registry";
import type { StackConfig } from "../config/stack";
import { onContainerApps } from "../config/workloadPlatform";
import type { KedaInstallArgs } from "../k8s/kedaInstall";
import type { ScaledWorkloadArgs } from "../k8s/scaledWorkload";
import * as names from "../plan/names";
import { brokerEntities, readsVirtualNodeBroker } from "../plan/entities";
import { imageSource } from "../plan/workloadImage";

/** What every mapping needs besides config: where resources go and how they are named. */
export interface StackContext {
    readonly config: Readonly<StackConfig>;
    readonly stack: string;
    /** `<namePrefix>-<stack>`: the base of resource-group-scoped names. */
    readonly baseName: string;
    /** 6 hex characters per subscription, project and stack, for globally unique names (plan/naming.ts). */
    readonly suffix: pulumi.Output<string>;
    readonly resourceGroupName: pulumi.Input<string>;
    readonly location: string;
    readonly tenantId: pulumi.Input<string>;
}

export function networkArgs(ctx: StackContext): NetworkArgs {
    const { network, cluster } = ctx.config;
    return {
        resourceGroupName: ctx.resourceGroupName,
        location: ctx.location,
        vnetName: names.vnetName(ctx.baseName),
        vnetCidr: network.vnetCidr,
        nodeSubnetCidr: network.nodeSubnetCidr,
        virtualNodeSubnetCidr: cluster.virtualNodes ? network.virtualNodeSubnetCidr : undefined,
    };
}

export function aksClusterArgs(ctx: StackContext, subnets: { nodeSubnetId: pulumi.Input<string>; vnetId?: pulumi.Input<string>; virtualNodeSubnet?: AksClusterArgs["virtualNodeSubnet"] }): AksClusterArgs {
    const { cluster, network, pools } = ctx.config;
    return {
        resourceGroupName: ctx.resourceGroupName,
        location: ctx.location,
        clusterName: names.clusterName(ctx.baseName),
        kubernetesVersion: cluster.kubernetesVersion,
        tier: cluster.tier,
        systemPool: cluster.systemPool,
        pools: [...pools],
        network,
        outbound: cluster.outbound,
        autoscalerPreset: cluster.autoscalerPreset,
        autoscaler: cluster.autoscaler,
        nodeSubnetId: subnets.nodeSubnetId,
        vnetId: subnets.vnetId,
        virtualNodeSubnet: cluster.virtualNodes ? subnets.virtualNodeSubnet : undefined,
    };
}

/** Bring your own cluster: cluster.existing names it; what the workloads need of it is checked when it is read. */
export function existingClusterArgs(ctx: StackContext): ExistingClusterArgs {
    const existing = ctx.config.cluster.existing;
    if (!existing) throw new Error("existingClusterArgs: kedascale:cluster.existing is not set");
    return {
        resourceGroupName: existing.resourceGroup,
        clusterName: existing.name,
        subscriptionId: existing.subscriptionId,
        helmKeda: true,
        kedaNamespace: ctx.config.keda.namespace,
        requireSpotPool: ctx.config.workloads.some((w) => w.placement === "spot" && w.spotAffinity === "required"),
        nativeSidecars: ctx.config.workloads.filter((w) => w.kind === "job" && w.handler?.http !== undefined).map((w) => w.name),
        // Its pools are unknown before the read: pods that tolerate Spot get Spot's 30 s budget (as rules/shutdown.ts assumes).
        spotNodes: true,
    };
}

/** `cluster` absent: a stack with only Container Apps workloads (each job gets AcrPull for its own identity). */
export function registryArgs(ctx: StackContext, cluster?: ClusterTarget): RegistryArgs {
    return {
        resourceGroupName: ctx.resourceGroupName,
        location: ctx.location,
        registryName: ctx.suffix.apply((s) => names.registryName(ctx.config.namePrefix, s)),
        sku: ctx.config.registry.sku,
        pullPrincipalIds: cluster ? { kubelet: cluster.kubeletIdentityObjectId } : {},
        // Another ACR named by resource id (image: { ref, registryId }) on AKS nodes: the kubelet pulls there too.
        externalRegistryIds: cluster
            ? [...new Set(ctx.config.workloads.filter((w) => !onContainerApps(w) && !readsVirtualNodeBroker(w)).flatMap((w) => {
                  const source = imageSource(w);
                  return source.from === "acr" ? [source.registryId] : [];
              }))]
            : [],
    };
}

export function messagingArgs(ctx: StackContext): MessagingArgs {
    const m = ctx.config.messaging;
    const prefix = ctx.config.namePrefix;
    return {
        resourceGroupName: ctx.resourceGroupName,
        location: ctx.location,
        // Every workload's queue or subscription but the virtual-node ones (their own broker: stackArgs/virtualNodes.ts).
        entities: brokerEntities(ctx.config.workloads.filter((w) => !readsVirtualNodeBroker(w))),
        broker:
            m.broker === "serviceBus"
                ? { kind: "serviceBus", namespaceName: ctx.suffix.apply((s) => names.serviceBusNamespaceName(prefix, ctx.stack, s)), ...m.serviceBus }
                : { kind: "storageQueue", accountName: ctx.suffix.apply((s) => names.queueAccountName(prefix, s)), ...m.storageQueue },
        results: { ...m.results, accountName: ctx.suffix.apply((s) => names.resultsAccountName(prefix, s)) },
    };
}

export function kedaInstallArgs(ctx: StackContext, cluster: ClusterTarget): KedaInstallArgs {
    return {
        resourceGroupName: ctx.resourceGroupName,
        location: ctx.location,
        identityName: names.kedaIdentityName(ctx.baseName),
        oidcIssuerUrl: cluster.oidcIssuerUrl,
        tenantId: ctx.tenantId,
        provider: cluster.provider,
        ...ctx.config.keda,
    };
}

/** Pulumi name of a workload's component and of each namespace object (names.ts checks them). */
export const workloadResourceName = (w: { name: string }) => names.workloadPulumiName(w.name);
export const namespaceResourceName = (namespace: string) => names.namespacePulumiName(namespace);

/** The workload namespaces, one Namespace object each, created once however many workloads share one. */
export function workloadNamespaces(ctx: Pick<StackContext, "config">, provider: k8s.Provider): Map<string, k8s.core.v1.Namespace> {
    const namespaces = new Map<string, k8s.core.v1.Namespace>();
    for (const ns of new Set(ctx.config.workloads.map((w) => w.namespace))) {
        namespaces.set(ns, new k8s.core.v1.Namespace(namespaceResourceName(ns), { metadata: { name: ns } }, { provider }));
    }
    return namespaces;
}

export function scaledWorkloadArgs(
    ctx: StackContext,
    w: StackConfig["workloads"][number],
    wiring: Pick<ScaledWorkloadArgs, "messaging" | "image" | "workerImage" | "kedaRelease" | "kedaGrants" | "podPrerequisites" | "namespace" | "virtualNodes"> & { cluster: ClusterTarget },
): ScaledWorkloadArgs {
    const { cluster, ...rest } = wiring;
    return {
        workload: w,
        resourceGroupName: ctx.resourceGroupName,
        location: ctx.location,
        identityNamePrefix: ctx.baseName,
        oidcIssuerUrl: cluster.oidcIssuerUrl,
        provider: cluster.provider,
        spotNodes: cluster.spotNodes,
        ...rest,
    };
}
