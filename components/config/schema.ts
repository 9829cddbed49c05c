/**
 * The typed shape of every `kedascale:*` config key. Field defaults live here (one source);
 * Pulumi.yaml declares each top-level key with its type and description. Cross-field rules
 * (CIDR arithmetic, quotas, SKU features) live in rules/*.ts so they test without Pulumi.
 */
import { z } from "zod";
import { parseCidr } from "./cidr";
import { virtualNodeMessagingSchema } from "./virtualNodes";

const cidr = z.string().refine((s) => parseCidr(s) !== undefined, {
    message: "must be an IPv4 CIDR whose host bits are zero, e.g. 10.224.0.0/16",
});

/** ISO-8601 durations as Azure takes them (PT1M, P14D). */
const isoDuration = z
    .string()
    .regex(/^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/, "must be an ISO-8601 duration such as PT1M or P14D");

/** Autoscaler values are strings in azure-native v3 (FACTS §2); config may write them as numbers or booleans. */
const autoscalerValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

export const autoscalerOverridesSchema = z.strictObject({
    scanInterval: autoscalerValue.optional(),
    scaleDownDelayAfterAdd: autoscalerValue.optional(),
    scaleDownDelayAfterDelete: autoscalerValue.optional(),
    scaleDownDelayAfterFailure: autoscalerValue.optional(),
    scaleDownUnneededTime: autoscalerValue.optional(),
    scaleDownUnreadyTime: autoscalerValue.optional(),
    scaleDownUtilizationThreshold: autoscalerValue.optional(),
    maxEmptyBulkDelete: autoscalerValue.optional(),
    newPodScaleUpDelay: autoscalerValue.optional(),
    maxNodeProvisionTime: autoscalerValue.optional(),
    expander: z.enum(["random", "most-pods", "least-waste", "priority"]).optional(),
    okTotalUnreadyCount: autoscalerValue.optional(),
    maxTotalUnreadyPercentage: autoscalerValue.optional(),
    skipNodesWithLocalStorage: autoscalerValue.optional(),
    skipNodesWithSystemPods: autoscalerValue.optional(),
    balanceSimilarNodeGroups: autoscalerValue.optional(),
    maxGracefulTerminationSec: autoscalerValue.optional(),
});

/** One AKS node pool. A pool whose minCount equals maxCount has a fixed size; otherwise the cluster autoscaler owns its count. */
export const poolSchema = z.strictObject({
    /** Agent pool name: 1–12 lowercase letters/digits, starting with a letter (checked by rules/pools.ts). */
    name: z.string(),
    /** VM size, e.g. Standard_D4ds_v5. */
    vmSize: z.string().regex(/^Standard_[A-Za-z0-9_-]+$/, "must be an Azure VM size such as Standard_D4ds_v5"),
    /** Regular (on-demand) or Spot. */
    priority: z.enum(["Regular", "Spot"]).default("Regular"),
    /** Fewest nodes the autoscaler keeps (0 lets a Spot pool scale to zero). */
    minCount: z.int().min(0).default(0),
    /** Most nodes the autoscaler may create (AKS limit 1,000 per pool). */
    maxCount: z.int().min(0),
    /**
     * Ephemeral (on the VM's local disk: faster boot, no disk cost) or Managed. Default: as AKS does, Ephemeral when
     * the OS disk fits the size's local disk, else Managed (plan/pools.ts osDiskPlan).
     */
    osDiskType: z.enum(["Ephemeral", "Managed"]).optional(),
    /**
     * OS disk size in GB; for Ephemeral it must fit the VM's cache or temp disk. Default: AKS's default for the vCPU
     * count (128 GB below 8 vCPUs), cut to the local disk when Ephemeral (plan/pools.ts osDiskPlan).
     */
    osDiskSizeGB: z.int().min(30).max(2048).optional(),
    /** Max pods per node. Default: 250 on Overlay, 30 on node-subnet CNI (AKS defaults). */
    maxPods: z.int().min(10).max(250).optional(),
    /**
     * Upgrade surge: nodes AKS adds while upgrading the pool, a count ("5") or a percentage of the pool ("33%",
     * rounded up). Regular pools only: Spot pools get no surge node and AKS refuses the setting. Counted in quota, IPs,
     * pod CIDR and SNAT (plan/pools.ts surgeNodes). Default: "10%" on Regular pools.
     */
    maxSurge: z
        .union([z.int(), z.string()])
        .transform(String)
        .pipe(z.string().regex(/^([1-9]\d*|([1-9]\d?|100)%)$/, 'must be a node count such as 5 or a percentage from 1% to 100% such as "10%"'))
        .optional(),
    /** Availability zones ("1","2","3"); empty means regional. */
    zones: z.array(z.enum(["1", "2", "3"])).default([]),
    /** Extra node labels. */
    labels: z.record(z.string(), z.string()).default({}),
    /** Extra node taints, "key=value:Effect". Spot pools also get AKS's own Spot taint. */
    taints: z.array(z.string().regex(/^[^=:]+(=[^:]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$/, "must be key=value:Effect")).default([]),
});
export type PoolConfig = z.infer<typeof poolSchema>;

export const systemPoolSchema = poolSchema.extend({
    name: z.string().default("system"),
    vmSize: poolSchema.shape.vmSize.default("Standard_D4ds_v5"),
    minCount: z.int().min(1).default(2),
    maxCount: z.int().min(1).default(2),
    /** Taint CriticalAddonsOnly=true:NoSchedule so only system add-ons (and KEDA) run on the system pool. */
    onlyCriticalAddons: z.boolean().default(true),
});
export type SystemPoolConfig = z.infer<typeof systemPoolSchema>;

export const networkSchema = z.strictObject({
    /** azureOverlay (pods on a private overlay), azureNodeSubnet (pods take VNet IPs; needed for virtual nodes) or kubenet. */
    plugin: z.enum(["azureOverlay", "azureNodeSubnet", "kubenet"]).default("azureOverlay"),
    /** Data plane: azure (iptables) or cilium (eBPF; Overlay or node-subnet). */
    dataplane: z.enum(["azure", "cilium"]).default("azure"),
    vnetCidr: cidr.default("10.224.0.0/12"),
    nodeSubnetCidr: cidr.default("10.224.0.0/16"),
    /** Subnet delegated to ACI for virtual nodes; only used when cluster.virtualNodes is on. */
    virtualNodeSubnetCidr: cidr.default("10.225.0.0/16"),
    /** Pod range for Overlay and kubenet; each node takes a /24 from it. */
    podCidr: cidr.default("10.244.0.0/16"),
    serviceCidr: cidr.default("10.0.0.0/16"),
    dnsServiceIP: z.string().default("10.0.0.10"),
});
export type NetworkConfig = z.infer<typeof networkSchema>;

/**
 * Cluster egress (aks-docs egress-outboundtype.md, load-balancer-standard.md, nat-gateway.md). The node subnet is
 * always ours (BYO VNet), which rules out AKS's managed NAT gateway ("incompatible with custom virtual networks").
 */
export const outboundSchema = z.strictObject({
    /** loadBalancer (AKS default: Standard LB outbound rules) or managedNATGateway (refused with a BYO VNet). */
    type: z.enum(["loadBalancer", "managedNATGateway"]).default("loadBalancer"),
    /** Public IPs AKS creates for egress (load balancer: 1–100, each 64,000 SNAT ports). Default 1. */
    outboundIPs: z.int().min(1).max(100).default(1),
    /** SNAT ports per node, a multiple of 8 up to 64,000; 0 = Azure's automatic table by backend pool size. Default 0. */
    allocatedOutboundPorts: z.int().min(0).max(64_000).multipleOf(8).default(0),
    /** Idle timeout of outbound flows, 4–120 minutes. Default 30 (AKS's). */
    idleTimeoutMinutes: z.int().min(4).max(120).default(30),
});
export type OutboundConfig = z.infer<typeof outboundSchema>;

/**
 * An AKS cluster kedascale deploys into instead of creating one (bring your own cluster). Registry, messaging,
 * identities, KEDA and the workloads still go to the stack's own resource group; the cluster is only read.
 */
export const existingClusterSchema = z.strictObject({
    /** Resource group of the cluster (Azure: 1–90 letters, digits, '-', '_', '.', '()'). */
    resourceGroup: z.string().regex(/^[-\w._()]{0,89}[-\w_()]$/, "must be an Azure resource group name"),
    /** Name of the managed cluster (Azure: 1–63 letters, digits, '-', '_'). */
    name: z.string().regex(/^[A-Za-z0-9]([-\w]{0,61}[A-Za-z0-9])?$/, "must be an AKS cluster name (1–63 letters, digits, '-', '_')"),
    /** Subscription of the cluster, when it is not the stack's. Default: the stack's (the azure-native provider's). */
    subscriptionId: z.guid("must be a subscription id (a GUID)").optional(),
});
export type ExistingClusterConfig = z.infer<typeof existingClusterSchema>;

/**
 * A laptop cluster (kind, k3d, minikube, Docker Desktop) reached through the deployer's kubeconfig: the `local` stack
 * (issue 16). No Azure resource at all: Azurite runs in the cluster, the image goes to a local registry.
 */
export const localClusterSchema = z.strictObject({
    /** kubeconfig context to deploy to. Default: the kubeconfig's current context. */
    kubeconfigContext: z.string().min(1).optional(),
    /**
     * Registry the worker image is pushed to and the cluster pulls from, without credentials: `host:port`, e.g.
     * `localhost:5000` (what `ctlptl create cluster kind --registry=ctlptl-registry` sets up and advertises to the nodes).
     */
    registry: z
        .string()
        .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/, "must be a registry host[:port] such as localhost:5000")
        .refine((r) => !/:\d+$/.test(r) || (Number(r.split(":")[1]) >= 1 && Number(r.split(":")[1]) <= 65535), "must have a TCP port from 1 to 65535, such as localhost:5000"),
});
export type LocalClusterConfig = z.infer<typeof localClusterSchema>;

export const clusterSchema = z.strictObject({
    /** Deploy into this existing cluster instead of creating one; every other cluster, network and pool setting is then refused. */
    existing: existingClusterSchema.optional(),
    /** Deploy to a laptop cluster from the kubeconfig, with Azurite in it and no Azure resource (config/rules/localCluster.ts). */
    local: localClusterSchema.optional(),
    /** Kubernetes version; default: AKS's default for the region. */
    kubernetesVersion: z.string().regex(/^1\.\d+(\.\d+)?$/, "must look like 1.33 or 1.33.2").optional(),
    /** AKS pricing tier: Free (no SLA, <10 nodes), Standard or Premium. */
    tier: z.enum(["Free", "Standard", "Premium"]).default("Free"),
    systemPool: systemPoolSchema.default(systemPoolSchema.parse({})),
    /** Cluster autoscaler preset: balanced (AKS defaults) or burst (AKS's bursty profile, tuned for Spot). */
    autoscalerPreset: z.enum(["balanced", "burst"]).default("balanced"),
    /** Individual autoscaler settings that win over the preset. */
    autoscaler: autoscalerOverridesSchema.default({}),
    /** Virtual nodes (ACI connector add-on) to burst pods into Azure Container Instances. */
    virtualNodes: z.boolean().default(false),
    /** Node egress (SNAT); sized by rules/outbound.ts for Σ maxCount of every pool. */
    outbound: outboundSchema.default(outboundSchema.parse({})),
});
export type ClusterConfig = z.infer<typeof clusterSchema>;

export const registrySchema = z.strictObject({
    /** ACR SKU; Premium for large parallel pulls (the 1,000-node seed). */
    sku: z.enum(["Basic", "Standard", "Premium"]).default("Basic"),
});
export type RegistryConfig = z.infer<typeof registrySchema>;

export const serviceBusSchema = z.strictObject({
    sku: z.enum(["Basic", "Standard", "Premium"]).default("Standard"),
    /** Premium messaging units (1, 2, 4, 8, 16). */
    capacity: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8), z.literal(16)]).default(1),
    /** Peek-lock duration; Service Bus allows at most PT5M. */
    lockDuration: isoDuration.default("PT1M"),
    /** Deliveries before a message is dead-lettered. */
    maxDeliveryCount: z.int().min(1).max(2000).default(10),
    defaultMessageTimeToLive: isoDuration.default("P14D"),
    deadLetteringOnMessageExpiration: z.boolean().default(true),
    /** Standard or Premium only. */
    requiresDuplicateDetection: z.boolean().default(false),
    duplicateDetectionHistoryTimeWindow: isoDuration.default("PT10M"),
    /** Standard or Premium only. */
    requiresSession: z.boolean().default(false),
});

export const storageQueueSchema = z.strictObject({
    /** Receives after which the worker moves a message to the poison queue. */
    maxDequeueCount: z.int().min(1).max(100).default(5),
});

export const resultsSchema = z.strictObject({
    containerName: z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, "must be a valid blob container name").default("results"),
    /** StorageV2 (standard) or BlockBlobStorage (Premium block blobs: low latency for many small writes). */
    accountKind: z.enum(["StorageV2", "BlockBlobStorage"]).default("StorageV2"),
    /** Replication SKU; BlockBlobStorage needs a Premium_* SKU. */
    sku: z.enum(["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Premium_LRS", "Premium_ZRS"]).optional(),
});

export const messagingSchema = z.strictObject({
    /** serviceBus or storageQueue. */
    broker: z.enum(["serviceBus", "storageQueue"]).default("serviceBus"),
    /**
     * Removed (issue 21): every workload now has its own queue (`workloads[].queue`, default its name). Kept in the
     * schema only so preflight can name the replacement instead of reporting an unknown key (rules/workloadEntities.ts).
     */
    queueName: z.unknown().optional(),
    serviceBus: serviceBusSchema.default(serviceBusSchema.parse({})),
    storageQueue: storageQueueSchema.default(storageQueueSchema.parse({})),
    results: resultsSchema.default(resultsSchema.parse({})),
    /** The queue of virtual-node (ACI) workloads, in a broker of its own with local auth: see config/virtualNodes.ts. Default: none. */
    virtualNodes: virtualNodeMessagingSchema.optional(),
});
export type MessagingConfig = z.infer<typeof messagingSchema>;

export const platformSchema = z.strictObject({
    /** Azure region for every resource. */
    location: z.string().regex(/^[a-z0-9]+$/, "must be an Azure region name such as westeurope").default("westeurope"),
    /** Prefix of resource names: lowercase letters and digits, 2–10 chars (storage and ACR names allow nothing else). */
    namePrefix: z.string().regex(/^[a-z][a-z0-9]{1,9}$/, "must be 2–10 lowercase letters or digits, starting with a letter").default("kedascale"),
    network: networkSchema.default(networkSchema.parse({})),
    cluster: clusterSchema.default(clusterSchema.parse({})),
    /** Worker pools: every pool besides the system pool, each a separate AgentPool. */
    pools: z.array(poolSchema).default([]),
    registry: registrySchema.default(registrySchema.parse({})),
    messaging: messagingSchema.default(messagingSchema.parse({})),
});
export type PlatformConfig = z.infer<typeof platformSchema>;
