/**
 * What each identity may do, and nothing more (built-in role GUIDs from Azure's built-in roles list).
 *
 * Deployer (one per stack): Contributor creates and deletes the stack's resources (and pushes to its ACR, whose
 * control-plane push/pull actions Contributor includes on a non-ABAC registry); the main program also assigns
 * roles, which Contributor cannot. Owner or User Access Administrator could, but for any role to anyone. Role
 * Based Access Control Administrator with a condition (Azure ABAC "constrain roles" delegation: conditions on
 * Microsoft.Authorization/roleAssignments/write and /delete with the RoleDefinitionId and PrincipalType
 * attributes, learn.microsoft.com role-based-access-control/delegate-role-assignments-*) can only assign or remove
 * the roles kedascale assigns (components/azure/roles.ts ROLES), and only to service principals (managed identities).
 *
 * CI preview (GitHub Actions, optional): Reader sees the resources; Azure Kubernetes Service Cluster User Role
 * lists the cluster-user kubeconfig the main program reads on preview (listClusterUserCredential action). Nothing
 * more: the virtual-node credential's listkeys / listServiceSas POSTs stay out of previews rather than being granted
 * here, so a pull-request-triggered identity never holds a data credential (docs/deployments.md). test/deployments.test.ts
 * checks every call each CI preview makes against these roles (deployments/azureActions.ts maps calls to actions).
 */
import { ROLES } from "../components/azure/roles";

export const DEPLOYER_ROLES = {
    contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    rbacAdministrator: "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
} as const;

export const CI_ROLES = {
    reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    aksClusterUser: "4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
} as const;

/** The roles the main program assigns: exactly those its role assignments may use. */
export const DELEGABLE_ROLES: readonly string[] = Object.values(ROLES);

/**
 * ABAC condition (conditionVersion 2.0) for the deployer's RBAC-administrator assignment: writes and deletes of
 * role assignments are allowed only for the delegable roles, and writes only to service principals.
 */
export function delegationCondition(roleGuids: readonly string[] = DELEGABLE_ROLES): string {
    const set = `{${roleGuids.join(", ")}}`;
    return (
        "(\n" +
        " (\n" +
        "  !(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})\n" +
        " )\n" +
        " OR\n" +
        " (\n" +
        `  @Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals ${set}\n` +
        "  AND\n" +
        "  @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}\n" +
        " )\n" +
        ")\n" +
        "AND\n" +
        "(\n" +
        " (\n" +
        "  !(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})\n" +
        " )\n" +
        " OR\n" +
        " (\n" +
        `  @Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals ${set}\n` +
        " )\n" +
        ")"
    );
}

export function scopeId(subscriptionId: string, scope: "subscription" | "resourceGroup", resourceGroup: string): string {
    return scope === "subscription" ? `/subscriptions/${subscriptionId}` : `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}

export function roleDefinitionId(subscriptionId: string, guid: string): string {
    return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
}
