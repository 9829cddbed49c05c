/**
 * One kedascale stack's push-to-deploy: its deployer identity (user-assigned, no secret) with one federated
 * credential per OIDC subject, its roles on the stack's scope, and its Pulumi Deployments settings.
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import * as pulumiservice from "@pulumi/pulumiservice";
import { armGuid } from "../components/azure/roles";
import type { TargetStack } from "./config";
import { escEnvironmentYaml } from "./escEnvironment";
import { DELEGABLE_ROLES, DEPLOYER_ROLES, delegationCondition, roleDefinitionId, scopeId } from "./roles";
import { DEPLOY_OPERATIONS, PULUMI_OIDC_ISSUER, deployAudience, deploySubject, escAudience, escSubject, ficName } from "./subjects";

export interface StackDeploymentArgs {
    /** Pulumi organization (OIDC audience) and the kedascale project. */
    organization: string;
    project: string;
    /** GitHub `owner/repo`, and the folder of kedascale's Pulumi.yaml in it. */
    repository: string;
    repoDir: string;
    stack: TargetStack;
    /** Resource group and region of the identity. */
    identityResourceGroupName: pulumi.Input<string>;
    location: string;
    /** Azure name of the identity: 3–128 letters, digits, '-', '_'. */
    identityName: string;
    subscriptionId: pulumi.Input<string>;
    tenantId: pulumi.Input<string>;
}

/** A user-assigned identity with federated credentials created one after another (concurrent writes on one identity fail, FACTS §4). */
export function federatedIdentity(
    name: string,
    args: { resourceGroupName: pulumi.Input<string>; location: string; identityName: string; issuer: string; audience: string; subjects: { name: string; subject: string }[] },
    parent: pulumi.Resource,
): managedidentity.UserAssignedIdentity {
    const identity = new managedidentity.UserAssignedIdentity(`${name}-identity`, { resourceGroupName: args.resourceGroupName, location: args.location, resourceName: args.identityName }, { parent });
    let previous: pulumi.Resource | undefined;
    for (const s of args.subjects) {
        previous = new managedidentity.FederatedIdentityCredential(
            `${name}-${s.name}`,
            {
                resourceGroupName: args.resourceGroupName,
                resourceName: identity.name,
                federatedIdentityCredentialResourceName: s.name,
                issuer: args.issuer,
                subject: s.subject,
                audiences: [args.audience],
            },
            { parent, dependsOn: previous ? [previous] : [] },
        );
    }
    return identity;
}

/** A role assignment named like Bicep's guid(scope, principal, role), so a lost state converges (FACTS §5). */
export function assignRole(
    name: string,
    args: { subscriptionId: pulumi.Input<string>; scope: pulumi.Input<string>; principalId: pulumi.Input<string>; roleGuid: string; condition?: string },
    parent: pulumi.Resource,
    dependsOn: pulumi.Resource[] = [],
): authorization.RoleAssignment {
    return new authorization.RoleAssignment(
        name,
        {
            roleAssignmentName: pulumi.all([args.scope, args.principalId]).apply(([scope, principal]) => armGuid(scope.toLowerCase(), principal.toLowerCase(), args.roleGuid)),
            principalId: args.principalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: pulumi.output(args.subscriptionId).apply((sub) => roleDefinitionId(sub, args.roleGuid)),
            scope: args.scope,
            ...(args.condition ? { condition: args.condition, conditionVersion: "2.0" } : {}),
        },
        { parent, dependsOn },
    );
}

/** A branch name as the full ref Deployments' source settings take: `main` → `refs/heads/main`. */
export function gitBranchRef(branch: string): string {
    return `refs/heads/${branch}`;
}

export class StackDeployment extends pulumi.ComponentResource {
    /** Client id of the stack's deployer identity. */
    public readonly clientId: pulumi.Output<string>;
    /** The id the deployer's roles are scoped to. */
    public readonly scope: pulumi.Output<string>;
    public readonly settings: pulumiservice.DeploymentSettings;
    /** The stack's resource group, created here when scope is resourceGroup. */
    public readonly resourceGroup?: resources.ResourceGroup;

    constructor(name: string, args: StackDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:deployments:StackDeployment", name, {}, opts);
        const s = args.stack;
        const subjects =
            s.credentials === "oidc"
                ? DEPLOY_OPERATIONS.map((op) => ({ name: ficName("pulumi", s.name, op), subject: deploySubject(args.organization, args.project, s.name, op) }))
                : [{ name: ficName("esc", s.escEnvironment!), subject: escSubject(args.organization, s.escEnvironment!) }];
        // Deployments OIDC sends the org as audience, ESC azure-login `azure:<org>` (subjects.ts cites both sources):
        // the same identity cannot serve both, and a wrong audience fails every login with AADSTS700212.
        const audience = s.credentials === "oidc" ? deployAudience(args.organization) : escAudience(args.organization, s.escEnvironment!);
        const identity = federatedIdentity(
            name,
            { resourceGroupName: args.identityResourceGroupName, location: args.location, identityName: args.identityName, issuer: PULUMI_OIDC_ISSUER, audience, subjects },
            this,
        );

        // Resource-group scope: the identity cannot create the group, so this program creates it (the same name and
        // region the main program uses); the stack adopts it once (README: `pulumi import`).
        if (s.scope === "resourceGroup") {
            this.resourceGroup = new resources.ResourceGroup(`${name}-group`, { resourceGroupName: s.resourceGroup.name, location: s.resourceGroup.location }, { parent: this, retainOnDelete: true });
        }
        const dependsOn: pulumi.Resource[] = this.resourceGroup ? [this.resourceGroup] : [];
        this.scope = pulumi.output(args.subscriptionId).apply((sub) => scopeId(sub, s.scope, s.resourceGroup.name));
        const grant = { subscriptionId: args.subscriptionId, scope: this.scope, principalId: identity.principalId };
        assignRole(`${name}-contributor`, { ...grant, roleGuid: DEPLOYER_ROLES.contributor }, this, dependsOn);
        assignRole(`${name}-role-delegation`, { ...grant, roleGuid: DEPLOYER_ROLES.rbacAdministrator, condition: delegationCondition(DELEGABLE_ROLES) }, this, dependsOn);
        this.clientId = identity.clientId;

        let environment: pulumiservice.Environment | undefined;
        if (s.credentials === "esc") {
            const [envProject, envName] = s.escEnvironment!.split("/");
            environment = new pulumiservice.Environment(
                `${name}-environment`,
                {
                    organization: args.organization,
                    project: envProject,
                    name: envName,
                    yaml: pulumi
                        .all([identity.clientId, args.tenantId, args.subscriptionId])
                        .apply(([clientId, tenantId, subscriptionId]) => new pulumi.asset.StringAsset(escEnvironmentYaml({ clientId, tenantId, subscriptionId }))),
                },
                { parent: this },
            );
        }

        this.settings = new pulumiservice.DeploymentSettings(
            `${name}-settings`,
            {
                organization: args.organization,
                project: args.project,
                stack: s.name,
                // The VCS integration supplies the repository: no repoUrl, no git credentials here. The branch as a full
                // ref: every example of the settings API and of this provider writes `refs/heads/<branch>`, including the
                // VCS one (pulumi/docs reference/cloud-rest-api/deployments "Get Settings"/"Patch Settings";
                // pulumi/pulumi-pulumiservice examples/yaml-deployment-settings-vcs, ts-deployment-settings), and it is
                // what Pulumi Cloud itself stores. Config takes the short name (also used in GitHub's OIDC subject).
                sourceContext: { git: { branch: gitBranchRef(s.branch), repoDir: args.repoDir } },
                vcs: {
                    provider: "github",
                    repository: args.repository,
                    paths: [...s.paths],
                    deployCommits: s.deployCommits,
                    previewPullRequests: s.previewPullRequests,
                    pullRequestTemplate: s.reviewStacks,
                },
                operationContext: {
                    // The program and its tests are one npm workspace: one install, from the lockfile.
                    preRunCommands: ["npm ci --no-audit --no-fund"],
                    ...(s.credentials === "oidc" ? { oidc: { azure: { clientId: identity.clientId, tenantId: args.tenantId, subscriptionId: args.subscriptionId } } } : {}),
                },
            },
            { parent: this, dependsOn: environment ? [environment] : [] },
        );
        this.registerOutputs({ clientId: this.clientId, scope: this.scope });
    }
}
