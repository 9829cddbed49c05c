/** Built-in Azure role definition GUIDs (FACTS §5) and the one way this program assigns them. */
import * as authorization from "@pulumi/azure-native/authorization";
import * as pulumi from "@pulumi/pulumi";

export const ROLES = {
    serviceBusDataReceiver: "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0",
    serviceBusDataSender: "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39",
    serviceBusDataOwner: "090c5cfd-751d-490a-894a-3ce6f1109419",
    storageQueueDataMessageProcessor: "8a0f0c08-91a1-4084-bc3d-661d67233fed",
    storageQueueDataReader: "19e7f393-937e-4f77-808e-94535e297925",
    storageQueueDataMessageSender: "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a",
    storageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    acrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    networkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
} as const;
export type RoleName = keyof typeof ROLES;

export interface RoleGrant {
    /** Object (principal) id of the managed identity receiving the role. */
    readonly principalId: pulumi.Input<string>;
    readonly role: RoleName;
    /** Resource id the role is limited to: the narrowest that works (a queue, a container, a subnet). */
    readonly scope: pulumi.Input<string>;
}

/** The subscription's id, read once per program from the provider's client config. */
let subscriptionId: pulumi.Output<string> | undefined;
function currentSubscriptionId(): pulumi.Output<string> {
    subscriptionId ??= authorization.getClientConfigOutput().subscriptionId;
    return subscriptionId;
}

export function roleDefinitionId(role: RoleName): pulumi.Output<string> {
    return pulumi.interpolate`/subscriptions/${currentSubscriptionId()}/providers/Microsoft.Authorization/roleDefinitions/${ROLES[role]}`;
}

/**
 * A role assignment for a managed identity. principalType ServicePrincipal lets ARM skip the Entra
 * lookup that fails with PrincipalNotFound while a fresh identity replicates (FACTS §5).
 */
export function grantRole(name: string, grant: RoleGrant, opts: pulumi.CustomResourceOptions): authorization.RoleAssignment {
    return new authorization.RoleAssignment(
        name,
        {
            principalId: grant.principalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: roleDefinitionId(grant.role),
            scope: grant.scope,
        },
        opts,
    );
}
