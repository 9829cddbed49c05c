/**
 * The ESC path (`credentials: esc`): an environment whose `fn::open::azure-login` with `oidc: true` logs in as the
 * stack's deployer identity and exports the ARM_* variables azure-native reads (pulumi docs, ESC azure-login;
 * FACTS §10). `subjectAttributes: [currentEnvironment.name]` makes the token's subject name this environment
 * rather than the org-wide `<yaml>` literal a stack import presents by default (see subjects.ts). subjectAttributes
 * is an input of `fn::open::azure-login` itself, next to `oidc` (pulumi/docs esc/integrations/dynamic-login-credentials/
 * azure-login.md inputs table; esc/guides/configuring-oidc/azure.md "Subject claim customization" example). The token
 * ESC mints carries audience `azure:<org>`, which the identity's federated credential trusts (subjects.ts escAudience).
 */
import { stringify } from "yaml";

export interface AzureLogin {
    clientId: string;
    tenantId: string;
    subscriptionId: string;
}

export function escEnvironmentYaml(login: AzureLogin): string {
    return stringify({
        values: {
            azure: {
                login: {
                    "fn::open::azure-login": { ...login, oidc: true, subjectAttributes: ["currentEnvironment.name"] },
                },
            },
            environmentVariables: {
                ARM_USE_OIDC: "true",
                ARM_CLIENT_ID: "${azure.login.clientId}",
                ARM_TENANT_ID: "${azure.login.tenantId}",
                ARM_SUBSCRIPTION_ID: "${azure.login.subscriptionId}",
                ARM_OIDC_TOKEN: "${azure.login.oidc.token}",
            },
        },
    });
}
