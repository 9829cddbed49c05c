/**
 * What Azure would return for the outputs the program reads (ids, names, endpoints, identities), computed
 * from the inputs so that assertions can follow references (a role's scope is the queue's id).
 */
import { createHash } from "node:crypto";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";

export const MOCK_SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa";
export const MOCK_TENANT = "00000000-0000-0000-0000-0000000000bb";

/** The input that names the Azure resource, per type (azure-native v3 input names). */
export const NAME_INPUT: Record<string, string> = {
    "azure-native:resources:ResourceGroup": "resourceGroupName",
    "azure-native:network:VirtualNetwork": "virtualNetworkName",
    "azure-native:network:Subnet": "subnetName",
    "azure-native:containerservice:ManagedCluster": "resourceName",
    "azure-native:containerservice:AgentPool": "agentPoolName",
    "azure-native:managedidentity:UserAssignedIdentity": "resourceName",
    "azure-native:managedidentity:FederatedIdentityCredential": "federatedIdentityCredentialResourceName",
    "azure-native:containerregistry:Registry": "registryName",
    "azure-native:servicebus:Namespace": "namespaceName",
    "azure-native:servicebus:Queue": "queueName",
    "azure-native:servicebus:Topic": "topicName",
    "azure-native:servicebus:Subscription": "subscriptionName",
    "azure-native:storage:StorageAccount": "accountName",
    "azure-native:storage:Queue": "queueName",
    "azure-native:storage:BlobContainer": "containerName",
    "azure-native:authorization:RoleAssignment": "roleAssignmentName",
    "azure-native:app:ManagedEnvironment": "environmentName",
    "azure-native:app:Job": "jobName",
    "azure-native:operationalinsights:Workspace": "workspaceName",
    "azure-native:monitor:DiagnosticSetting": "name",
    "azure-native:servicebus:QueueAuthorizationRule": "authorizationRuleName",
    "azure-native:containerregistry:ScopeMap": "scopeMapName",
    "azure-native:containerregistry:Token": "tokenName",
};

/** A short stable GUID-like id derived from a name, so principal ids differ per identity. */
export function fakeGuid(seed: string): string {
    let h = 0;
    for (const c of seed) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    const hex = h.toString(16).padStart(8, "0");
    return `${hex}-0000-4000-8000-${hex}${hex.slice(0, 4)}`;
}

export function mockState(args: MockResourceArgs): { id: string; state: Record<string, unknown> } {
    const inputs = args.inputs as Record<string, any>;
    const azureName: string = inputs[NAME_INPUT[args.type]] ?? args.name;
    const id = `/subscriptions/${MOCK_SUBSCRIPTION}/mock/${args.type.split(":").slice(1).join("/")}/${azureName}`;
    const state: Record<string, unknown> = { ...inputs, name: azureName };
    switch (args.type) {
        case "azure-native:managedidentity:UserAssignedIdentity":
            Object.assign(state, { principalId: fakeGuid(`principal/${azureName}`), clientId: fakeGuid(`client/${azureName}`), tenantId: MOCK_TENANT });
            break;
        case "azure-native:containerservice:ManagedCluster":
            Object.assign(state, {
                oidcIssuerProfile: { enabled: true, issuerURL: `https://oidc.mock/${azureName}/` },
                identityProfile: { kubeletidentity: { objectId: fakeGuid(`kubelet/${azureName}`), clientId: fakeGuid(`kubelet-client/${azureName}`) } },
                addonProfiles: inputs.addonProfiles?.aciConnectorLinux
                    ? { aciConnectorLinux: { ...inputs.addonProfiles.aciConnectorLinux, identity: { objectId: fakeGuid(`aci/${azureName}`) } } }
                    : inputs.addonProfiles,
            });
            break;
        case "azure-native:containerregistry:Registry":
            state.loginServer = `${azureName}.azurecr.io`;
            break;
        case "docker:index/image:Image": {
            const repo = String(inputs.imageName).replace(/:[^:/]+$/, "");
            const digest = createHash("sha256").update(JSON.stringify(inputs.build)).digest("hex");
            Object.assign(state, { repoDigest: `${repo}@sha256:${digest}` });
            break;
        }
        case "pulumi-nodejs:dynamic/acr:TokenCredential":
            // What generateCredentials returns (the provider's own code is tested against a local server).
            Object.assign(state, { username: String(inputs.tokenId).split("/").pop(), password: `mock-token-password/${String(inputs.slot)}`, passwordExpiry: inputs.expiry });
            break;
        case "azure-native:storage:StorageAccount":
            state.primaryEndpoints = { blob: `https://${azureName}.blob.core.windows.net/`, queue: `https://${azureName}.queue.core.windows.net/` };
            break;
    }
    return { id, state };
}

/**
 * An existing AKS cluster as GET managedCluster returns it (azure-native v3 getManagedCluster, API 2025-xx): OIDC
 * issuer and workload identity on, a kubelet identity, a system pool and a Spot pool, no KEDA add-on. Tests change
 * one field through setCallOverride to prove the read-time checks.
 */
export function existingClusterState(inputs: Record<string, unknown>): Record<string, unknown> {
    const rg = String(inputs.resourceGroupName);
    const name = String(inputs.resourceName);
    return {
        id: `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`,
        name,
        type: "Microsoft.ContainerService/ManagedClusters",
        location: "westeurope",
        provisioningState: "Succeeded",
        kubernetesVersion: "1.34.2",
        currentKubernetesVersion: "1.34.2",
        dnsPrefix: name,
        fqdn: `${name}-abc123.hcp.westeurope.azmk8s.io`,
        sku: { name: "Base", tier: "Standard" },
        enableRBAC: true,
        nodeResourceGroup: `MC_${rg}_${name}_westeurope`,
        identity: { type: "SystemAssigned", principalId: fakeGuid(`cp/${name}`), tenantId: MOCK_TENANT },
        identityProfile: {
            kubeletidentity: {
                resourceId: `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/MC_${rg}_${name}_westeurope/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}-agentpool`,
                clientId: fakeGuid(`kubelet-client/${name}`),
                objectId: fakeGuid(`kubelet/${name}`),
            },
        },
        oidcIssuerProfile: { enabled: true, issuerURL: `https://westeurope.oic.prod-aks.azure.com/${MOCK_TENANT}/${fakeGuid(`issuer/${name}`)}/` },
        securityProfile: { workloadIdentity: { enabled: true } },
        workloadAutoScalerProfile: {},
        agentPoolProfiles: [
            { name: "system", mode: "System", vmSize: "Standard_D4ds_v5", count: 3, enableAutoScaling: false, osType: "Linux", type: "VirtualMachineScaleSets" },
            { name: "spot", mode: "User", vmSize: "Standard_D4ds_v5", count: 0, minCount: 0, maxCount: 20, enableAutoScaling: true, scaleSetPriority: "Spot", scaleSetEvictionPolicy: "Delete", spotMaxPrice: -1, osType: "Linux", type: "VirtualMachineScaleSets" },
        ],
        networkProfile: { networkPlugin: "azure", networkPluginMode: "overlay", podCidr: "10.244.0.0/16", serviceCidr: "10.0.0.0/16", dnsServiceIP: "10.0.0.10", outboundType: "loadBalancer" },
    };
}

type CallOverride = (inputs: Record<string, unknown>, result: Record<string, unknown>) => Record<string, unknown>;
const callOverrides = new Map<string, CallOverride>();

/** Changes what one invoke returns (until clearCallOverrides): `override` gets the inputs and the default result. */
export function setCallOverride(token: string, override: CallOverride): void {
    callOverrides.set(token, override);
}
export function clearCallOverrides(): void {
    callOverrides.clear();
}
/** Whether a test has changed what an invoke returns (planCache.ts then neither reuses nor stores a run). */
export function hasCallOverrides(): boolean {
    return callOverrides.size > 0;
}

export function mockCall(token: string, inputs: Record<string, unknown>): Record<string, unknown> {
    const result = defaultCall(token, inputs);
    const override = callOverrides.get(token);
    return override ? override(inputs, result) : result;
}

function defaultCall(token: string, inputs: Record<string, unknown>): Record<string, unknown> {
    switch (token) {
        case "azure-native:containerservice:getManagedCluster":
            return existingClusterState(inputs);
        case "azure-native:authorization:getClientConfig":
            return { subscriptionId: MOCK_SUBSCRIPTION, tenantId: MOCK_TENANT, clientId: fakeGuid("deployer"), objectId: fakeGuid("deployer-object") };
        case "azure-native:containerservice:listManagedClusterUserCredentials": {
            const kubeconfig = `apiVersion: v1\nkind: Config\nclusters: [{name: ${String(inputs.resourceName)}, cluster: {server: "https://mock"}}]\n`;
            return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(kubeconfig).toString("base64") }] };
        }
        // Virtual-node credentials (components/azure/virtualNodeCredential.ts): shaped like Azure's, with a visible
        // "mock" signature so tests can follow each value to the one Secret allowed to hold it.
        case "azure-native:servicebus:listQueueKeys": {
            const ns = String(inputs.namespaceName);
            const key = Buffer.from(`mock-key/${ns}/${String(inputs.queueName)}/${String(inputs.authorizationRuleName)}`).toString("base64");
            const connection = (k: string) => `Endpoint=sb://${ns}.servicebus.windows.net/;SharedAccessKeyName=${String(inputs.authorizationRuleName)};SharedAccessKey=${k};EntityPath=${String(inputs.queueName)}`;
            return { keyName: inputs.authorizationRuleName, primaryKey: key, secondaryKey: `${key}2`, primaryConnectionString: connection(key), secondaryConnectionString: connection(`${key}2`) };
        }
        case "azure-native:storage:listStorageAccountServiceSAS": {
            const sig = Buffer.from(`mock-sig/${String(inputs.canonicalizedResource)}/${String(inputs.permissions)}/${String(inputs.sharedAccessExpiryTime)}`).toString("base64");
            const sr = inputs.resource ? `&sr=${String(inputs.resource)}` : "";
            return { serviceSasToken: `sv=2022-11-02${sr}&sp=${String(inputs.permissions)}&se=${encodeURIComponent(String(inputs.sharedAccessExpiryTime))}&spr=https&sig=${encodeURIComponent(sig)}` };
        }
        default:
            throw new Error(`unmocked call ${token}: add it to test/harness/mockState.ts`);
    }
}
