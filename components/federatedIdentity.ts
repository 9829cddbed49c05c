/** A user-assigned identity trusted by one Kubernetes ServiceAccount through the cluster's OIDC issuer (FACTS §4). */
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as pulumi from "@pulumi/pulumi";
import { federatedCredentialName } from "./plan/names";

export interface FederatedIdentityArgs {
    resourceGroupName: pulumi.Input<string>;
    location: pulumi.Input<string>;
    /** Azure name of the identity. */
    identityName: string;
    /** Cluster OIDC issuer URL. */
    issuer: pulumi.Input<string>;
    namespace: string;
    serviceAccount: string;
}

/**
 * Creates the identity and its one federated credential. Were an identity to get more than one, they would have
 * to be chained with dependsOn: concurrent writes on one identity fail (FACTS §4).
 */
export function federatedIdentity(name: string, args: FederatedIdentityArgs, parent: pulumi.Resource) {
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
