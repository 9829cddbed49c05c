/**
 * Each kedascale policy, unit-tested with hand-built resource props (the pulumi-policy-aws pattern): what passes,
 * what fails, and that the message names the property and the fix. The stacks themselves are checked in
 * policyStacks.test.ts.
 */
import { describe, expect, it } from "vitest";
import { checkAcrAdminUser } from "../policy/policies/acrAdminUser";
import { checkClusterTiers, type StackResource } from "../policy/policies/clusterTier";
import { checkNoConnectionStrings } from "../policy/policies/noConnectionStrings";
import { checkServiceBusLocalAuth } from "../policy/policies/serviceBusLocalAuth";
import { checkSpotEviction } from "../policy/policies/spotEviction";
import { checkStorageAccountAuth } from "../policy/policies/storageAccountAuth";
import { checkWorkloadIdentity } from "../policy/policies/workloadIdentity";
import { resourcePolicies, stackPolicies } from "../policy/policies";

const ACR = "azure-native:containerregistry:Registry";
const SB = "azure-native:servicebus:Namespace";
const SA = "azure-native:storage:StorageAccount";
const POOL = "azure-native:containerservice:AgentPool";
const AKS = "azure-native:containerservice:ManagedCluster";
const VIRTUAL_NODES = { "kedascale:localAuth": "virtual-nodes" };

describe("ACR admin user", () => {
    it("passes a registry with the admin user off or unset (ARM's default is off)", () => {
        expect(checkAcrAdminUser(ACR, { registryName: "r", adminUserEnabled: false }, "r")).toEqual([]);
        expect(checkAcrAdminUser(ACR, { registryName: "r" }, "r")).toEqual([]);
    });
    it("fails a registry with the admin user on, naming it and the fix", () => {
        const [msg] = checkAcrAdminUser(ACR, { registryName: "kedaacr", adminUserEnabled: true }, "registry");
        expect(msg).toMatch(/kedaacr.*adminUserEnabled: true.*set adminUserEnabled: false/);
    });
    it("also checks a registry registered with an explicit API version", () => {
        expect(checkAcrAdminUser("azure-native:containerregistry/v20230701:Registry", { adminUserEnabled: true }, "r")).toHaveLength(1);
    });
});

describe("Service Bus local auth", () => {
    it("passes disableLocalAuth: true", () => {
        expect(checkServiceBusLocalAuth(SB, { namespaceName: "ns", disableLocalAuth: true }, "ns")).toEqual([]);
    });
    it("fails when SAS stays on, explicitly or by ARM's default", () => {
        expect(checkServiceBusLocalAuth(SB, { namespaceName: "ns", disableLocalAuth: false }, "ns")[0]).toMatch(/ns allows SAS.*set disableLocalAuth: true/);
        expect(checkServiceBusLocalAuth(SB, { namespaceName: "ns" }, "ns")[0]).toMatch(/disableLocalAuth: undefined/);
    });
    it("exempts only the namespace tagged kedascale:localAuth: virtual-nodes", () => {
        expect(checkServiceBusLocalAuth(SB, { disableLocalAuth: false, tags: VIRTUAL_NODES }, "ns")).toEqual([]);
        expect(checkServiceBusLocalAuth(SB, { disableLocalAuth: false, tags: { "kedascale:localAuth": "yes" } }, "ns")).toHaveLength(1);
    });
});

describe("storage shared keys and TLS", () => {
    it("passes shared keys off with TLS 1.2 or 1.3", () => {
        expect(checkStorageAccountAuth(SA, { accountName: "a", allowSharedKeyAccess: false, minimumTlsVersion: "TLS1_2" }, "a")).toEqual([]);
        expect(checkStorageAccountAuth(SA, { accountName: "a", allowSharedKeyAccess: false, minimumTlsVersion: "TLS1_3" }, "a")).toEqual([]);
    });
    it("fails shared keys left on (unset means allowed) and TLS below 1.2, each separately", () => {
        const msgs = checkStorageAccountAuth(SA, { accountName: "kedaq", minimumTlsVersion: "TLS1_0" }, "q");
        expect(msgs).toHaveLength(2);
        expect(msgs[0]).toMatch(/kedaq allows shared-key access \(allowSharedKeyAccess: undefined\).*allowSharedKeyAccess: false/);
        expect(msgs[1]).toMatch(/kedaq accepts TLS below 1.2 \(minimumTlsVersion: TLS1_0\)/);
    });
    it("the virtual-node tag exempts shared keys but never TLS", () => {
        expect(checkStorageAccountAuth(SA, { allowSharedKeyAccess: true, minimumTlsVersion: "TLS1_2", tags: VIRTUAL_NODES }, "a")).toEqual([]);
        expect(checkStorageAccountAuth(SA, { allowSharedKeyAccess: true, minimumTlsVersion: "TLS1_1", tags: VIRTUAL_NODES }, "a")).toEqual([
            expect.stringMatching(/TLS below 1.2/),
        ]);
    });
});

describe("Spot eviction", () => {
    it("passes Spot pools with Delete or unset (the API's default is Delete) and ignores Regular pools", () => {
        expect(checkSpotEviction(POOL, { agentPoolName: "spot", scaleSetPriority: "Spot", scaleSetEvictionPolicy: "Delete" }, "p")).toEqual([]);
        expect(checkSpotEviction(POOL, { agentPoolName: "spot", scaleSetPriority: "Spot" }, "p")).toEqual([]);
        expect(checkSpotEviction(POOL, { agentPoolName: "reg", scaleSetPriority: "Regular" }, "p")).toEqual([]);
    });
    it("fails Deallocate on a separate pool and on an inline pool", () => {
        expect(checkSpotEviction(POOL, { agentPoolName: "spot", scaleSetPriority: "Spot", scaleSetEvictionPolicy: "Deallocate" }, "p")[0]).toMatch(
            /Spot pool spot evicts with Deallocate; set scaleSetEvictionPolicy: "Delete"/,
        );
        const inline = checkSpotEviction(AKS, { resourceName: "aks", agentPoolProfiles: [{ name: "system" }, { name: "s2", scaleSetPriority: "Spot", scaleSetEvictionPolicy: "Deallocate" }] }, "c");
        expect(inline).toEqual([expect.stringMatching(/s2 \(inline in aks\) evicts with Deallocate/)]);
    });
});

describe("workload identity", () => {
    const on = { oidcIssuerProfile: { enabled: true }, securityProfile: { workloadIdentity: { enabled: true } } };
    it("passes a cluster with the OIDC issuer and workload identity on", () => {
        expect(checkWorkloadIdentity(AKS, { resourceName: "aks", ...on }, "c")).toEqual([]);
    });
    it("fails each one missing, naming the property", () => {
        expect(checkWorkloadIdentity(AKS, { resourceName: "aks", securityProfile: on.securityProfile }, "c")).toEqual([expect.stringMatching(/no OIDC issuer.*oidcIssuerProfile: \{ enabled: true \}/)]);
        expect(checkWorkloadIdentity(AKS, { resourceName: "aks", oidcIssuerProfile: on.oidcIssuerProfile, securityProfile: { workloadIdentity: { enabled: false } } }, "c")).toEqual([
            expect.stringMatching(/workload identity off \(securityProfile.workloadIdentity.enabled: false\)/),
        ]);
    });
});

describe("Standard tier above 10 nodes (stack policy)", () => {
    const cluster = (tier: string | undefined, inline: object[]): StackResource => ({
        type: AKS,
        name: "cluster",
        urn: "urn:cluster",
        props: { resourceName: "aks", sku: tier ? { name: "Base", tier } : undefined, agentPoolProfiles: inline },
    });
    const pool = (maxCount: number, resourceName?: string, dependsOnCluster = false): StackResource => ({
        type: POOL,
        name: `pool${maxCount}`,
        urn: `urn:pool${maxCount}`,
        props: { resourceName, enableAutoScaling: true, minCount: 0, maxCount },
        propertyDependencies: dependsOnCluster ? { resourceName: [{ urn: "urn:cluster" } as any] } : {},
    });
    const system = { name: "system", count: 2, enableAutoScaling: false };

    it("passes a Free cluster of at most 10 nodes, inline + separate pools", () => {
        expect(checkClusterTiers([cluster("Free", [system]), pool(8, "aks")])).toEqual([]);
    });
    it("fails a Free (or tier-less) cluster whose pools sum past 10, counting separate AgentPools", () => {
        const [v] = checkClusterTiers([cluster("Free", [system]), pool(9, "aks")]);
        expect(v.urn).toBe("urn:cluster");
        expect(v.message).toMatch(/aks can reach 11 nodes \(Σ maxCount of 2 pools\) on the Free tier; set sku: \{ name: "Base", tier: "Standard" \}/);
        expect(checkClusterTiers([cluster(undefined, [system]), pool(9, "aks")])).toHaveLength(1);
    });
    it("passes the same pools on Standard or Premium", () => {
        expect(checkClusterTiers([cluster("Standard", [system]), pool(998, "aks")])).toEqual([]);
        expect(checkClusterTiers([cluster("Premium", [system]), pool(998, "aks")])).toEqual([]);
    });
    it("attributes a pool whose cluster name is unknown (preview of a new cluster) by its property dependency", () => {
        const other: StackResource = { ...cluster("Free", []), urn: "urn:other", props: { resourceName: "other", agentPoolProfiles: [] } };
        expect(checkClusterTiers([cluster("Free", [system]), other, pool(20, undefined, true)]).map((v) => v.urn)).toEqual(["urn:cluster"]);
    });
    it("does not count another cluster's pools", () => {
        expect(checkClusterTiers([cluster("Free", [system]), pool(50, "someone-else")])).toEqual([]);
    });
});

describe("no connection strings in Kubernetes objects", () => {
    const secretWith = (labels: Record<string, string> | undefined, data: Record<string, string>) => ({ metadata: { name: "cred", labels }, data });
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const STORAGE = "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net";

    it("passes ordinary objects (a Deployment with identity env vars)", () => {
        const deployment = { metadata: { name: "w" }, spec: { template: { spec: { containers: [{ env: [{ name: "KEDASCALE_SERVICEBUS_NAMESPACE", value: "ns" }] }] } } } };
        expect(checkNoConnectionStrings("kubernetes:apps/v1:Deployment", deployment, "w")).toEqual([]);
    });
    it("fails a connection string in an env var, naming the path and never the value", () => {
        const deployment = { metadata: { name: "w" }, spec: { template: { spec: { containers: [{ env: [{ name: "CONN", value: "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=l;SharedAccessKey=abc=" }] }] } } } };
        const [msg] = checkNoConnectionStrings("kubernetes:apps/v1:Deployment", deployment, "w");
        expect(msg).toMatch(/apps\/v1:Deployment w: spec.template.spec.containers\[0\].env\[0\].value holds/);
        expect(msg).not.toContain("abc=");
    });
    it("decodes Secret data: a base64 account key in an unlabelled Secret fails", () => {
        expect(checkNoConnectionStrings("kubernetes:core/v1:Secret", secretWith(undefined, { conn: b64(STORAGE) }), "s")).toEqual([expect.stringMatching(/data.conn holds a storage account key/)]);
    });
    it("allows only Secrets labelled kedascale.io/allowed-secret: aci-credential or azurite", () => {
        expect(checkNoConnectionStrings("kubernetes:core/v1:Secret", secretWith({ "kedascale.io/allowed-secret": "aci-credential" }, { conn: b64(STORAGE) }), "s")).toEqual([]);
        expect(checkNoConnectionStrings("kubernetes:core/v1:Secret", secretWith({ "kedascale.io/allowed-secret": "azurite" }, { conn: b64("UseDevelopmentStorage=true") }), "s")).toEqual([]);
        expect(checkNoConnectionStrings("kubernetes:core/v1:Secret", secretWith({ "kedascale.io/allowed-secret": "other" }, { conn: b64(STORAGE) }), "s")).toHaveLength(1);
        // The label only exempts Secrets: a ConfigMap carrying it is still checked.
        expect(checkNoConnectionStrings("kubernetes:core/v1:ConfigMap", { metadata: { labels: { "kedascale.io/allowed-secret": "azurite" } }, data: { c: STORAGE } }, "c")).toHaveLength(1);
    });
    it("finds SAS tokens in custom resources (KEDA objects) too", () => {
        const so = { spec: { triggers: [{ metadata: { connection: "https://a.queue.core.windows.net/q?sv=2022-11-02&sp=r&sig=abc%3D" } }] } };
        expect(checkNoConnectionStrings("kubernetes:keda.sh/v1alpha1:ScaledObject", so, "so")).toEqual([expect.stringMatching(/spec.triggers\[0\].metadata.connection holds a SAS signature/)]);
    });
    it("ignores non-Kubernetes resources (Azure resources are other policies' business)", () => {
        expect(checkNoConnectionStrings(SA, { note: STORAGE }, "a")).toEqual([]);
    });
});

describe("the pack's policy objects", () => {
    it("report each violation of their pure check through reportViolation, mandatory", () => {
        const reported: string[] = [];
        const acr = resourcePolicies.find((p) => p.name === "kedascale-acr-no-admin-user")!;
        const validate = acr.validateResource as (args: unknown, report: (m: string) => void) => void;
        validate({ type: ACR, props: { registryName: "r", adminUserEnabled: true }, name: "r" }, (m: string) => reported.push(m));
        expect(reported).toEqual([expect.stringMatching(/admin user/)]);
        expect([...resourcePolicies, ...stackPolicies].every((p) => p.enforcementLevel === "mandatory")).toBe(true);
        expect(new Set([...resourcePolicies, ...stackPolicies].map((p) => p.name)).size).toBe(7);
    });
    it("only policy/index.ts constructs the PolicyPack (its constructor serves gRPC)", async () => {
        const { readFileSync, readdirSync } = await import("node:fs");
        const { join } = await import("node:path");
        const dir = join(__dirname, "..", "policy", "policies");
        for (const f of readdirSync(dir)) expect(readFileSync(join(dir, f), "utf8")).not.toMatch(/new PolicyPack/);
        expect(readFileSync(join(__dirname, "..", "policy", "index.ts"), "utf8")).toMatch(/new PolicyPack\("kedascale"/);
    });
});
