/** Built-in Azure role definition GUIDs (FACTS §5) and the one way this program assigns them. */
import * as authorization from "@pulumi/azure-native/authorization";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";

export const ROLES = {
    serviceBusDataReceiver: "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0",
    serviceBusDataSender: "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39",
    serviceBusDataOwner: "090c5cfd-751d-490a-894a-3ce6f1109419",
    storageQueueDataContributor: "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
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

/** RFC 4122 §4.3 name-based UUID, version 5 (SHA-1). */
export function uuidV5(namespace: string, name: string): string {
    const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
    if (ns.length !== 16) throw new Error(`uuidV5: namespace ${namespace} is not a UUID`);
    const hash = createHash("sha1").update(ns).update(Buffer.from(name, "utf8")).digest().subarray(0, 16);
    hash[6] = (hash[6] & 0x0f) | 0x50; // version 5
    hash[8] = (hash[8] & 0x3f) | 0x80; // RFC 4122 variant
    const hex = hash.toString("hex");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The namespace ARM template / Bicep `guid()` hashes under: `guid(a, b, c)` is uuidV5(this, "a-b-c")
 * (Bicep string-functions doc; the same constant is used by Terraform modules that match Bicep's names).
 */
export const ARM_GUID_NAMESPACE = "11fb06fb-712d-4ddd-98c7-e71bbd588830";

/** Bicep's `guid(...parts)`: deterministic, so the same inputs always name the same resource. */
export function armGuid(...parts: string[]): string {
    return uuidV5(ARM_GUID_NAMESPACE, parts.join("-"));
}

/**
 * A role assignment's name, from (scope, principal, role) as Bicep's idiom `guid(scope, principalId, roleId)`.
 * ARM allows one assignment per (principal, role, scope) and refuses a second with RoleAssignmentExists
 * (FACTS §5): a random name makes a lost or re-imported state fail; this one converges on the existing
 * assignment. ARM ids are case-insensitive and ARM does not always echo their casing, so parts are lowercased.
 */
export function roleAssignmentName(scope: string, principalId: string, role: RoleName): string {
    return armGuid(scope.toLowerCase(), principalId.toLowerCase(), ROLES[role]);
}

/**
 * A role assignment for a managed identity. principalType ServicePrincipal lets ARM skip the Entra
 * lookup that fails with PrincipalNotFound while a fresh identity replicates (FACTS §5).
 */
export function grantRole(name: string, grant: RoleGrant, opts: pulumi.CustomResourceOptions): authorization.RoleAssignment {
    return new authorization.RoleAssignment(
        name,
        {
            roleAssignmentName: pulumi.all([grant.scope, grant.principalId]).apply(([scope, principal]) => roleAssignmentName(scope, principal, grant.role)),
            principalId: grant.principalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: roleDefinitionId(grant.role),
            scope: grant.scope,
        },
        // A replacement has the same (principal, role, scope) as what it replaces: creating it first would
        // collide with RoleAssignmentExists, so delete first.
        { deleteBeforeReplace: true, ...opts },
    );
}
