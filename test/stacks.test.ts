/**
 * Every Pulumi.<stack>.yaml, run through the real index.ts under mocks: the properties a platform engineer
 * relies on, checked on the resources the program would send to Azure.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { roleAssignmentName, ROLES, type RoleName } from "../components/azure/roles";
import { needsCluster } from "../components/config/containerApps";
import { decodeRawConfig, parseConfig } from "../components/config/load";
import { onVirtualNodes } from "../components/config/virtualNodes";
import { runProgram, type ProgramRun, type RecordedResource } from "./harness/runProgram";
import { existingClusterState } from "./harness/mockState";
import { clusterKind, kedaWorkloads, readStackFile, stackConfig, stackNames } from "./harness/stackConfig";

/**
 * Whether a stack creates an AKS cluster: not when every workload runs on Azure Container Apps (no cluster at all;
 * test/containerAppsStack.test.ts), nor with cluster.existing (read, not created). Cluster tests skip the others.
 */
function createsCluster(stack: string): boolean {
    const { config } = parseConfig(decodeRawConfig(stackConfig(stack)).raw, [], { stack });
    return needsCluster(config) && !config.cluster.existing;
}

const T = {
    cluster: "azure-native:containerservice:ManagedCluster",
    pool: "azure-native:containerservice:AgentPool",
    subnet: "azure-native:network:Subnet",
    role: "azure-native:authorization:RoleAssignment",
    acr: "azure-native:containerregistry:Registry",
    sbNamespace: "azure-native:servicebus:Namespace",
    sbQueue: "azure-native:servicebus:Queue",
    account: "azure-native:storage:StorageAccount",
    container: "azure-native:storage:BlobContainer",
    identity: "azure-native:managedidentity:UserAssignedIdentity",
};
const roleGuid = (r: { inputs: Record<string, any> }) => String(r.inputs.roleDefinitionId).split("/").pop();

// Azure stacks: the local stack has no Azure resource at all (test/localStack.test.ts).
describe.each(stackNames().filter((s) => clusterKind(s) !== "local"))("stack %s", (stack) => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runProgram(stack);
    });
    // Cluster tests exist only for stacks that create a cluster: the others are not skipped, they have none to test
    // (existing: test/existingCluster.test.ts; Container Apps only: test/containerAppsStack.test.ts).
    const clusterIt = createsCluster(stack) ? it : (_title: string, _fn: () => void) => undefined;

    clusterIt("turns on the OIDC issuer and workload identity, with RBAC", () => {
        const c = run.one(T.cluster).inputs;
        expect(c.oidcIssuerProfile).toEqual({ enabled: true });
        expect(c.securityProfile.workloadIdentity).toEqual({ enabled: true });
        expect(c.enableRBAC).toBe(true);
        expect(c.identity.type).toBe("UserAssigned");
        expect(run.outputs.oidcIssuerUrl).toMatch(/^https:\/\//);
    });

    clusterIt("keeps only the system pool inline; every worker pool is its own AgentPool with an explicit name", () => {
        const c = run.one(T.cluster).inputs;
        expect(c.agentPoolProfiles).toHaveLength(1);
        expect(c.agentPoolProfiles[0].mode).toBe("System");
        expect(c.agentPoolProfiles[0].scaleSetPriority).toBeUndefined();
        for (const p of run.ofType(T.pool)) {
            expect(p.inputs.agentPoolName).toMatch(/^[a-z][a-z0-9]{0,11}$/);
            expect(p.inputs.resourceName).toBe(c.resourceName);
            expect(p.inputs.mode).toBe("User");
            if (p.inputs.enableAutoScaling) expect(p.ignoreChanges).toContain("count");
        }
    });

    it("gives Spot pools Delete eviction, on-demand price cap and the autoscaler", () => {
        for (const p of run.ofType(T.pool).filter((p) => p.inputs.scaleSetPriority === "Spot")) {
            expect(p.inputs).toMatchObject({ scaleSetEvictionPolicy: "Delete", spotMaxPrice: -1, enableAutoScaling: true });
            expect(p.inputs.nodeTaints).toContain("kubernetes.azure.com/scalesetpriority=spot:NoSchedule");
        }
    });

    clusterIt("sends every autoscaler profile value as a string", () => {
        const profile = run.one(T.cluster).inputs.autoScalerProfile as Record<string, unknown>;
        expect(Object.keys(profile).length).toBeGreaterThan(5);
        for (const v of Object.values(profile)) expect(typeof v).toBe("string");
    });

    it("has no ACR admin user, no Service Bus SAS and no storage shared keys (but on the tagged virtual-node broker)", () => {
        expect(run.one(T.acr).inputs.adminUserEnabled).toBe(false);
        // The one exception (issue 12): the namespace/accounts of virtual-node workloads, tagged for the policy pack.
        const aci = (r: RecordedResource) => r.inputs.tags?.["kedascale:localAuth"] === "virtual-nodes";
        for (const ns of run.ofType(T.sbNamespace)) expect(ns.inputs).toMatchObject({ disableLocalAuth: !aci(ns), minimumTlsVersion: "1.2" });
        for (const a of run.ofType(T.account)) {
            expect(a.inputs).toMatchObject({ allowSharedKeyAccess: aci(a), enableHttpsTrafficOnly: true, minimumTlsVersion: "TLS1_2", allowBlobPublicAccess: false });
        }
        const hasAci = kedaWorkloads<{ placement?: string; platform?: string }>(stack).some((w) => onVirtualNodes({ placement: w.placement ?? "spot" }));
        expect([...run.ofType(T.sbNamespace), ...run.ofType(T.account)].some(aci)).toBe(hasAci);
        for (const c of run.ofType(T.container)) expect(c.inputs.publicAccess).toBe("None");
    });

    it("assigns only known roles, to service principals, scoped to a resource it created", () => {
        const known = new Set<string>(Object.values(ROLES));
        const roles = run.ofType(T.role);
        expect(roles.length).toBeGreaterThan(0);
        for (const r of roles) {
            expect(known).toContain(roleGuid(r));
            expect(r.inputs.principalType).toBe("ServicePrincipal");
            const target = run.byId(r.inputs.scope);
            expect(target, `${r.name} scope ${r.inputs.scope} is not a resource of this stack`).toBeDefined();
            expect(target!.type).not.toMatch(/ResourceGroup|Namespace$/);
        }
    });

    it("names every role assignment deterministically from (scope, principal, role), never twice", () => {
        const roleOf = Object.fromEntries(Object.entries(ROLES).map(([name, guid]) => [guid, name as RoleName]));
        const names = run.ofType(T.role).map((r) => {
            expect(r.inputs.roleAssignmentName, r.name).toBe(roleAssignmentName(r.inputs.scope, r.inputs.principalId, roleOf[roleGuid(r)!]));
            return r.inputs.roleAssignmentName;
        });
        expect(new Set(names).size).toBe(names.length);
    });

    clusterIt("renders load-balancer egress whose SNAT ports hold every node at Σ maxCount (≥ 64 each)", () => {
        const net = run.one(T.cluster).inputs.networkProfile;
        expect(net.outboundType).toBe("loadBalancer");
        const lb = net.loadBalancerProfile;
        const nodes = [run.one(T.cluster).inputs.agentPoolProfiles[0], ...run.ofType(T.pool).map((p) => p.inputs)].reduce((n: number, p: any) => n + (p.maxCount ?? p.count), 0);
        if (lb.allocatedOutboundPorts === 0) expect(nodes).toBeLessThanOrEqual(800); // automatic: ≥ 64 ports up to 800 nodes
        else {
            expect(lb.allocatedOutboundPorts).toBeGreaterThanOrEqual(64);
            expect(lb.managedOutboundIPs.count * 64_000).toBeGreaterThanOrEqual(nodes * lb.allocatedOutboundPorts);
        }
    });

    clusterIt("lets the kubelet pull from the registry", () => {
        const pull = run.ofType(T.role).filter((r) => roleGuid(r) === ROLES.acrPull);
        expect(pull).toHaveLength(1);
        expect(run.byId(pull[0].inputs.scope)!.type).toBe(T.acr);
    });

    clusterIt("exports a capacity summary whose quota covers every pool at max", () => {
        const cap = run.outputs.capacity;
        const pools = [run.one(T.cluster).inputs.agentPoolProfiles[0], ...run.ofType(T.pool).map((p) => p.inputs)];
        expect(cap.maxNodes).toBe(pools.reduce((s: number, p: any) => s + (p.maxCount ?? p.count), 0));
        const spotVcpus = cap.pools.filter((p: any) => p.priority === "Spot").reduce((s: number, p: any) => s + p.vcpusAtMax, 0);
        expect(cap.quotaToRequest.lowPriorityCores ?? 0).toBe(spotVcpus);
    });
});

describe.each(stackNames().filter((s) => clusterKind(s) === "existing"))("stack %s (an existing cluster)", (stack) => {
    let run: ProgramRun;
    const existing = (readStackFile(stack)["kedascale:cluster"] as { existing: { resourceGroup: string; name: string } }).existing;
    const read = existingClusterState({ resourceGroupName: existing.resourceGroup, resourceName: existing.name }) as any;
    beforeAll(async () => {
        run = await runProgram(stack);
    });

    it("creates no VNet, cluster, node pool or control-plane identity: it only reads the cluster", () => {
        for (const t of [T.cluster, T.pool, T.subnet, "azure-native:network:VirtualNetwork"]) expect(run.ofType(t), t).toEqual([]);
        expect(run.ofType(T.identity).map((i) => i.name)).not.toContain("cluster-control-plane");
        expect(run.one("kedascale:azure:ExistingCluster").name).toBe("cluster");
        expect(run.outputs.clusterName).toBe(existing.name);
    });

    it("federates every identity with the existing cluster's OIDC issuer", () => {
        expect(run.outputs.oidcIssuerUrl).toBe(read.oidcIssuerProfile.issuerURL);
        const fics = run.ofType("azure-native:managedidentity:FederatedIdentityCredential");
        expect(fics.length).toBeGreaterThan(0);
        for (const f of fics) expect(f.inputs.issuer, f.name).toBe(read.oidcIssuerProfile.issuerURL);
    });

    it("grants AcrPull on its registry to the existing cluster's kubelet identity", () => {
        const pull = run.ofType(T.role).filter((r) => roleGuid(r) === ROLES.acrPull);
        expect(pull).toHaveLength(1);
        expect(pull[0].inputs.principalId).toBe(read.identityProfile.kubeletidentity.objectId);
        expect(run.byId(pull[0].inputs.scope)!.type).toBe(T.acr);
    });

    it("talks to the cluster with a provider built from its user kubeconfig", () => {
        const providers = run.ofType("pulumi:providers:kubernetes");
        expect(providers).toHaveLength(1);
        for (const k of run.resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "pulumi:providers:kubernetes")) expect(k.provider, k.name).toContain(providers[0].name);
    });

    it("asks for no node quota: the cluster's pools are its own", () => {
        expect(run.outputs.capacity).toMatchObject({ maxNodes: 0, pools: [], quotaToRequest: {} });
        expect(run.outputs.capacity.howToCheck).toContain(`az aks nodepool list --resource-group ${existing.resourceGroup} --cluster-name ${existing.name}`);
    });
});

describe("dev stack", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runProgram("dev");
    });

    it("is small: Free tier, one system node, one Spot pool 0→5", () => {
        const c = run.one(T.cluster).inputs;
        expect(c.sku).toEqual({ name: "Base", tier: "Free" });
        expect(c.agentPoolProfiles[0]).toMatchObject({ count: 1, enableAutoScaling: false });
        expect(run.one(T.pool).inputs).toMatchObject({ agentPoolName: "spot", scaleSetPriority: "Spot", minCount: 0, maxCount: 5, count: 0 });
        expect(run.one(T.acr).inputs.sku).toEqual({ name: "Basic" });
        expect(run.one(T.sbNamespace, "messaging-sb").inputs.sku).toMatchObject({ name: "Standard" });
    });

    it("uses node-subnet Azure CNI, which virtual nodes need", () => {
        const net = run.one(T.cluster).inputs.networkProfile;
        expect(net.networkPlugin).toBe("azure");
        expect(net.networkPluginMode).toBeUndefined();
        // podCidr may still be present: azure-native fills the API schema's default (10.244.0.0/16), which AKS
        // ignores unless the plugin is kubenet or Overlay (terraform-provider-azurerm#20573).
    });

    it("wires virtual nodes to an ACI-delegated subnet with Network Contributor for the connector", () => {
        const cluster = run.one(T.cluster);
        const aciSubnet = run.ofType(T.subnet).find((s) => s.inputs.delegations?.length)!;
        expect(aciSubnet.inputs.delegations).toEqual([{ name: "aci", serviceName: "Microsoft.ContainerInstance/containerGroups" }]);
        expect(cluster.inputs.addonProfiles.aciConnectorLinux).toEqual({ enabled: true, config: { SubnetName: aciSubnet.inputs.subnetName } });
        const grant = run.ofType(T.role).find((r) => r.inputs.scope === aciSubnet.id)!;
        expect(roleGuid(grant)).toBe(ROLES.networkContributor);
        expect(grant.inputs.principalId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("grants the control-plane identity Network Contributor on the VNet (node subnet, and joinLoadBalancer for NodeIP pools) before the cluster exists", () => {
        const vnet = run.one("azure-native:network:VirtualNetwork");
        const grant = run.ofType(T.role).find((r) => r.inputs.scope === vnet.id)!;
        expect(roleGuid(grant)).toBe(ROLES.networkContributor);
        expect(run.one(T.cluster).dependsOn).toContain(grant.name);
    });
});

describe("scale1000 stack", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runProgram("scale1000");
    });

    it("is Standard tier on Azure CNI Overlay with a pod CIDR that fits 1,000 nodes and avoids reserved ranges", () => {
        const c = run.one(T.cluster).inputs;
        expect(c.sku.tier).toBe("Standard");
        expect(c.networkProfile).toMatchObject({ networkPlugin: "azure", networkPluginMode: "overlay", podCidr: "100.64.0.0/14", serviceCidr: "10.0.0.0/16", dnsServiceIP: "10.0.0.10" });
        expect(c.addonProfiles).toBeUndefined();
    });

    it("has the seed's pools, with AKS's large-cluster system nodes: 2 × D16ds_v5 ephemeral system, Spot D4ds_v4 0→998 ephemeral 75 GB", () => {
        const c = run.one(T.cluster).inputs;
        expect(c.agentPoolProfiles[0]).toMatchObject({ vmSize: "Standard_D16ds_v5", count: 2, osDiskType: "Ephemeral", mode: "System" });
        expect(c.agentPoolProfiles[0].nodeTaints).toContain("CriticalAddonsOnly=true:NoSchedule");
        expect(run.one(T.pool).inputs).toMatchObject({
            vmSize: "Standard_D4ds_v4",
            scaleSetPriority: "Spot",
            minCount: 0,
            maxCount: 998,
            osDiskType: "Ephemeral",
            osDiskSizeGB: 75,
        });
    });

    it("uses the burst autoscaler preset", () => {
        expect(run.one(T.cluster).inputs.autoScalerProfile).toMatchObject({
            scanInterval: "20s",
            maxEmptyBulkDelete: "100",
            okTotalUnreadyCount: "1000",
            maxTotalUnreadyPercentage: "100",
            maxNodeProvisionTime: "15m",
        });
    });

    it("has Premium ACR and Premium block-blob results", () => {
        expect(run.one(T.acr).inputs.sku).toEqual({ name: "Premium" });
        const results = run.one(T.account).inputs;
        expect(results).toMatchObject({ kind: "BlockBlobStorage", sku: { name: "Premium_LRS" } });
        expect(run.one(T.container).inputs.accountName).toBe(results.accountName);
        expect(run.ofType(T.sbQueue)).toHaveLength(1);
    });

    it("sizes egress for 1,000 nodes: 5 managed IPs, 256 SNAT ports per node (1,250-node capacity)", () => {
        expect(run.one(T.cluster).inputs.networkProfile).toMatchObject({
            outboundType: "loadBalancer",
            loadBalancerProfile: { managedOutboundIPs: { count: 5 }, allocatedOutboundPorts: 256, idleTimeoutInMinutes: 30 },
        });
    });

    it("tells how much regional quota to request: 998 Spot nodes × 4 vCPUs (Spot pools have no upgrade surge), 3 system nodes × 16", () => {
        expect(run.outputs.capacity.quotaToRequest).toMatchObject({ lowPriorityCores: 998 * 4, standardDDSv5Family: 3 * 16, cores: 3 * 16 });
        expect(run.warnings).toEqual([]);
    });
});

/** Who gets which role on what, per broker: identity name suffix → [role, scope resource type]. */
function grantsByGrantee(run: ProgramRun): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const r of run.ofType(T.role).filter((r) => r.name.startsWith("messaging-"))) {
        // KEDA's grants are per entity (`keda-<entity>`): grouped as "keda".
        const grantee = r.name.replace(/^messaging-/, "").replace(/-(receive|send|readQueueMetrics|writeResults)-.*$/, "").replace(/^keda-.*$/, "keda");
        const target = run.byId(r.inputs.scope)!;
        (out[grantee] ??= []).push(`${Object.entries(ROLES).find(([, g]) => g === roleGuid(r))![0]} on ${target.inputs.queueName ?? target.inputs.containerName}`);
    }
    for (const v of Object.values(out)) v.sort();
    return out;
}

/**
 * dev on a Storage queue, without its virtual-node workload: that one reads a queue of its own in a Service Bus
 * namespace with local auth (test/virtualNodes.test.ts), which would blur "one account, shared keys off" here.
 */
const devOnStorageQueue = () => ({
    "kedascale:messaging": { broker: "storageQueue" },
    "kedascale:workloads": (readStackFile("dev")["kedascale:workloads"] as { placement?: string }[]).filter((w) => !onVirtualNodes({ placement: w.placement ?? "spot" })).map((w) => ({ ...w, queue: "work" })),
});

describe("role ids per broker", () => {
    it("Service Bus: worker receives, KEDA reads counts as Data Owner (Receiver cannot), the load sender sends; each scoped to the workload's own queue", async () => {
        const run = await runProgram("dev");
        expect(grantsByGrantee(run)).toEqual({
            keda: ["serviceBusDataOwner on worker"],
            worker: ["serviceBusDataReceiver on worker", "storageBlobDataContributor on results"],
            "worker-load": ["serviceBusDataSender on worker", "storageBlobDataContributor on results"],
        });
    });

    it("Storage queue: the worker can Update Message (renew/release) via Queue Data Contributor on its queue, and park via Sender on the poison queue", async () => {
        const run = await runProgram("dev", devOnStorageQueue());
        expect(grantsByGrantee(run)).toEqual({
            keda: ["storageQueueDataReader on work"],
            worker: ["storageBlobDataContributor on results", "storageQueueDataContributor on work", "storageQueueDataMessageSender on work-poison"],
            "worker-load": ["storageBlobDataContributor on results", "storageQueueDataMessageSender on work"],
        });
    });
});

describe("storage-queue broker", () => {
    it("creates a queue and poison queue, and scopes receive grants to them", async () => {
        const run = await runProgram("dev", devOnStorageQueue());
        const queues = run.ofType("azure-native:storage:Queue").map((q) => q.inputs.queueName);
        expect(queues.sort()).toEqual(["work", "work-poison"]);
        // Results share the queue's StorageV2 account: one account, shared keys off.
        expect(run.ofType(T.account)).toHaveLength(1);
        expect(run.outputs.broker).toMatchObject({ kind: "storageQueue" });
        expect((run.outputs.workloads as { entity: { what: string } }[]).map((w) => w.entity.what)).toEqual(['queue "work"']);
    });
});

describe("ephemeral OS disk on a size without local disk", () => {
    it("falls back to a Managed OS disk as AKS does, warns with a 'd' alternative, and still deploys", async () => {
        const run = await runProgram("dev", { "kedascale:pools": [{ name: "spot", vmSize: "Standard_D4s_v5", priority: "Spot", maxCount: 5 }] });
        expect(run.warnings.join("\n")).toMatch(/kedascale:pools\[0\]\.osDiskType, kedascale:pools\[0\]\.vmSize: pool "spot": Standard_D4s_v5 gets a Managed OS disk because it has no local disk.*e\.g\. Standard_D4ds_v5/);
        expect(run.ofType(T.pool)).toHaveLength(1);
        expect(run.one(T.pool).inputs.osDiskType).toBe("Managed");
    });
});

describe("Free tier at scale", () => {
    it("warns and recommends Standard, but deploys", async () => {
        const run = await runProgram("dev", { "kedascale:pools": [{ name: "spot", vmSize: "Standard_D2ds_v5", priority: "Spot", maxCount: 20 }] });
        expect(run.warnings.join("\n")).toMatch(/kedascale:cluster\.tier: tier "Free" with pools that can reach 21 nodes.*Fix: set cluster\.tier to "Standard"/);
        expect(run.ofType(T.pool)).toHaveLength(1);
    });
});
