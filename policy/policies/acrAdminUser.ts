/**
 * No ACR admin user: its static password would be a long-lived shared credential. Pulls use the kubelet
 * identity's AcrPull; pushes exchange the deployer's Entra token (FACTS §10). ARM's default is off, so only an
 * explicit `adminUserEnabled: true` is a violation.
 */
import { displayName, isAzureType, resourcePolicy, type Props } from "./common";

export function checkAcrAdminUser(type: string, props: Props, name: string): string[] {
    if (!isAzureType(type, "containerregistry", "Registry")) return [];
    return props.adminUserEnabled === true
        ? [`container registry ${displayName(props, "registryName", name)} enables the admin user (adminUserEnabled: true); set adminUserEnabled: false and grant AcrPull/AcrPush to identities instead`]
        : [];
}

export const acrAdminUserPolicy = resourcePolicy(
    "kedascale-acr-no-admin-user",
    "Container registries must not enable the admin user: pull and push with Entra identities (AcrPull/AcrPush).",
    checkAcrAdminUser,
);
