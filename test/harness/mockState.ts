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
    "azure-native:storage:StorageAccount": "accountName",
    "azure-native:storage:Queue": "queueName",
    "azure-native:storage:BlobContainer": "containerName",
    "azure-native:authorization:RoleAssignment": "roleAssignmentName",
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
        case "azure-native:storage:StorageAccount":
            state.primaryEndpoints = { blob: `https://${azureName}.blob.core.windows.net/`, queue: `https://${azureName}.queue.core.windows.net/` };
            break;
    }
    return { id, state };
}

export function mockCall(token: string, inputs: Record<string, unknown>): Record<string, unknown> {
    switch (token) {
        case "azure-native:authorization:getClientConfig":
            return { subscriptionId: MOCK_SUBSCRIPTION, tenantId: MOCK_TENANT, clientId: fakeGuid("deployer"), objectId: fakeGuid("deployer-object") };
        case "azure-native:containerservice:listManagedClusterUserCredentials": {
            const kubeconfig = `apiVersion: v1\nkind: Config\nclusters: [{name: ${String(inputs.resourceName)}, cluster: {server: "https://mock"}}]\n`;
            return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(kubeconfig).toString("base64") }] };
        }
        default:
            throw new Error(`unmocked call ${token}: add it to test/harness/mockState.ts`);
    }
}
