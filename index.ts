/**
 * kedascale composition root: read and validate config (failing before any resource is registered), build the
 * components from their args (components/stackArgs.ts maps config → args), export what operators need.
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import { AksCluster } from "./components/azure/aksCluster";
import type { ClusterTarget } from "./components/azure/clusterTarget";
import { ExistingCluster } from "./components/azure/existingCluster";
import { ContainerAppsEnvironment } from "./components/azure/containerAppsEnvironment";
import { ContainerAppsJob } from "./components/azure/containerAppsJob";
import { Messaging } from "./components/azure/messaging";
import { Network } from "./components/azure/network";
import { Registry } from "./components/azure/registry";
import { needsCluster, onContainerApps, workloadCoresAtMax } from "./components/config/containerApps";
import { loadConfig } from "./components/config/load";
import { KedaInstall } from "./components/k8s/kedaInstall";
import { ScaledWorkload } from "./components/k8s/scaledWorkload";
import { WorkerImage } from "./components/k8s/workerImage";
import { capacitySummary, existingClusterCapacity } from "./components/plan/capacity";
import { howTo as howToFor } from "./components/plan/howTo";
import * as names from "./components/plan/names";
import { uniqueSuffix } from "./components/plan/naming";
import * as args from "./components/stackArgs";

const config = loadConfig();
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
const image = new WorkerImage("worker", { loginServer: registry.loginServer, tenantId: client.tenantId, context: __dirname });

if (cluster) {
    const keda = new KedaInstall("keda", args.kedaInstallArgs(ctx, cluster));
    const kedaGrants = messaging.grant("keda", "readQueueMetrics", keda.principalId);
    const namespaces = args.workloadNamespaces(ctx, cluster.provider);
    for (const w of aksWorkloads) {
        new ScaledWorkload(
            args.workloadResourceName(w),
            args.scaledWorkloadArgs(ctx, w, {
                cluster,
                messaging,
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

export const resourceGroup = group.name;
// null, not undefined, in a stack without a cluster: Pulumi warns on undefined outputs.
export const clusterName = cluster?.clusterName ?? null;
export const oidcIssuerUrl = cluster?.oidcIssuerUrl ?? null;
export const registryLoginServer = registry.loginServer;
export const broker = { kind: messaging.broker.kind, queueName: messaging.broker.queueName, resource: messaging.broker.resourceName, endpoint: messaging.broker.endpoint };
export const results = { account: messaging.resultsAccountName, container: messaging.resultsContainerName };
export const workerImage = image.imageDigestRef;
/** How to send load and watch scaling, per workload (README: "Send load, watch it scale"). */
export const howTo = pulumi
    .all([group.name, messaging.broker.resourceName, messaging.resultsAccountName, messaging.resultsContainerName])
    .apply(([resourceGroupName, resourceName, resultsAccountName, resultsContainerName]) =>
        howToFor(aksWorkloads, { resourceGroupName, broker: { ...messaging.broker, resourceName }, resultsAccountName, resultsContainerName }),
    );
/** Nodes and vCPU quota this stack can reach: raise these regional quotas before `pulumi up` (an existing cluster's are its own). */
export const capacity = !cluster ? null : config.cluster.existing ? existingClusterCapacity(config.cluster.existing) : capacitySummary(config);
/** The Container Apps jobs, and the cores they need at full scale against the environment's quota (preflight checks it). */
export const containerApps =
    acaWorkloads.length === 0
        ? null
        : {
              coreQuota: config.containerApps.coreQuota,
              coresAtMax: acaWorkloads.reduce((sum, w) => sum + workloadCoresAtMax(w), 0),
              jobs: acaJobs.map((j) => j.jobName),
              watchExecutions: acaJobs.map((j) => pulumi.interpolate`az containerapp job execution list -g ${group.name} -n ${j.jobName} -o table`),
          };
