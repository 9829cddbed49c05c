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
import { entityKey, workloadEntity } from "./plan/entities";
import { workloadSummaries } from "./plan/workloadSummary";
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
        const virtualNodeSubnet = network.virtualNodeSubnetId && network.virtualNodeSubnetName ? { id: network.virtualNodeSubnetId, name: network.virtualNodeSubnetName, subnet: network.virtualNodeSubnet } : undefined;
        return new AksCluster("cluster", args.aksClusterArgs(ctx, { nodeSubnetId: network.nodeSubnetId, vnetId: network.vnetId, virtualNodeSubnet }));
    }
    const registry = new Registry("registry", args.registryArgs(ctx, cluster));
    const messaging = new Messaging("messaging", args.messagingArgs(ctx));
    const image = new WorkerImage("worker", { loginServer: registry.loginServer, tenantId: client.tenantId, context: repoRoot, repository: args.WORKER_REPOSITORY });
    // Workloads' own `image: { build }`, pushed to the same registry the same way (stackArgs/images.ts).
    const built = new Map(
        args.workloadImageBuilds(config, repoRoot, { loginServer: registry.loginServer, tenantId: client.tenantId }, image.imageDigestRef).map((b) => [b.workload, new WorkerImage(b.resourceName, b.args).imageDigestRef] as const),
    );
    const imageOf = (w: StackConfig["workloads"][number]) => args.workloadImageRef(w, image.imageDigestRef, built);

    // Virtual nodes (ACI): pods without identity read their own queues, in a namespace/accounts with local auth on,
    // each through a credential scoped to its queue, and pull with a token scoped to its image's repository.
    const credentialWindow = args.virtualNodeCredentialWindow(ctx);
    const vnWorkloads = cluster ? args.virtualNodeWorkloads(ctx) : [];
    const vnMessaging = vnWorkloads.length > 0 ? new Messaging("aci-messaging", args.virtualNodeMessagingArgs(ctx)) : undefined;
    /** The Messaging a workload reads: the virtual-node broker for ACI workloads, the stack's own for the rest. */
    const messagingOf = (w: (typeof aksWorkloads)[number]) => (onVirtualNodes(w) && vnMessaging ? vnMessaging : messaging);
    const virtualNodeAccessOf = new Map(
        vnWorkloads.map((w) => {
            const tokenArgs = args.registryPullTokenArgs(ctx, w, registry, credentialWindow);
            return [
                w.name,
                {
                    credential: new VirtualNodeCredential(`aci-credential-${w.name}`, args.virtualNodeCredentialArgs(ctx, w, vnMessaging!, credentialWindow)),
                    pullToken: tokenArgs && new RegistryPullToken(`aci-pull-${w.name}`, tokenArgs),
                },
            ] as const;
        }),
    );

    if (cluster) {
        const keda = new KedaInstall("keda", args.kedaInstallArgs(ctx, cluster));
        // KEDA reads each workload's entity only (metrics read on that queue or subscription, never the namespace), and
        // keeps its workload identity for the virtual-node queues too (RBAC works whatever local auth says).
        const kedaPrincipal = keda.principalId;
        const kedaGrantsOf = new Map<string, ReturnType<Messaging["grantMetricsRead"]>>();
        const kedaGrants = (m: Messaging, w: StackConfig["workloads"][number]) => {
            if (!kedaPrincipal) return [];
            const e = workloadEntity(w);
            const id = `${m === messaging ? "stack" : "aci"}/${entityKey(e)}`;
            if (!kedaGrantsOf.has(id)) kedaGrantsOf.set(id, m.grantMetricsRead(e, kedaPrincipal));
            return kedaGrantsOf.get(id)!;
        };
        const namespaces = args.workloadNamespaces(ctx, cluster.provider);
        for (const w of aksWorkloads) {
            const vn = onVirtualNodes(w) ? virtualNodeAccessOf.get(w.name) : undefined;
            const m = messagingOf(w);
            new ScaledWorkload(
                args.workloadResourceName(w),
                args.scaledWorkloadArgs(ctx, w, {
                    cluster,
                    messaging: m.forEntity(workloadEntity(w)),
                    virtualNodes: vn && { credential: vn.credential.values, ...(vn.pullToken ? { dockerConfigJson: vn.pullToken.dockerConfigJson } : {}) },
                    image: imageOf(w),
                    workerImage: image.imageDigestRef,
                    kedaRelease: keda.release,
                    kedaGrants: kedaGrants(m, w),
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
                        messaging: messaging.forEntity(workloadEntity(w)),
                        image: imageOf(w),
                        registry: args.containerAppsRegistry(w, { loginServer: registry.loginServer, registryId: registry.registryId }),
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
    const broker = { kind: messaging.broker.kind, resource: messaging.broker.resourceName, endpoint: messaging.broker.endpoint };
    const results = { account: messaging.resultsAccountName, container: messaging.resultsContainerName };
    const workerImage = image.imageDigestRef;
    /** How to send load and watch scaling, per workload (README: "Send load, watch it scale"). */
    const howTo = pulumi
        .all(
            aksWorkloads.map((w) => {
                const m = messagingOf(w);
                return pulumi
                    .all([group.name, m.broker.resourceName, m.resultsAccountName, m.resultsContainerName])
                    .apply(([resourceGroupName, resourceName, resultsAccountName, resultsContainerName]) => howToFor([w], { resourceGroupName, broker: { kind: m.broker.kind, resourceName }, resultsAccountName, resultsContainerName })[0]);
            }),
        );
    /** Per workload: its entity, the grants on it, its image and how it is pulled (docs/bring-your-own-worker.md; `npm run plan`). */
    const workloads = pulumi
        .all([messaging.broker.resourceName, vnMessaging ? vnMessaging.broker.resourceName : ""])
        .apply(([stackBroker, aciBroker]) => workloadSummaries(config, { stack: stackBroker, virtualNodes: aciBroker }, baseName));
    /** Virtual nodes: the ACI workloads' own queues, and when their credentials expire and are next re-issued (`pulumi up`). */
    const virtualNodeAccess = vnMessaging
        ? {
              broker: { kind: vnMessaging.broker.kind, resource: vnMessaging.broker.resourceName },
              queues: vnWorkloads.map((w) => ({ workload: w.name, queue: w.queue ?? w.name })),
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
    return { resourceGroup, clusterName, oidcIssuerUrl, registryLoginServer, broker, results, workerImage, workloads, howTo, virtualNodeAccess, capacity, containerApps };
}

export type AzureStackOutputs = ReturnType<typeof azureStack>;
