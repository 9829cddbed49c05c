/**
 * The GitHub Actions identity behind CI's `pulumi preview --policy-pack ./policy` (.github/workflows/ci.yml,
 * azure/login with OIDC, no secret): read-only on every target stack's scope, plus the cluster-user credential
 * listing the main program reads on preview (roles.ts CI_ROLES; every call a preview makes is checked against them in
 * test/deployments.test.ts). Pushes and deployments never use it.
 */
import * as pulumi from "@pulumi/pulumi";
import type { TargetStack } from "./config";
import { CI_ROLES, scopeId } from "./roles";
import { assignRole, federatedIdentity } from "./stackDeployment";
import { ENTRA_TOKEN_EXCHANGE_AUDIENCE, GITHUB_OIDC_ISSUER, ficName, githubSubjects } from "./subjects";

export interface CiIdentityArgs {
    repository: string;
    stacks: readonly TargetStack[];
    identityResourceGroupName: pulumi.Input<string>;
    location: string;
    identityName: string;
    subscriptionId: pulumi.Input<string>;
    /** Resources the role assignments must wait for (resource groups this program creates). */
    dependsOn?: pulumi.Resource[];
}

export class CiIdentity extends pulumi.ComponentResource {
    public readonly clientId: pulumi.Output<string>;

    constructor(name: string, args: CiIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:deployments:CiIdentity", name, {}, opts);
        const subjects = githubSubjects(args.repository, args.stacks.map((s) => s.branch)).map((subject) => ({
            name: ficName("github", subject.replace(/^repo:[^:]+:/, "")),
            subject,
        }));
        const identity = federatedIdentity(
            name,
            { resourceGroupName: args.identityResourceGroupName, location: args.location, identityName: args.identityName, issuer: GITHUB_OIDC_ISSUER, audience: ENTRA_TOKEN_EXCHANGE_AUDIENCE, subjects },
            this,
        );
        // One assignment per distinct scope: two stacks at subscription scope share it.
        const scopes = new Map<string, TargetStack>();
        for (const s of args.stacks) scopes.set(s.scope === "subscription" ? "subscription" : `rg-${s.resourceGroup.name}`, s);
        for (const [label, s] of scopes) {
            const scope = pulumi.output(args.subscriptionId).apply((sub) => scopeId(sub, s.scope, s.resourceGroup.name));
            for (const [role, guid] of Object.entries(CI_ROLES)) {
                assignRole(`${name}-${label}-${role}`, { subscriptionId: args.subscriptionId, scope, principalId: identity.principalId, roleGuid: guid }, this, args.dependsOn ?? []);
            }
        }
        this.clientId = identity.clientId;
        this.registerOutputs({ clientId: this.clientId });
    }
}
