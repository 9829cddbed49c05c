/**
 * Stack config → component args: the one module that reads the config schema on the components' behalf (no
 * component imports it). Each function maps one component's slice of config, with the names from plan/names.ts;
 * index.ts wires the components together. A new target (another cluster kind, Container Apps) adds its mapping here.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AksClusterArgs } from "./azure/aksCluster";
import type { ClusterTarget } from "./azure/clusterTarget";
import type { ExistingClusterArgs } from "./azure/existingCluster";
import type { MessagingArgs } from "./azure/messaging";
import type { NetworkArgs } from "./azure/network";
import type { RegistryArgs } from "./azure/registry";
import type { StackConfig } from "./config/stack";
import type { KedaInstallArgs } from "./k8s/kedaInstall";
import type { LocalAzurite, LocalAzuriteArgs } from "./k8s/localAzurite";
import type { WorkerImageArgs } from "./k8s/workerImage";
import type { ScaledWorkloadArgs } from "./k8s/scaledWorkload";
import type { ContainerAppsEnvironmentArgs } from "./azure/containerAppsEnvironment";
import type { ContainerAppsJobArgs } from "./azure/containerAppsJob";
import { acaSettings, onContainerApps, replicaAllocation, type ContainerAppsWorkload } from "./config/containerApps";
import type { ContainerAppsJobSettings } from "./plan/containerAppsJob";
import * as acaNames from "./plan/containerAppsNames";
import * as names from "./plan/names";
import type { Messaging } from "./azure/messaging";
import type { Registry } from "./azure/registry";
import type { RegistryPullTokenArgs } from "./azure/registryPullToken";
import type { VirtualNodeCredentialArgs } from "./azure/virtualNodeCredential";
import { onVirtualNodes } from "./config/virtualNodes";
import { credentialWindow, virtualNodeNames, type CredentialWindow } from "./plan/virtualNodes";

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

export function aksClusterArgs(ctx: StackContext, subnets: { nodeSubnetId: pulumi.Input<string>; virtualNodeSubnet?: { id: pulumi.Input<string>; name: string } }): AksClusterArgs {
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
        requireSpotPool: ctx.config.workloads.some((w) => w.placement === "spot" && w.spotAffinity === "required"),
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
    };
}

export function messagingArgs(ctx: StackContext): MessagingArgs {
    const m = ctx.config.messaging;
    const prefix = ctx.config.namePrefix;
    return {
        resourceGroupName: ctx.resourceGroupName,
        location: ctx.location,
        queueName: m.queueName,
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
    wiring: Pick<ScaledWorkloadArgs, "messaging" | "image" | "kedaRelease" | "kedaGrants" | "podPrerequisites" | "namespace" | "virtualNodes"> & { cluster: ClusterTarget },
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

// --- Azure Container Apps target (issue 13): workloads with platform containerApps ---

/** Pulumi name of an ACA workload's component (`aca-<workload>`). */
export const containerAppsJobResourceName = (w: { name: string }) => acaNames.containerAppsPulumiName(w.name);

/**
 * The environment every ACA workload shares. With containerApps.infrastructureSubnetCidr its subnet goes into the
 * stack's VNet: the cluster's (`network`, when the stack has one) or one the environment creates from
 * network.vnetCidr.
 */
export function containerAppsEnvironmentArgs(ctx: StackContext, network?: { vnet: pulumi.Resource & { name: pulumi.Output<string> }; subnets: pulumi.Resource[] }): ContainerAppsEnvironmentArgs {
    const aca = ctx.config.containerApps;
    return {
        resourceGroupName: ctx.resourceGroupName,
        location: ctx.location,
        environmentName: acaNames.containerAppsEnvironmentName(ctx.baseName),
        workspaceName: acaNames.logAnalyticsWorkspaceName(ctx.baseName),
        logRetentionDays: aca.logRetentionDays,
        vnetIntegration:
            aca.infrastructureSubnetCidr === undefined
                ? undefined
                : network
                  ? { vnetName: network.vnet.name, subnetCidr: aca.infrastructureSubnetCidr, dependsOn: network.subnets }
                  : { vnetName: names.vnetName(ctx.baseName), createVnetCidr: ctx.config.network.vnetCidr, subnetCidr: aca.infrastructureSubnetCidr },
    };
}

/**
 * An ACA workload's job settings from the fields it shares with AKS workloads: requests → the replica's
 * allocation, target/activation → the scale rule, min/maxReplicaCount → min/max executions,
 * job.activeDeadlineSeconds → replicaTimeout, job.backoffLimit → replicaRetryLimit, job.mode → --once/--drain.
 */
export function containerAppsJobSettings(w: ContainerAppsWorkload): ContainerAppsJobSettings {
    const aca = acaSettings(w);
    const { cpu, memoryGi } = replicaAllocation(w);
    return {
        mode: w.job.mode,
        cpu,
        memoryGi,
        messagesPerExecution: w.target ?? 1,
        activationMessages: w.activation,
        pollingInterval: w.pollingInterval,
        minExecutions: w.minReplicaCount,
        maxExecutions: w.maxReplicaCount,
        parallelism: aca.parallelism,
        replicaCompletionCount: aca.replicaCompletionCount,
        replicaTimeout: w.job.activeDeadlineSeconds,
        replicaRetryLimit: w.job.backoffLimit,
    };
}

export function containerAppsJobArgs(
    ctx: StackContext,
    w: ContainerAppsWorkload,
    wiring: Pick<ContainerAppsJobArgs, "environmentId" | "messaging" | "image" | "registry">,
): ContainerAppsJobArgs {
    return {
        job: containerAppsJobSettings(w),
        resourceGroupName: ctx.resourceGroupName,
        location: ctx.location,
        jobName: acaNames.containerAppsJobName(w.name),
        workerIdentityName: acaNames.acaWorkerIdentityName(ctx.baseName, w.name),
        scalerIdentityName: acaNames.acaScalerIdentityName(ctx.baseName, w.name),
        granteeName: w.name,
        ...wiring,
    };
}

// --- Virtual nodes (issue 12): workloads with placement virtualNodes / spotThenVirtualNodes ---

/** Repository of the worker image (WorkerImage's default): the only one the virtual-node pull token may read. */
export const WORKER_REPOSITORY = "kedascale-worker";

/** The AKS workloads whose pods may run in ACI. */
export const virtualNodeWorkloads = (ctx: StackContext) => ctx.config.workloads.filter((w) => !onContainerApps(w) && onVirtualNodes(w));

/** The rotation window of every virtual-node credential, from this run's clock (deterministic within a window). */
export function virtualNodeCredentialWindow(ctx: StackContext, nowMs: number = Date.now()): CredentialWindow {
    return credentialWindow(nowMs, ctx.config.messaging.virtualNodes?.credentialValidityDays ?? 30);
}

/**
 * The virtual-node queue's own Messaging: a namespace or accounts of its own with local auth on (and the policy tag),
 * so every other namespace and account stays Entra-only. Same broker settings as the stack's unless
 * messaging.virtualNodes.broker picks the other broker.
 */
export function virtualNodeMessagingArgs(ctx: StackContext): MessagingArgs {
    const m = ctx.config.messaging;
    const vn = m.virtualNodes;
    if (!vn) throw new Error("virtualNodeMessagingArgs: kedascale:messaging.virtualNodes is not set");
    const prefix = ctx.config.namePrefix;
    const broker = vn.broker ?? m.broker;
    return {
        resourceGroupName: ctx.resourceGroupName,
        location: ctx.location,
        queueName: vn.queueName,
        broker:
            broker === "serviceBus"
                ? { kind: "serviceBus", namespaceName: ctx.suffix.apply((s) => virtualNodeNames.serviceBusNamespace(prefix, ctx.stack, s)), ...m.serviceBus }
                : { kind: "storageQueue", accountName: ctx.suffix.apply((s) => virtualNodeNames.queueAccount(prefix, s)), ...m.storageQueue },
        results: { containerName: m.results.containerName, accountName: ctx.suffix.apply((s) => virtualNodeNames.resultsAccount(prefix, s)) },
        localAuth: "virtualNodes",
    };
}

export function virtualNodeCredentialArgs(ctx: StackContext, messaging: Messaging, window: CredentialWindow): VirtualNodeCredentialArgs {
    return { resourceGroupName: ctx.resourceGroupName, messaging, expiry: window.expiry };
}

export function registryPullTokenArgs(ctx: StackContext, registry: Pick<Registry, "registryName" | "registryId" | "loginServer">, window: CredentialWindow): RegistryPullTokenArgs {
    return {
        resourceGroupName: ctx.resourceGroupName,
        registryName: registry.registryName,
        registryId: registry.registryId,
        loginServer: registry.loginServer,
        repository: WORKER_REPOSITORY,
        tokenName: virtualNodeNames.pullToken(ctx.baseName),
        expiry: window.expiry,
        passwordSlot: window.passwordSlot,
    };
}

// --- The local stack (issue 16): a laptop cluster from the kubeconfig, Azurite in it, no Azure resource ---

/** cluster.local, which only the local stack's mappings read (config/rules/localCluster.ts refuses everything Azure beside it). */
function localOf(config: Readonly<StackConfig>): NonNullable<StackConfig["cluster"]["local"]> {
    const local = config.cluster.local;
    if (!local) throw new Error("the local stack's mappings need kedascale:cluster.local");
    return local;
}

/** The Kubernetes provider: the deployer's kubeconfig ($KUBECONFIG or ~/.kube/config), at cluster.local.kubeconfigContext or its current context. */
export function localProviderArgs(config: Readonly<StackConfig>): k8s.ProviderArgs {
    const { kubeconfigContext } = localOf(config);
    return kubeconfigContext === undefined ? {} : { context: kubeconfigContext };
}

/** Azurite, with the connection Secret in every workload namespace and the queue, poison queue and results container created. */
export function localAzuriteArgs(config: Readonly<StackConfig>, provider: k8s.Provider, namespaceResources: ReadonlyMap<string, pulumi.Resource>): LocalAzuriteArgs {
    const m = config.messaging;
    return {
        provider,
        workloadNamespaces: [...new Set(config.workloads.map((w) => w.namespace))],
        namespaceResources,
        queueName: m.queueName,
        resultsContainerName: m.results.containerName,
        maxDequeueCount: m.storageQueue.maxDequeueCount,
    };
}

/** KEDA by the same Helm release, without workload identity (Azurite is read with the Secret) and not pinned to AKS's system pool. */
export function localKedaInstallArgs(config: Readonly<StackConfig>, provider: k8s.Provider): KedaInstallArgs {
    return { provider, aksSystemPool: false, ...config.keda };
}

/**
 * The image, pushed without credentials to cluster.local.registry (ctlptl's registry takes anonymous pushes), built for
 * the deployer's CPU: a laptop cluster's nodes are containers on the same machine (arm64 on Apple silicon).
 */
export function localWorkerImageArgs(config: Readonly<StackConfig>, context: string, arch: string = process.arch): WorkerImageArgs {
    return { loginServer: localOf(config).registry, context, repository: WORKER_REPOSITORY, platform: `linux/${arch === "arm64" ? "arm64" : "amd64"}` };
}

/** A workload on Azurite: the same ScaledWorkload, with the Secret instead of identities; a laptop cluster has no Spot nodes. */
export function localScaledWorkloadArgs(
    w: StackConfig["workloads"][number],
    wiring: Pick<ScaledWorkloadArgs, "image" | "provider" | "kedaRelease" | "namespace" | "podPrerequisites"> & { azurite: LocalAzurite },
): ScaledWorkloadArgs {
    const { azurite, ...rest } = wiring;
    return { workload: w, messaging: azurite, azuriteSecret: azurite.secretName, spotNodes: false, ...rest };
}

