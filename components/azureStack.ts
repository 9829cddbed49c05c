/**
 * The Azure composition (every stack but `local`): moved verbatim from index.ts (issue 16) so index.ts can choose
 * between it and the local stack (localStack.ts) before any resource is registered. Validated config in, stack
 * outputs out; `repoRoot` is the image build context (was index.ts's __dirname).
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import { AksCluster } from "./azure/aksCluster";
import type { ClusterTarget } from "./azure/clusterTarget";
import { ExistingCluster } from "./azure/existingCluster";
import { ContainerAppsEnvironment } from "./azure/containerAppsEnvironment";
import { ContainerAppsJob } from "./azure/containerAppsJob";
import { Messaging } from "./azure/messaging";
import { Network } from "./azure/network";
import { Registry } from "./azure/registry";
import { RegistryPullToken } from "./azure/registryPullToken";
import { VirtualNodeCredential } from "./azure/virtualNodeCredential";
import { onVirtualNodes } from "./config/virtualNodes";
import { needsCluster, onContainerApps, workloadCoresAtMax } from "./config/containerApps";
import { KedaInstall } from "./k8s/kedaInstall";
import { ScaledWorkload } from "./k8s/scaledWorkload";
import { WorkerImage } from "./k8s/workerImage";
import { capacitySummary, existingClusterCapacity } from "./plan/capacity";
import { howTo as howToFor } from "./plan/howTo";
import * as names from "./plan/names";
import { uniqueSuffix } from "./plan/naming";
import * as args from "./stackArgs";
import type { StackConfig } from "./config/stack";

export function azureStack(config: Readonly<StackConfig>, repoRoot: string) {
    const stack = pulumi.getStack();
    const client = authorization.getClientConfigOutput();
    // Every name comes from components/plan/names.ts, where preflight checks them (config/rules/names.ts).
    const baseName = names.baseName(config.namePrefix, stack);
    const group = new resources.ResourceGroup("group", { resourceGroupName: names.resourceGroupName(baseName), location: config.location });
    const ctx: args.StackContext = {
        config,
        stack,
        baseName,
        suffix: client.subscriptionId.apply((id) => uniqueSuffix(id, pulumi.getProject(), stack)),
        resourceGroupName: group.name,
        location: config.location,
        tenantId: client.tenantId,
    };

    // Where workloads run: AKS (with KEDA) for platform "aks", Azure Container Apps jobs for platform "containerApps".
    // A stack whose every workload runs on ACA creates no VNet for nodes, no cluster, no KEDA and no Kubernetes provider.
    const aksWorkloads = config.workloads.filter((w) => !onContainerApps(w));
    const acaWorkloads = config.workloads.filter(onContainerApps);
    let network: Network | undefined;
    // Bring your own cluster (cluster.existing), or create the VNet and the cluster.
    const cluster: ClusterTarget | undefined = !needsCluster(config) ? undefined : config.cluster.existing ? new ExistingCluster("cluster", args.existingClusterArgs(ctx)) : createCluster();
    function createCluster(): AksCluster {
        network = new Network("network", args.networkArgs(ctx));
        const virtualNodeSubnet = network.virtualNodeSubnetId && network.virtualNodeSubnetName ? { id: network.virtualNodeSubnetId, name: network.virtualNodeSubnetName } : undefined;
        return new AksCluster("cluster", args.aksClusterArgs(ctx, { nodeSubnetId: network.nodeSubnetId, virtualNodeSubnet }));
    }
    const registry = new Registry("registry", args.registryArgs(ctx, cluster));
    const messaging = new Messaging("messaging", args.messagingArgs(ctx));
    const image = new WorkerImage("worker", { loginServer: registry.loginServer, tenantId: client.tenantId, context: repoRoot, repository: args.WORKER_REPOSITORY });

    // Virtual nodes (ACI): pods without identity read a queue of their own, in a namespace/accounts with local auth on,
    // through a credential scoped to that queue, and pull with a token scoped to the worker's repository.
    const credentialWindow = args.virtualNodeCredentialWindow(ctx);
    const virtualNodes =
        cluster && args.virtualNodeWorkloads(ctx).length > 0
            ? (() => {
                  const vnMessaging = new Messaging("aci-messaging", args.virtualNodeMessagingArgs(ctx));
                  return {
                      messaging: vnMessaging,
                      credential: new VirtualNodeCredential("aci-credential", args.virtualNodeCredentialArgs(ctx, vnMessaging, credentialWindow)),
                      pullToken: new RegistryPullToken("aci-pull", args.registryPullTokenArgs(ctx, registry, credentialWindow)),
                  };
              })()
            : undefined;

    if (cluster) {
        const keda = new KedaInstall("keda", args.kedaInstallArgs(ctx, cluster));
        // KEDA keeps its workload identity for the virtual-node queue too (RBAC works whatever local auth says).
        const kedaPrincipal = keda.principalId;
        const kedaGrants = kedaPrincipal
            ? [...messaging.grant("keda", "readQueueMetrics", kedaPrincipal), ...(virtualNodes ? virtualNodes.messaging.grant("keda", "readQueueMetrics", kedaPrincipal) : [])]
            : [];
        const namespaces = args.workloadNamespaces(ctx, cluster.provider);
        for (const w of aksWorkloads) {
            const vn = onVirtualNodes(w) ? virtualNodes : undefined;
            new ScaledWorkload(
                args.workloadResourceName(w),
                args.scaledWorkloadArgs(ctx, w, {
                    cluster,
                    messaging: vn ? vn.messaging : messaging,
                    virtualNodes: vn && { credential: vn.credential.values, dockerConfigJson: vn.pullToken.dockerConfigJson },
                    image: image.imageDigestRef,
                    kedaRelease: keda.release,
                    kedaGrants,
                    podPrerequisites: registry.pullGrants,
                    namespace: namespaces.get(w.namespace),
                }),
            );
        }
    }

    const acaJobs: ContainerAppsJob[] = [];
    if (acaWorkloads.length > 0) {
        const vnet = network ? { vnet: network.vnet, subnets: [network.nodeSubnet, ...(network.virtualNodeSubnet ? [network.virtualNodeSubnet] : [])] } : undefined;
        const environment = new ContainerAppsEnvironment("aca", args.containerAppsEnvironmentArgs(ctx, vnet));
        for (const w of acaWorkloads) {
            acaJobs.push(
                new ContainerAppsJob(
                    args.containerAppsJobResourceName(w),
                    args.containerAppsJobArgs(ctx, w, {
                        environmentId: environment.environmentId,
                        messaging,
                        image: image.imageDigestRef,
                        registry: { loginServer: registry.loginServer, registryId: registry.registryId },
                    }),
                ),
            );
        }
    }

    const resourceGroup = group.name;
    // null, not undefined, in a stack without a cluster: Pulumi warns on undefined outputs.
    const clusterName = cluster?.clusterName ?? null;
    const oidcIssuerUrl = cluster?.oidcIssuerUrl ?? null;
    const registryLoginServer = registry.loginServer;
    const broker = { kind: messaging.broker.kind, queueName: messaging.broker.queueName, resource: messaging.broker.resourceName, endpoint: messaging.broker.endpoint };
    const results = { account: messaging.resultsAccountName, container: messaging.resultsContainerName };
    const workerImage = image.imageDigestRef;
    /** How to send load and watch scaling, per workload (README: "Send load, watch it scale"). */
    const howToOf = (m: Messaging, workloads: typeof aksWorkloads) =>
        pulumi
            .all([group.name, m.broker.resourceName, m.resultsAccountName, m.resultsContainerName])
            .apply(([resourceGroupName, resourceName, resultsAccountName, resultsContainerName]) =>
                howToFor(workloads, { resourceGroupName, broker: { ...m.broker, resourceName }, resultsAccountName, resultsContainerName }),
            );
    const howTo = pulumi
        .all([howToOf(messaging, aksWorkloads.filter((w) => !virtualNodes || !onVirtualNodes(w))), virtualNodes ? howToOf(virtualNodes.messaging, aksWorkloads.filter(onVirtualNodes)) : []])
        .apply(([regular, aci]) => [...regular, ...aci]);
    /** Virtual nodes: the ACI workloads' own queue, and when their credentials expire and are next re-issued (`pulumi up`). */
    const virtualNodeAccess = virtualNodes
        ? {
              broker: { kind: virtualNodes.messaging.broker.kind, queueName: virtualNodes.messaging.broker.queueName, resource: virtualNodes.messaging.broker.resourceName },
              credentialsExpire: credentialWindow.expiry,
              reissueFrom: credentialWindow.rotatesAt,
          }
        : null;
    /** Nodes and vCPU quota this stack can reach: raise these regional quotas before `pulumi up` (an existing cluster's are its own). */
    const capacity = !cluster ? null : config.cluster.existing ? existingClusterCapacity(config.cluster.existing) : capacitySummary(config);
    /** The Container Apps jobs, and the cores they need at full scale against the environment's quota (preflight checks it). */
    const containerApps =
        acaWorkloads.length === 0
            ? null
            : {
                  coreQuota: config.containerApps.coreQuota,
                  coresAtMax: acaWorkloads.reduce((sum, w) => sum + workloadCoresAtMax(w), 0),
                  jobs: acaJobs.map((j) => j.jobName),
                  watchExecutions: acaJobs.map((j) => pulumi.interpolate`az containerapp job execution list -g ${group.name} -n ${j.jobName} -o table`),
              };
    return { resourceGroup, clusterName, oidcIssuerUrl, registryLoginServer, broker, results, workerImage, howTo, virtualNodeAccess, capacity, containerApps };
}

export type AzureStackOutputs = ReturnType<typeof azureStack>;
