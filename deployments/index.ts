/**
 * kedascale-deployments: push-to-deploy for the kedascale stacks, in its own small program (Pulumi advises
 * against a stack managing its own deployment settings, FACTS §10). Per target stack: a deployer identity
 * federated with Pulumi's OIDC issuer (no client secret), its roles, and the stack's Deployments settings; plus
 * the read-only identity CI's policy-checked previews log in with. Config is validated before anything is
 * registered.
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import { CiIdentity } from "./ciIdentity";
import { PROJECT, parseConfig } from "./config";
import { readRepo } from "./repo";
import { StackDeployment } from "./stackDeployment";

const rawConfig: Record<string, unknown> = {};
const cfg = new pulumi.Config(PROJECT);
for (const k of ["organization", "project", "repository", "repoDir", "location", "identityResourceGroup"]) rawConfig[k] = cfg.get(k);
rawConfig.githubActions = cfg.getObject<unknown>("githubActions");
rawConfig.stacks = cfg.getObject<unknown>("stacks");
for (const k of Object.keys(rawConfig)) if (rawConfig[k] === undefined) delete rawConfig[k];

// The repository this program runs from: deployments/ sits next to kedascale's Pulumi.yaml (or under repoDir).
const repoRoot = join(__dirname, "..");
const config = parseConfig(rawConfig, readRepo(join(repoRoot, typeof rawConfig.repoDir === "string" ? rawConfig.repoDir : ".")), pulumi.getOrganization());

const client = authorization.getClientConfigOutput();
const group = new resources.ResourceGroup("identities", { resourceGroupName: config.identityResourceGroup, location: config.location });

const deployments = config.stacks.map(
    (stack) =>
        new StackDeployment(`stack-${stack.name}`, {
            organization: config.organization,
            project: config.project,
            repository: config.repository,
            repoDir: config.repoDir,
            stack,
            identityResourceGroupName: group.name,
            location: config.location,
            identityName: `${config.project}-deploy-${stack.name}`.slice(0, 128),
            subscriptionId: client.subscriptionId,
            tenantId: client.tenantId,
        }),
);

const ci = config.githubActions
    ? new CiIdentity("ci", {
          repository: config.repository,
          stacks: config.stacks,
          identityResourceGroupName: group.name,
          location: config.location,
          identityName: `${config.project}-ci-preview`,
          subscriptionId: client.subscriptionId,
          dependsOn: deployments.flatMap((d) => (d.resourceGroup ? [d.resourceGroup] : [])),
      })
    : undefined;

/** Per stack: who deploys it, where its roles apply, and (resource-group scope) the one-time adoption command. */
export const stacks = Object.fromEntries(
    config.stacks.map((s, i) => [
        s.name,
        {
            deployerClientId: deployments[i].clientId,
            credentials: s.credentials,
            scope: deployments[i].scope,
            ...(s.scope === "resourceGroup"
                ? { adoptResourceGroup: deployments[i].scope.apply((id) => `pulumi import --stack ${s.name} --yes azure-native:resources:ResourceGroup group ${id}`) }
                : {}),
        },
    ]),
);
/** For the repository's Actions variables (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_SUBSCRIPTION_ID). */
export const ciPreview = ci ? { clientId: ci.clientId, tenantId: client.tenantId, subscriptionId: client.subscriptionId } : undefined;
