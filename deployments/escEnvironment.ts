/**
 * The ESC path (`credentials: esc`): an environment whose `fn::open::azure-login` with `oidc: true` logs in as the
 * stack's deployer identity and exports the ARM_* variables azure-native reads (pulumi docs, ESC azure-login;
 * FACTS §10). `subjectAttributes: [currentEnvironment.name]` makes the token's subject name this environment
 * rather than the org-wide `<yaml>` literal a stack import presents by default (see subjects.ts). Where
 * azure-login takes subjectAttributes (next to `oidc`, as `pulumi env provider azure-login oidc --subject-attribute`
 * writes it) is UNCONFIRMED against a live ESC: check `pulumi env open` once after set-up.
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
