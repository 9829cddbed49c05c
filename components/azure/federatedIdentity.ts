/** A user-assigned identity trusted by one Kubernetes ServiceAccount through the cluster's OIDC issuer (FACTS §4). */
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as pulumi from "@pulumi/pulumi";
import { federatedCredentialName } from "../plan/names";

export interface FederatedIdentityArgs {
    /** Resource group of the identity. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region of the identity. */
    location: pulumi.Input<string>;
    /** Azure name of the identity: 3–128 letters, digits, '-' and '_', unique in the resource group. */
    identityName: pulumi.Input<string>;
    /** Cluster OIDC issuer URL the credential trusts. */
    issuer: pulumi.Input<string>;
    /** Namespace of the trusted ServiceAccount. */
    namespace: string;
    /** Name of the trusted ServiceAccount. */
    serviceAccount: string;
}

/** What federatedIdentity creates; the caller exposes these as its public children. */
export interface FederatedIdentity {
    readonly identity: managedidentity.UserAssignedIdentity;
    /** Anything that gets a token as this identity (a pod, KEDA's operator) must wait for it. */
    readonly federation: managedidentity.FederatedIdentityCredential;
}

/**
 * Creates the identity and its one federated credential, as children `${name}-identity` and `${name}-federation`
 * of `parent`. Were an identity to get more than one credential, they would have to be chained with dependsOn:
 * concurrent writes on one identity fail (FACTS §4).
 */
export function federatedIdentity(name: string, args: FederatedIdentityArgs, parent: pulumi.Resource): FederatedIdentity {
    const identity = new managedidentity.UserAssignedIdentity(
        `${name}-identity`,
        { resourceName: args.identityName, resourceGroupName: args.resourceGroupName, location: args.location },
        { parent },
    );
    const federation = new managedidentity.FederatedIdentityCredential(
        `${name}-federation`,
        {
            resourceGroupName: args.resourceGroupName,
            resourceName: identity.name,
            // `<namespace>-<serviceAccount>`: a bare ServiceAccount name can be shorter than the 3 characters Entra needs.
            federatedIdentityCredentialResourceName: federatedCredentialName(args.namespace, args.serviceAccount),
            issuer: args.issuer,
            subject: `system:serviceaccount:${args.namespace}:${args.serviceAccount}`,
            audiences: ["api://AzureADTokenExchange"],
        },
        { parent },
    );
    return { identity, federation };
}
