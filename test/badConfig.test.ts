/**
 * The corpus of misconfigurations the seeds walk into: each run of the real program with the dev stack plus
 * one bad override must fail with a message naming the key, the value and the fix, having registered nothing.
 */
import { describe, expect, it } from "vitest";
import { settleProgram } from "./harness/runProgram";
import { readStackFile } from "./harness/stackConfig";

const dev = readStackFile("dev") as Record<string, any>;
const devCluster = dev["kedascale:cluster"];
const devNetwork = dev["kedascale:network"];
const spot = (over: Record<string, unknown> = {}) => ({ name: "spot", vmSize: "Standard_D2ds_v5", priority: "Spot", minCount: 0, maxCount: 5, ...over });
const noVirtualNodes = { ...devCluster, virtualNodes: false };
const wl = (over: Record<string, unknown> = {}) => ({ name: "w", kind: "deployment", resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } }, ...over });

interface BadCase {
    why: string;
    config: Record<string, unknown>;
    /** Every pattern must appear in the error. */
    expect: RegExp[];
}

const CASES: BadCase[] = [
    { why: "virtual nodes on Azure CNI Overlay", config: { "kedascale:network": { plugin: "azureOverlay" } }, expect: [/kedascale:cluster\.virtualNodes, kedascale:network\.plugin: virtual nodes need Azure CNI in node-subnet mode, but network\.plugin is "azureOverlay"/, /Fix: set network\.plugin to "azureNodeSubnet"/] },
    { why: "virtual nodes on kubenet", config: { "kedascale:network": { plugin: "kubenet" } }, expect: [/network\.plugin is "kubenet" \(ACI connector rejects kubenet\)/] },
    { why: "overlay pod CIDR too small for the pools", config: { "kedascale:cluster": noVirtualNodes, "kedascale:network": { plugin: "azureOverlay", podCidr: "10.244.0.0/22" } }, expect: [/kedascale:network\.podCidr, kedascale:cluster\.systemPool\.maxSurge, kedascale:pools: azureOverlay gives each node a \/24, so Σ\(maxCount \+ upgrade surge\) = 7 nodes need 7 \/24s, but 10\.244\.0\.0\/22 holds 4/, /Fix: set network\.podCidr to a \/21 or larger/] },
    { why: "node subnet too small for node-subnet CNI", config: { "kedascale:network": { ...devNetwork, nodeSubnetCidr: "10.224.0.0/26" } }, expect: [/kedascale:network\.nodeSubnetCidr, kedascale:cluster\.systemPool\.maxSurge, kedascale:pools: node-subnet CNI needs 222 addresses .* but 10\.224\.0\.0\/26 has 64/, /use a \/24 or larger node subnet/] },
    { why: "overlay pod CIDR inside the VNet", config: { "kedascale:cluster": noVirtualNodes, "kedascale:network": { plugin: "azureOverlay", podCidr: "10.224.0.0/16" } }, expect: [/kedascale:network\.podCidr, kedascale:network\.vnetCidr: 10\.224\.0\.0\/16 overlaps 10\.224\.0\.0\/12/] },
    { why: "service CIDR inside the VNet", config: { "kedascale:network": { ...devNetwork, serviceCidr: "10.230.0.0/16", dnsServiceIP: "10.230.0.10" } }, expect: [/kedascale:network\.serviceCidr, kedascale:network\.vnetCidr: 10\.230\.0\.0\/16 overlaps 10\.224\.0\.0\/12/] },
    { why: "the 1,000-node seed's pod CIDR contains AKS-reserved ranges", config: { "kedascale:cluster": noVirtualNodes, "kedascale:network": { plugin: "azureOverlay", podCidr: "172.16.0.0/12" } }, expect: [/kedascale:network\.podCidr: 172\.16\.0\.0\/12 overlaps 172\.30\.0\.0\/16, which AKS reserves/, /overlaps 172\.31\.0\.0\/16/] },
    { why: "VNet on link-local space", config: { "kedascale:network": { ...devNetwork, vnetCidr: "169.254.0.0/16", nodeSubnetCidr: "169.254.0.0/20", virtualNodeSubnetCidr: "169.254.16.0/20" } }, expect: [/kedascale:network\.vnetCidr: 169\.254\.0\.0\/16 overlaps 169\.254\.0\.0\/16, which AKS reserves/] },
    { why: "service CIDR of /12", config: { "kedascale:network": { ...devNetwork, serviceCidr: "10.0.0.0/12" } }, expect: [/kedascale:network\.serviceCidr: 10\.0\.0\.0\/12 is a \/12; AKS needs a service range smaller than \/12/] },
    { why: "DNS service IP outside the service CIDR", config: { "kedascale:network": { ...devNetwork, dnsServiceIP: "10.1.0.10" } }, expect: [/kedascale:network\.dnsServiceIP, kedascale:network\.serviceCidr: 10\.1\.0\.10 is not a usable address of 10\.0\.0\.0\/16/] },
    { why: "DNS service IP on the API server's .1", config: { "kedascale:network": { ...devNetwork, dnsServiceIP: "10.0.0.1" } }, expect: [/10\.0\.0\.1 is not a usable address/] },
    { why: "node subnet outside the VNet", config: { "kedascale:network": { ...devNetwork, nodeSubnetCidr: "10.240.0.0/16" } }, expect: [/kedascale:network\.nodeSubnetCidr, kedascale:network\.vnetCidr: subnet 10\.240\.0\.0\/16 is not inside the VNet 10\.224\.0\.0\/12/] },
    { why: "node and virtual-node subnets overlap", config: { "kedascale:network": { ...devNetwork, virtualNodeSubnetCidr: "10.224.128.0/17" } }, expect: [/kedascale:network\.nodeSubnetCidr, kedascale:network\.virtualNodeSubnetCidr: 10\.224\.0\.0\/16 overlaps 10\.224\.128\.0\/17/] },
    { why: "pool above 1,000 nodes", config: { "kedascale:cluster": { ...noVirtualNodes, tier: "Standard" }, "kedascale:network": { plugin: "azureOverlay", podCidr: "100.64.0.0/14" }, "kedascale:pools": [spot({ maxCount: 1001 })] }, expect: [/kedascale:pools\[0\]\.maxCount: maxCount 1001 exceeds AKS's 1000 nodes per pool/] },
    { why: "minCount above maxCount", config: { "kedascale:pools": [spot({ minCount: 3, maxCount: 2 })] }, expect: [/kedascale:pools\[0\]\.minCount, kedascale:pools\[0\]\.maxCount: minCount 3 is greater than maxCount 2/] },
    { why: "more than 5,000 nodes in the cluster", config: { "kedascale:cluster": { ...noVirtualNodes, tier: "Standard" }, "kedascale:network": { plugin: "azureOverlay", podCidr: "100.64.0.0/10" }, "kedascale:pools": [1, 2, 3, 4, 5, 6].map((i) => spot({ name: `spot${i}`, maxCount: 900 })) }, expect: [/the pools can reach 5401 nodes, above AKS's 5000 per cluster/] },
    { why: "pool name with capitals and underscore", config: { "kedascale:pools": [spot({ name: "Spot_Pool" })] }, expect: [/kedascale:pools\[0\]\.name: "Spot_Pool" is not a valid agent pool name/, /1–12 lowercase letters or digits/] },
    { why: "pool name longer than 12", config: { "kedascale:pools": [spot({ name: "spotpoolnumber1" })] }, expect: [/"spotpoolnumber1" is not a valid agent pool name/] },
    { why: "two pools with one name", config: { "kedascale:pools": [spot(), spot()] }, expect: [/kedascale:pools\[0\]\.name, kedascale:pools\[1\]\.name: two pools are named "spot"/] },
    { why: "Spot as the system pool", config: { "kedascale:cluster": { ...devCluster, systemPool: { ...devCluster.systemPool, priority: "Spot" } } }, expect: [/kedascale:cluster\.systemPool\.priority: the system pool is "Spot"/] },
    { why: "a 2-vCPU system pool", config: { "kedascale:cluster": { ...devCluster, systemPool: { ...devCluster.systemPool, vmSize: "Standard_D2ds_v5" } } }, expect: [/kedascale:cluster\.systemPool\.vmSize: Standard_D2ds_v5 cannot host a system pool: AKS needs at least 4 vCPUs/] },
    { why: "a B-series system pool", config: { "kedascale:cluster": { ...devCluster, systemPool: { ...devCluster.systemPool, vmSize: "Standard_B4ms" } } }, expect: [/Standard_B4ms cannot host a system pool.*no B-series/] },
    { why: "a system pool with room for fewer than 30 pods", config: { "kedascale:cluster": { ...devCluster, systemPool: { ...devCluster.systemPool, maxPods: 20 } } }, expect: [/kedascale:cluster\.systemPool\.maxPods: maxPods 20 is below the 30 pods AKS requires/] },
    { why: "Service Bus Basic with duplicate detection", config: { "kedascale:messaging": { serviceBus: { sku: "Basic", requiresDuplicateDetection: true } } }, expect: [/kedascale:messaging\.serviceBus\.sku, kedascale:messaging\.serviceBus\.requiresDuplicateDetection: Service Bus "Basic" has no duplicate detection/] },
    { why: "Service Bus Basic with sessions", config: { "kedascale:messaging": { serviceBus: { sku: "Basic", requiresSession: true } } }, expect: [/Service Bus "Basic" has no sessions, but requiresSession is true/] },
    { why: "lock duration over 5 minutes", config: { "kedascale:messaging": { serviceBus: { lockDuration: "PT10M" } } }, expect: [/kedascale:messaging\.serviceBus\.lockDuration: "PT10M" is 600s, above Service Bus's 5-minute maximum/] },
    { why: "Premium messaging units on Standard", config: { "kedascale:messaging": { serviceBus: { sku: "Standard", capacity: 4 } } }, expect: [/kedascale:messaging\.serviceBus\.capacity: capacity 4 \(messaging units\) applies only to Premium/] },
    { why: "premium block blobs on a Standard SKU", config: { "kedascale:messaging": { results: { accountKind: "BlockBlobStorage", sku: "Standard_LRS" } } }, expect: [/BlockBlobStorage accounts are Premium only, but sku is "Standard_LRS"/] },
    { why: "a Service Bus connection string pasted into config", config: { "kedascale:serviceBusConnection": "Endpoint=sb://demo.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" }, expect: [/serviceBusConnection: the value looks like a Service Bus connection string/, /authenticates with workload identity/, /unknown key "serviceBusConnection"/] },
    { why: "a storage account key in a nested field", config: { "kedascale:registry": { sku: "Basic", password: `${"k".repeat(86)}==` } }, expect: [/registry\.password: the value looks like a storage account key/] },
    { why: "a SAS token in a pool label", config: { "kedascale:pools": [spot({ labels: { feed: "https://x.blob.core.windows.net/c?sv=2022-11-02&sig=abcdefghijklmnop%2Bqrs" } })] }, expect: [/pools\[0\]\.labels\.feed: the value looks like a SAS token/] },
    { why: "a tier that does not exist", config: { "kedascale:cluster": { ...devCluster, tier: "Gold" } }, expect: [/kedascale:cluster\.tier: .*got "Gold"\. Fix: use one of "Free", "Standard", "Premium"/] },
    { why: "a misspelt top-level key", config: { "kedascale:clustr": { tier: "Standard" } }, expect: [/kedascale:clustr: unknown key "clustr" \(a typo\?\)/] },
    { why: "a misspelt nested key", config: { "kedascale:cluster": { ...devCluster, systemPool: { vmsize: "Standard_D2ds_v5" } } }, expect: [/kedascale:cluster\.systemPool\.vmsize: unknown key "vmsize"/] },
    { why: "a pool without its required maxCount", config: { "kedascale:pools": [{ name: "spot", vmSize: "Standard_D2ds_v5" }] }, expect: [/kedascale:pools\[0\]\.maxCount: .*got nothing \(the key is missing\)/] },
    { why: "a count written as a string", config: { "kedascale:pools": [spot({ maxCount: "5" })] }, expect: [/kedascale:pools\[0\]\.maxCount: .*got "5"/] },
    { why: "a CIDR with host bits set", config: { "kedascale:network": { ...devNetwork, vnetCidr: "10.224.0.1/12" } }, expect: [/kedascale:network\.vnetCidr: must be an IPv4 CIDR whose host bits are zero.*got "10\.224\.0\.1\/12"/] },
    { why: "an autoscaler time AKS only takes in minutes", config: { "kedascale:cluster": { ...devCluster, autoscaler: { maxNodeProvisionTime: "900s" } } }, expect: [/kedascale:cluster\.autoscaler\.maxNodeProvisionTime: "900s" is not a value AKS accepts.*Fix: use whole minutes such as "15m"/] },
    { why: "a workload whose min exceeds its max", config: { "kedascale:workloads": [wl({ minReplicaCount: 5, maxReplicaCount: 2 })] }, expect: [/kedascale:workloads\[0\]\.minReplicaCount, kedascale:workloads\[0\]\.maxReplicaCount: minReplicaCount 5 is greater than maxReplicaCount 2/] },
    { why: "an idle replica count other than 0", config: { "kedascale:workloads": [wl({ minReplicaCount: 2, idleReplicaCount: 1 })] }, expect: [/kedascale:workloads\[0\]\.idleReplicaCount: idleReplicaCount 1: KEDA supports only 0/] },
    { why: "idle not below min", config: { "kedascale:workloads": [wl({ idleReplicaCount: 0 })] }, expect: [/idleReplicaCount must be less than minReplicaCount \(0\)/] },
    { why: "a polling interval of 0", config: { "kedascale:workloads": [wl({ pollingInterval: 0 })] }, expect: [/kedascale:workloads\[0\]\.pollingInterval: pollingInterval 0 is below KEDA's minimum of 1 second/] },
    { why: "a workload name too long for KEDA's HPA", config: { "kedascale:workloads": [wl({ name: "w".repeat(55) })] }, expect: [/kedascale:workloads\[0\]\.name: "w{55}" is not a DNS-1123 name of at most 54 characters/] },
    { why: "a ScaledJob with a fallback", config: { "kedascale:workloads": [wl({ kind: "job", fallback: { failureThreshold: 3, replicas: 2 } })] }, expect: [/kedascale:workloads\[0\]\.fallback: fallback applies to ScaledObjects only/] },
    { why: "a scaling strategy KEDA does not have", config: { "kedascale:workloads": [wl({ kind: "job", job: { scalingStrategy: "fastest" } })] }, expect: [/kedascale:workloads\[0\]\.job\.scalingStrategy: .*got "fastest"\. Fix: use one of "default", "accurate", "eager"/] },
    { why: "a workload without resources", config: { "kedascale:workloads": [{ name: "w", kind: "deployment" }] }, expect: [/kedascale:workloads\[0\]\.resources: .*got nothing \(the key is missing\)/] },
    { why: "Spot placement without a Spot pool", config: { "kedascale:pools": [spot({ priority: "Regular" })], "kedascale:workloads": [wl()] }, expect: [/kedascale:workloads\[0\]\.placement, kedascale:pools: placement "spot" but no pool under kedascale:pools has priority "Spot"/] },
    { why: "a memory limit below its request", config: { "kedascale:workloads": [wl({ resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "512Mi" } } })] }, expect: [/kedascale:workloads\[0\]\.resources\.limits\.memory: limit 512Mi is below request 1Gi/] },
    // Issue 9 classes, through the real program: refused before anything is registered.
    { why: "an Ephemeral OS disk larger than the Spot size's temp disk", config: { "kedascale:pools": [spot({ osDiskType: "Ephemeral", osDiskSizeGB: 128 })] }, expect: [/kedascale:pools\[0\]\.osDiskSizeGB, kedascale:pools\[0\]\.osDiskType, kedascale:pools\[0\]\.vmSize: pool "spot": an Ephemeral OS disk of 128 GB does not fit Standard_D2ds_v5's 75 GiB temp disk/, /Fix: set osDiskSizeGB to 75 or less/] },
    { why: "two workloads with one name in two namespaces", config: { "kedascale:workloads": [wl({ maxReplicaCount: 5 }), wl({ maxReplicaCount: 5, namespace: "other" })] }, expect: [/kedascale:workloads\[0\]\.name, kedascale:workloads\[1\]\.name: two workloads are named "w"/] },
    { why: "a region that does not exist", config: { "kedascale:location": "europewest" }, expect: [/kedascale:location: "europewest" is not an Azure public-cloud region\. Fix: .*"westeurope"/] },
    { why: "KEDA chart 2.20.0", config: { "kedascale:keda": { chartVersion: "2.20.0" } }, expect: [/kedascale:keda\.chartVersion: KEDA chart "2\.20\.0": its CRDs reject/, /Fix: use "2\.20\.2"/] },
    { why: "a schema error does not hide a cross-field error", config: { "kedascale:cluster": { ...devCluster, tier: "Gold" }, "kedascale:keda": { kubeApiQps: 50, kubeApiBurst: 10 } }, expect: [/kedascale:cluster\.tier: .*got "Gold"/, /kedascale:keda\.kubeApiQps, kedascale:keda\.kubeApiBurst: kubeApiQps 50 is above kubeApiBurst 10/] },
];

describe("bad config is refused before any resource is registered", () => {
    it("has a case for at least 25 misconfigurations", () => expect(CASES.length).toBeGreaterThanOrEqual(25));

    it.each(CASES)("$why", async (c) => {
        const { error, resources } = await settleProgram("dev", c.config);
        expect(error, "the program should have refused this config").toBeDefined();
        const message = String((error as Error).message);
        expect(message).toMatch(/kedascale config is invalid .* nothing was deployed/);
        for (const pattern of c.expect) expect(message).toMatch(pattern);
        expect(resources.map((r) => r.type)).toEqual([]);
    });
});
