/**
 * Which Azure RBAC actions the main program's provider functions (invokes) need, and which actions the roles this
 * program grants allow: so tests can check that every identity can make every call its operation makes (a preview
 * runs every invoke whose inputs are known, i.e. every invoke once the stack exists).
 *
 * Invoke → action: each azure-native function is one ARM REST call (the azure-native schema's `x-ms` operation), and
 * each ARM call is authorized as the resource provider's operation (learn.microsoft.com azure/role-based-access-control/
 * resource-provider-operations; MicrosoftDocs/azure-docs articles/role-based-access-control/built-in-roles.md):
 * - listManagedClusterUserCredentials: POST …/managedClusters/{name}/listClusterUserCredential →
 *   Microsoft.ContainerService/managedClusters/listClusterUserCredential/action (the one action of "Azure Kubernetes
 *   Service Cluster User Role").
 * - getManagedCluster: GET …/managedClusters/{name} → …/managedClusters/read.
 * - listQueueKeys: POST …/queues/{q}/authorizationRules/{rule}/ListKeys →
 *   Microsoft.ServiceBus/namespaces/queues/authorizationRules/listkeys/action ("Gets the connection string to Queue").
 * - listStorageAccountServiceSAS: POST …/storageAccounts/{name}/ListServiceSas →
 *   Microsoft.Storage/storageAccounts/listServiceSas/action ("Returns the Service SAS token for the specified storage account").
 * - listStorageAccountKeys, listNamespaceKeys, listRegistryCredentials: listed so a new call is checked the same way.
 * - getClientConfig: none. azure-native answers it from its own credential (pulumi-azure-native provider.go Invoke:
 *   client id, tenant, subscription from the auth config, object id from the token), no ARM operation.
 * An invoke missing here fails the access tests: add it with its action and source.
 */

export interface InvokeAccess {
    /** RBAC actions the call needs; empty when it makes no ARM call. */
    readonly actions: readonly string[];
    /** ARM id of the resource the call acts on, from the invoke's arguments; undefined when there is none. */
    resourceId(subscriptionId: string, inputs: Record<string, any>): string | undefined;
}

const rg = (sub: string, i: Record<string, any>) => `/subscriptions/${sub}/resourceGroups/${i.resourceGroupName}`;

export const INVOKE_ACCESS: Readonly<Record<string, InvokeAccess>> = {
    "azure-native:authorization:getClientConfig": { actions: [], resourceId: () => undefined },
    "azure-native:containerservice:listManagedClusterUserCredentials": {
        actions: ["Microsoft.ContainerService/managedClusters/listClusterUserCredential/action"],
        resourceId: (s, i) => `${rg(s, i)}/providers/Microsoft.ContainerService/managedClusters/${i.resourceName}`,
    },
    "azure-native:containerservice:getManagedCluster": {
        actions: ["Microsoft.ContainerService/managedClusters/read"],
        resourceId: (s, i) => `${rg(s, i)}/providers/Microsoft.ContainerService/managedClusters/${i.resourceName}`,
    },
    "azure-native:servicebus:listQueueKeys": {
        actions: ["Microsoft.ServiceBus/namespaces/queues/authorizationRules/listkeys/action"],
        resourceId: (s, i) => `${rg(s, i)}/providers/Microsoft.ServiceBus/namespaces/${i.namespaceName}/queues/${i.queueName}/authorizationRules/${i.authorizationRuleName}`,
    },
    "azure-native:servicebus:listNamespaceKeys": {
        actions: ["Microsoft.ServiceBus/namespaces/authorizationRules/listkeys/action"],
        resourceId: (s, i) => `${rg(s, i)}/providers/Microsoft.ServiceBus/namespaces/${i.namespaceName}/authorizationRules/${i.authorizationRuleName}`,
    },
    "azure-native:storage:listStorageAccountServiceSAS": {
        actions: ["Microsoft.Storage/storageAccounts/listServiceSas/action"],
        resourceId: (s, i) => `${rg(s, i)}/providers/Microsoft.Storage/storageAccounts/${i.accountName}`,
    },
    "azure-native:storage:listStorageAccountKeys": {
        actions: ["Microsoft.Storage/storageAccounts/listkeys/action"],
        resourceId: (s, i) => `${rg(s, i)}/providers/Microsoft.Storage/storageAccounts/${i.accountName}`,
    },
    "azure-native:containerregistry:listRegistryCredentials": {
        actions: ["Microsoft.ContainerRegistry/registries/listCredentials/action"],
        resourceId: (s, i) => `${rg(s, i)}/providers/Microsoft.ContainerRegistry/registries/${i.registryName}`,
    },
};

/** A role's control-plane permissions, as built-in-roles.md lists them. */
export interface RolePermissions {
    readonly name: string;
    readonly actions: readonly string[];
    readonly notActions: readonly string[];
}

/** The built-in roles deployments/ grants (GUIDs in roles.ts), with their Actions and NotActions (built-in-roles.md). */
export const ROLE_PERMISSIONS: Readonly<Record<string, RolePermissions>> = {
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": { name: "Reader", actions: ["*/read"], notActions: [] },
    "4abbcc35-e782-43d8-92c5-2d3f1bd2253f": {
        name: "Azure Kubernetes Service Cluster User Role",
        actions: ["Microsoft.ContainerService/managedClusters/listClusterUserCredential/action"],
        notActions: [],
    },
    "b24988ac-6180-42a0-ab88-20f7382dd24c": {
        name: "Contributor",
        actions: ["*"],
        notActions: [
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
            "Microsoft.Blueprint/blueprintAssignments/write",
            "Microsoft.Blueprint/blueprintAssignments/delete",
            "Microsoft.Compute/galleries/share/action",
            "Microsoft.Purview/consents/write",
            "Microsoft.Purview/consents/delete",
            "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
            "Microsoft.Subscription/cancel/action",
            "Microsoft.Subscription/enable/action",
        ],
    },
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": {
        name: "Role Based Access Control Administrator",
        actions: ["Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete", "*/read", "Microsoft.Support/*"],
        notActions: [],
    },
};

/** Azure's action wildcard match: case-insensitive, `*` matches any run of characters (including '/'). */
export function actionMatches(pattern: string, action: string): boolean {
    const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`, "i");
    return re.test(action);
}

/** Whether a role allows an action: some Actions pattern matches and no NotActions pattern does. */
export function roleAllows(role: RolePermissions, action: string): boolean {
    return role.actions.some((p) => actionMatches(p, action)) && !role.notActions.some((p) => actionMatches(p, action));
}

/** Whether a role assignment at `scope` applies to `resourceId` (a scope covers itself and everything below it). */
export function scopeCovers(scope: string, resourceId: string): boolean {
    const s = scope.toLowerCase().replace(/\/$/, "");
    const r = resourceId.toLowerCase();
    return r === s || r.startsWith(`${s}/`);
}
