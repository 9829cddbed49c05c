/**
 * kedascale composition root: read and validate config (failing before any resource is registered),
 * build the platform components, export what operators need.
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import { AksCluster } from "./components/aksCluster";
import { loadConfig } from "./components/config/load";
import { Messaging } from "./components/messaging";
import { Network } from "./components/network";
import { capacitySummary } from "./components/plan/capacity";
import { compactName, dashedName, uniqueSuffix } from "./components/plan/naming";
import { Registry } from "./components/registry";

const config = loadConfig();
const stack = pulumi.getStack();
const baseName = dashedName(config.namePrefix, stack);
const suffix = authorization.getClientConfigOutput().subscriptionId.apply((id) => uniqueSuffix(id, pulumi.getProject(), stack));
const globalName = (kind: string, max: number) => suffix.apply((s) => compactName([config.namePrefix, kind, s], max));
const location = config.location;

const group = new resources.ResourceGroup("group", { resourceGroupName: `${baseName}-rg`, location });
const resourceGroupName = group.name;

const network = new Network("network", {
    resourceGroupName,
    location,
    vnetName: `${baseName}-vnet`,
    vnetCidr: config.network.vnetCidr,
    nodeSubnetCidr: config.network.nodeSubnetCidr,
    virtualNodeSubnetCidr: config.cluster.virtualNodes ? config.network.virtualNodeSubnetCidr : undefined,
});

const cluster = new AksCluster("cluster", {
    resourceGroupName,
    location,
    clusterName: `${baseName}-aks`,
    config,
    nodeSubnetId: network.nodeSubnetId,
    virtualNodeSubnet:
        network.virtualNodeSubnetId && network.virtualNodeSubnetName ? { id: network.virtualNodeSubnetId, name: network.virtualNodeSubnetName } : undefined,
});

const registry = new Registry("registry", {
    resourceGroupName,
    location,
    registryName: globalName("acr", 50),
    sku: config.registry.sku,
    pullPrincipalIds: { kubelet: cluster.kubeletIdentityObjectId },
});

const messaging = new Messaging("messaging", {
    resourceGroupName,
    location,
    config: config.messaging,
    serviceBusNamespaceName: suffix.apply((s) => dashedName(config.namePrefix, stack, s)),
    queueAccountName: globalName("q", 24),
    resultsAccountName: globalName("res", 24),
});

export const resourceGroup = resourceGroupName;
export const clusterName = cluster.clusterName;
export const oidcIssuerUrl = cluster.oidcIssuerUrl;
export const registryLoginServer = registry.loginServer;
export const broker = { kind: messaging.broker.kind, queueName: messaging.broker.queueName, resource: messaging.broker.resourceName, endpoint: messaging.broker.endpoint };
export const results = { account: messaging.resultsAccountName, container: messaging.resultsContainerName };
/** Nodes and vCPU quota this stack can reach: raise these regional quotas before `pulumi up`. */
export const capacity = capacitySummary(config);
