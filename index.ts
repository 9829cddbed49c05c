/**
 * kedascale composition root: read and validate config (failing before any resource is registered),
 * build the platform components, export what operators need.
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as resources from "@pulumi/azure-native/resources";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AksCluster } from "./components/aksCluster";
import { loadConfig } from "./components/config/load";
import { Messaging } from "./components/messaging";
import { Network } from "./components/network";
import { capacitySummary } from "./components/plan/capacity";
import { uniqueSuffix } from "./components/plan/naming";
import * as names from "./components/plan/names";
import { KedaInstall } from "./components/kedaInstall";
import { brokerLimits } from "./components/plan/workload";
import { Registry } from "./components/registry";
import { ScaledWorkload } from "./components/scaledWorkload";
import { WorkerImage } from "./components/workerImage";

const config = loadConfig();
const stack = pulumi.getStack();
// Every name comes from components/plan/names.ts, where preflight checks them (config/rules/names.ts).
const baseName = names.baseName(config.namePrefix, stack);
const client = authorization.getClientConfigOutput();
const suffix = client.subscriptionId.apply((id) => uniqueSuffix(id, pulumi.getProject(), stack));
const location = config.location;

const group = new resources.ResourceGroup("group", { resourceGroupName: names.resourceGroupName(baseName), location });
const resourceGroupName = group.name;

const network = new Network("network", {
    resourceGroupName,
    location,
    vnetName: names.vnetName(baseName),
    vnetCidr: config.network.vnetCidr,
    nodeSubnetCidr: config.network.nodeSubnetCidr,
    virtualNodeSubnetCidr: config.cluster.virtualNodes ? config.network.virtualNodeSubnetCidr : undefined,
});

const cluster = new AksCluster("cluster", {
    resourceGroupName,
    location,
    clusterName: names.clusterName(baseName),
    config,
    nodeSubnetId: network.nodeSubnetId,
    virtualNodeSubnet:
        network.virtualNodeSubnetId && network.virtualNodeSubnetName ? { id: network.virtualNodeSubnetId, name: network.virtualNodeSubnetName } : undefined,
});

const registry = new Registry("registry", {
    resourceGroupName,
    location,
    registryName: suffix.apply((s) => names.registryName(config.namePrefix, s)),
    sku: config.registry.sku,
    pullPrincipalIds: { kubelet: cluster.kubeletIdentityObjectId },
});

const messaging = new Messaging("messaging", {
    resourceGroupName,
    location,
    config: config.messaging,
    serviceBusNamespaceName: suffix.apply((s) => names.serviceBusNamespaceName(config.namePrefix, stack, s)),
    queueAccountName: suffix.apply((s) => names.queueAccountName(config.namePrefix, s)),
    resultsAccountName: suffix.apply((s) => names.resultsAccountName(config.namePrefix, s)),
});

const keda = new KedaInstall("keda", {
    resourceGroupName,
    location,
    identityName: names.kedaIdentityName(baseName),
    oidcIssuerUrl: cluster.oidcIssuerUrl,
    tenantId: client.tenantId,
    config: config.keda,
    provider: cluster.provider,
});
const kedaGrants = messaging.grant("keda", "readQueueMetrics", keda.principalId);

const image = new WorkerImage("worker", { loginServer: registry.loginServer, tenantId: client.tenantId, context: __dirname });

const namespaces = new Map<string, k8s.core.v1.Namespace>();
for (const ns of new Set(config.workloads.map((w) => w.namespace))) {
    namespaces.set(ns, new k8s.core.v1.Namespace(names.namespacePulumiName(ns), { metadata: { name: ns } }, { provider: cluster.provider }));
}
for (const w of config.workloads) {
    new ScaledWorkload(names.workloadPulumiName(w.name), {
        config: w,
        pools: config.pools,
        resourceGroupName,
        location,
        identityNamePrefix: baseName,
        oidcIssuerUrl: cluster.oidcIssuerUrl,
        messaging,
        brokerLimits: brokerLimits(config),
        image: image.imageDigestRef,
        kedaRelease: keda.release,
        kedaGrants,
        podPrerequisites: registry.pullGrants,
        namespace: namespaces.get(w.namespace)!,
        provider: cluster.provider,
    });
}

export const resourceGroup = resourceGroupName;
export const clusterName = cluster.clusterName;
export const oidcIssuerUrl = cluster.oidcIssuerUrl;
export const registryLoginServer = registry.loginServer;
export const broker = { kind: messaging.broker.kind, queueName: messaging.broker.queueName, resource: messaging.broker.resourceName, endpoint: messaging.broker.endpoint };
export const results = { account: messaging.resultsAccountName, container: messaging.resultsContainerName };
export const workerImage = image.imageDigestRef;
/**
 * How to send load and watch scaling, per workload (README: "Send load, watch it scale"). A load run is an explicit
 * act, never a side effect of `pulumi up`: `sendLoad` creates a one-off Job from the suspended template; the Job's
 * name is the run id, so `verify` checks exactly that run.
 */
export const howTo = config.workloads.map((w) => {
    const template = `${w.name}-load`;
    const run = `${template}-$(date +%s)`;
    return {
        workload: w.name,
        watchScaling: `kubectl get ${w.kind === "job" ? "scaledjob,jobs" : "scaledobject,hpa,deployment"},pods -n ${w.namespace} -w`,
        sendLoad: w.loadTest
            ? `RUN=${run}; kubectl create job "$RUN" --from=cronjob/${template} -n ${w.namespace} && echo "run id: $RUN"`
            : "set loadTest on the workload to get an in-cluster load template",
        inspectQueue:
            messaging.broker.kind === "serviceBus"
                ? pulumi.interpolate`az servicebus queue show -g ${resourceGroupName} --namespace-name ${messaging.broker.resourceName} -n ${messaging.broker.queueName} --query countDetails.activeMessageCount`
                : pulumi.interpolate`az storage message peek --auth-mode login --account-name ${messaging.broker.resourceName} -q ${messaging.broker.queueName} --num-messages 32`,
        verify: w.loadTest
            ? pulumi.interpolate`node consumer/dist/worker.cjs verify --results-account ${messaging.resultsAccountName} --results-container ${messaging.resultsContainerName} --run-id "$RUN"`
            : undefined,
    };
});
/** Nodes and vCPU quota this stack can reach: raise these regional quotas before `pulumi up`. */
export const capacity = capacitySummary(config);
