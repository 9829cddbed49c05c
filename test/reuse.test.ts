/**
 * Proof of reuse: a second, different program built from the components alone (no stack config, no index.ts), as
 * another team would write it: one AKS cluster with one KEDA, two queues on two brokers (Service Bus and Storage),
 * two workloads (a Deployment and a ScaledJob), each on its own queue. Run under the same mocks as the stacks, it
 * must register no two things under one name and put every grant on the right principal and scope.
 */
import * as resources from "@pulumi/azure-native/resources";
import { beforeAll, describe, expect, it } from "vitest";
import { AksCluster } from "../components/azure/aksCluster";
import { Messaging } from "../components/azure/messaging";
import { Network } from "../components/azure/network";
import { Registry } from "../components/azure/registry";
import { ROLES } from "../components/azure/roles";
import { KedaInstall } from "../components/k8s/kedaInstall";
import { ScaledWorkload } from "../components/k8s/scaledWorkload";
import { fakeGuid, MOCK_TENANT, NAME_INPUT } from "./harness/mockState";
import { runUnderMocks, type RecordedResource, type SettledRun } from "./harness/programUnderMocks";

const IMAGE = "teamacr.azurecr.io/worker@sha256:" + "ab".repeat(32);
const resourcesOf = { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "512Mi" } };

/** The other team's program. */
function program() {
    const location = "northeurope";
    const group = new resources.ResourceGroup("team", { resourceGroupName: "team-rg", location });
    const base = { resourceGroupName: group.name, location };
    const network = new Network("net", { ...base, vnetName: "team-vnet" });
    const cluster = new AksCluster("aks", {
        ...base,
        clusterName: "team-aks",
        tier: "Standard",
        pools: [{ name: "spot", vmSize: "Standard_D4ds_v5", priority: "Spot", maxCount: 10 }],
        nodeSubnetId: network.nodeSubnetId,
    });
    const registry = new Registry("acr", { ...base, registryName: "teamacr", pullPrincipalIds: { kubelet: cluster.kubeletIdentityObjectId } });
    const orders = new Messaging("orders", { ...base, entities: [{ queue: "orders" }], broker: { kind: "serviceBus", namespaceName: "team-orders-bus" }, results: { accountName: "teamordersresults" } });
    const thumbnails = new Messaging("thumbnails", { ...base, entities: [{ queue: "thumbnails" }], broker: { kind: "storageQueue", accountName: "teamthumbnails" }, results: { containerName: "thumbs" } });
    const keda = new KedaInstall("keda", { ...base, identityName: "team-keda", oidcIssuerUrl: cluster.oidcIssuerUrl, tenantId: MOCK_TENANT, provider: cluster.provider });
    // Given the identity args, KEDA has a principal (undefined only on a cluster without Entra: the local stack).
    const kedaPrincipal = keda.principalId!;
    const common = { ...base, identityNamePrefix: "team", oidcIssuerUrl: cluster.oidcIssuerUrl, image: IMAGE, provider: cluster.provider, kedaRelease: keda.release, podPrerequisites: registry.pullGrants, spotNodes: cluster.spotNodes };
    const ordersWorker = new ScaledWorkload("orders-worker", {
        ...common,
        workload: { name: "orders", kind: "deployment", namespace: "shop", resources: resourcesOf, maxReplicaCount: 20 },
        messaging: orders.forEntity({ queue: "orders" }),
        kedaGrants: orders.grantMetricsRead({ queue: "orders" }, kedaPrincipal),
    });
    const thumbnailer = new ScaledWorkload("thumbnailer", {
        ...common,
        workload: { name: "thumbnailer", kind: "job", namespace: "media", resources: resourcesOf, maxReplicaCount: 50, loadTest: { messages: 100 } },
        messaging: thumbnails.forEntity({ queue: "thumbnails" }),
        kedaGrants: thumbnails.grantMetricsRead({ queue: "thumbnails" }, kedaPrincipal),
    });
    return { ordersPrincipal: ordersWorker.principalId!, thumbnailerPrincipal: thumbnailer.principalId!, kedaPrincipal };
}

const T = { role: "azure-native:authorization:RoleAssignment", identity: "azure-native:managedidentity:UserAssignedIdentity" };
const roleName = (r: RecordedResource) => Object.entries(ROLES).find(([, g]) => String(r.inputs.roleDefinitionId).endsWith(g))![0];

describe("a second program built from the components alone", () => {
    let run: SettledRun;
    const byId = (id: string) => run.resources.find((r) => r.id === id);
    beforeAll(async () => {
        run = await runUnderMocks("dev", {}, { importProgram: async () => program(), captureWarnings: () => () => {} });
    });

    it("registers without error, one cluster, one KEDA, two brokers, two workloads", () => {
        expect(run.error).toBeUndefined();
        const count = (type: string) => run.resources.filter((r) => r.type === type).length;
        expect(count("kedascale:azure:AksCluster")).toBe(1);
        expect(count("kubernetes:helm.sh/v3:Release")).toBe(1);
        expect(count("kedascale:azure:Messaging")).toBe(2);
        expect(count("kedascale:k8s:ScaledWorkload")).toBe(2);
        expect(count("azure-native:servicebus:Queue")).toBe(1);
        expect(count("azure-native:storage:Queue")).toBe(2);
    });

    it("names nothing twice: Pulumi names per type, Azure names per service scope, Kubernetes names per kind and namespace", () => {
        const urns = run.resources.map((r) => `${r.type}::${r.name}`);
        expect(urns.length).toBe(new Set(urns).size);
        // Every child carries its component's name, so a second instance cannot collide with the first.
        for (const r of run.resources.filter((r) => r.parentName && r.parentType?.startsWith("kedascale:"))) expect(r.name.startsWith(`${r.parentName}-`), `${r.type} ${r.name} under ${r.parentName}`).toBe(true);
        const azure = run.resources.filter((r) => NAME_INPUT[r.type]).map((r) => `${r.type}|${r.inputs.resourceGroupName ?? ""}|${r.inputs.accountName ?? r.inputs.namespaceName ?? r.inputs.resourceName ?? ""}|${r.inputs[NAME_INPUT[r.type]]}`);
        expect(azure.length).toBe(new Set(azure).size);
        const k8s = run.resources.filter((r) => r.type.startsWith("kubernetes:") && r.inputs.metadata).map((r) => `${r.type}|${r.inputs.metadata.namespace ?? ""}|${r.inputs.metadata.name}`);
        expect(k8s.length).toBe(new Set(k8s).size);
    });

    it("puts every grant on the right principal and the narrowest scope: its own queue or container, never the other team's", () => {
        const identities = run.resources.filter((r) => r.type === T.identity);
        const who = (principalId: string) => {
            const identity = identities.find((i) => fakeGuid(`principal/${i.inputs.resourceName}`) === principalId);
            if (identity) return identity.inputs.resourceName;
            if (principalId === fakeGuid("kubelet/team-aks")) return "kubelet";
            return `unknown ${principalId}`;
        };
        const grants: Record<string, string[]> = {};
        for (const r of run.resources.filter((r) => r.type === T.role)) {
            const target = byId(r.inputs.scope);
            expect(target, `${r.name}: scope ${r.inputs.scope} is not a resource of this program`).toBeDefined();
            const on = target!.inputs.queueName ?? target!.inputs.containerName ?? target!.inputs.registryName ?? target!.inputs.subnetName;
            (grants[who(r.inputs.principalId)] ??= []).push(`${roleName(r)} on ${target!.type.split(":").pop()} ${on}`);
        }
        for (const v of Object.values(grants)) v.sort();
        expect(grants).toEqual({
            "team-aks-control-plane": ["networkContributor on Subnet nodes"],
            kubelet: ["acrPull on Registry teamacr"],
            "team-keda": ["serviceBusDataOwner on Queue orders", "storageQueueDataReader on Queue thumbnails"],
            "team-orders": ["serviceBusDataReceiver on Queue orders", "storageBlobDataContributor on BlobContainer results"],
            "team-thumbnailer": ["storageBlobDataContributor on BlobContainer thumbs", "storageQueueDataContributor on Queue thumbnails", "storageQueueDataMessageSender on Queue thumbnails-poison"],
            "team-thumbnailer-load": ["storageBlobDataContributor on BlobContainer thumbs", "storageQueueDataMessageSender on Queue thumbnails"],
        });
        // The orders results container is in the orders results account, the thumbnails one in the thumbnails queue account.
        const container = (name: string) => run.resources.find((r) => r.type === "azure-native:storage:BlobContainer" && r.inputs.containerName === name)!;
        expect(container("results").inputs.accountName).toBe("teamordersresults");
        expect(container("thumbs").inputs.accountName).toBe("teamthumbnails");
    });

    it("points each workload's scaler, pods and federated credential at its own queue, namespace and ServiceAccount", () => {
        const scaled = (kind: string, name: string) => run.resources.find((r) => r.type === `kubernetes:keda.sh/v1alpha1:${kind}` && r.inputs.metadata.name === name)!;
        expect(scaled("ScaledObject", "orders").inputs.spec.triggers[0]).toMatchObject({ type: "azure-servicebus", metadata: { queueName: "orders", namespace: "team-orders-bus" } });
        expect(scaled("ScaledJob", "thumbnailer").inputs.spec.triggers[0]).toMatchObject({ type: "azure-queue", metadata: { queueName: "thumbnails", accountName: "teamthumbnails" } });
        const env = (containers: any[]) => Object.fromEntries(containers[0].env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
        const deployment = run.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
        expect(deployment.inputs.metadata.namespace).toBe("shop");
        expect(env(deployment.inputs.spec.template.spec.containers)).toMatchObject({ KEDASCALE_BROKER: "serviceBus", KEDASCALE_QUEUE: "orders", KEDASCALE_SERVICEBUS_NAMESPACE: "team-orders-bus", KEDASCALE_RESULTS_ACCOUNT: "teamordersresults", KEDASCALE_LOCK_DURATION_MS: "60000", KEDASCALE_MAX_DELIVERY_COUNT: "10" });
        expect(env(scaled("ScaledJob", "thumbnailer").inputs.spec.jobTargetRef.template.spec.containers)).toMatchObject({ KEDASCALE_BROKER: "storageQueue", KEDASCALE_QUEUE: "thumbnails", KEDASCALE_STORAGE_ACCOUNT: "teamthumbnails", KEDASCALE_RESULTS_CONTAINER: "thumbs", KEDASCALE_MAX_DELIVERY_COUNT: "5" });
        const subjects = run.resources.filter((r) => r.type === "azure-native:managedidentity:FederatedIdentityCredential").map((f) => f.inputs.subject).sort();
        expect(subjects).toEqual(["system:serviceaccount:keda:keda-operator", "system:serviceaccount:media:thumbnailer", "system:serviceaccount:media:thumbnailer-load", "system:serviceaccount:shop:orders"]);
    });

    it("makes each workload's KEDA objects wait for KEDA's grant on that workload's queue, not only the other's", () => {
        const kedaGrant = (queue: string) => run.resources.find((r) => r.type === T.role && r.name.startsWith(`${queue}-keda-${queue}-readQueueMetrics-`))!.name;
        const deps = (kind: string, name: string) => run.resources.find((r) => r.type === `kubernetes:keda.sh/v1alpha1:${kind}` && r.inputs.metadata.name === name)!.dependsOn;
        expect(deps("ScaledObject", "orders")).toEqual(expect.arrayContaining(["keda-release", kedaGrant("orders")]));
        expect(deps("ScaledObject", "orders")).not.toContain(kedaGrant("thumbnails"));
        expect(deps("ScaledJob", "thumbnailer")).toEqual(expect.arrayContaining(["keda-release", kedaGrant("thumbnails")]));
    });
});
