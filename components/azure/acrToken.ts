/**
 * Push to ACR without the admin user: exchange the deployer's Entra access token for an ACR refresh token
 * (POST /oauth2/exchange, what `az acr login` does) and log in with the all-zero GUID as user name (FACTS §10).
 */

/** ACR's fixed user name for Entra refresh tokens. */
export const ACR_TOKEN_USERNAME = "00000000-0000-0000-0000-000000000000";

export interface ExchangeRequest {
    /** e.g. myregistry.azurecr.io */
    loginServer: string;
    tenantId: string;
    /** Entra access token of the deployer (ARM audience). */
    accessToken: string;
    /** Where to reach the registry; default https://<loginServer>. Tests point it at a local server. */
    baseUrl?: string;
}

export async function exchangeForAcrRefreshToken(req: ExchangeRequest): Promise<string> {
    const url = `${req.baseUrl ?? `https://${req.loginServer}`}/oauth2/exchange`;
    const body = new URLSearchParams({ grant_type: "access_token", service: req.loginServer, tenant: req.tenantId, access_token: req.accessToken });
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    const text = await res.text();
    if (!res.ok) {
        // The body never contains our token; it is ACR's error JSON.
        throw new Error(`ACR token exchange at ${url} failed: HTTP ${res.status} ${text.slice(0, 300)}. The deployer needs AcrPush (or Owner/Contributor) on the registry.`);
    }
    const token = (JSON.parse(text) as { refresh_token?: string }).refresh_token;
    if (!token) throw new Error(`ACR token exchange at ${url} returned no refresh_token`);
    return token;
}

import { deployerCredential, type ArmOidcEnv, type CredentialClientOptions } from "./deployerCredential";

// The deployer's credential moved to deployerCredential.ts; re-exported for existing callers.
export {
    armOidcToken,
    DEPLOYMENTS_OIDC_TOKEN_FILE,
    deployerCredential,
    deployerCredentialSource,
    deploymentsOidcToken,
    missingArmOidcVariables,
    TOKEN_EXCHANGE_AUDIENCE,
} from "./deployerCredential";
export type { ArmOidcEnv, CredentialClientOptions, DeployerCredentialSource, DeploymentsTokenOptions } from "./deployerCredential";

export interface AcrCredentialsOptions {
    /** Environment to read ARM_* / AZURE_* from. Default: process.env. */
    env?: ArmOidcEnv & Record<string, string | undefined>;
    /** Credential pipeline options. Default: none. */
    clientOptions?: CredentialClientOptions;
    /** Registry base URL for the exchange. Default: https://<loginServer>. */
    exchangeBaseUrl?: string;
    /** Where Pulumi Deployments' OIDC token file is. Default: /mnt/pulumi/pulumi.oidc (deployerCredential.ts). */
    deploymentsTokenFile?: string;
}

/**
 * Docker registry credentials for the deployer: its Entra token exchanged for an ACR refresh token. The token comes from
 * whatever the run provides (deployerCredential.ts): ESC azure-login's ARM_* variables, Pulumi Deployments' own Azure
 * OIDC (ARM_CLIENT_ID / ARM_TENANT_ID and its token file, with no ARM_USE_OIDC), or az login.
 */
export async function acrCredentials(loginServer: string, tenantId: string, opts: AcrCredentialsOptions = {}): Promise<{ username: string; password: string }> {
    const credential = await deployerCredential(opts.env ?? process.env, opts.clientOptions ?? {}, { deploymentsTokenFile: opts.deploymentsTokenFile });
    const token = await credential.getToken("https://management.azure.com/.default");
    if (!token) throw new Error("no Azure token for the deployer: run az login, or configure Azure OIDC for the deployment");
    return { username: ACR_TOKEN_USERNAME, password: await exchangeForAcrRefreshToken({ loginServer, tenantId, accessToken: token.token, baseUrl: opts.exchangeBaseUrl }) };
}
