/**
 * Stack config → args of the local stack (issue 16): a laptop cluster from the kubeconfig, Azurite in it, no Azure resource.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/stack";
import type { KedaInstallArgs } from "../k8s/kedaInstall";
import type { LocalAzurite, LocalAzuriteArgs } from "../k8s/localAzurite";
import type { WorkerImageArgs } from "../k8s/workerImage";
import type { ScaledWorkloadArgs } from "../k8s/scaledWorkload";
import { WORKER_REPOSITORY } from "./virtualNodes";
import { brokerEntities } from "../plan/entities";

// The local stack (issue 16): a laptop cluster from the kubeconfig, Azurite in it, no Azure resource

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
        queueNames: brokerEntities(config.workloads).map((e) => ("queue" in e ? e.queue : e.topic)),
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
    wiring: Pick<ScaledWorkloadArgs, "image" | "workerImage" | "provider" | "kedaRelease" | "namespace" | "podPrerequisites"> & { azurite: LocalAzurite },
): ScaledWorkloadArgs {
    const { azurite, ...rest } = wiring;
    // Azurite emulates Storage queues only: preflight refuses topics here (rules/localCluster.ts).
    return { workload: w, messaging: azurite.forQueue(w.queue ?? w.name), azuriteSecret: azurite.secretName, spotNodes: false, ...rest };
}
