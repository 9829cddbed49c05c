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

/** What Pulumi Deployments' Azure OIDC and ESC's `azure-login` export (FACTS §10), as terraform/azure-native read them. */
export interface ArmOidcEnv {
    ARM_USE_OIDC?: string;
    ARM_CLIENT_ID?: string;
    ARM_TENANT_ID?: string;
    /** The OIDC (JWT) token itself. */
    ARM_OIDC_TOKEN?: string;
    /** GitHub-Actions-style: GET <url>&audience=api://AzureADTokenExchange with `Authorization: Bearer <request token>`. */
    ARM_OIDC_REQUEST_URL?: string;
    ARM_OIDC_REQUEST_TOKEN?: string;
}

/** Audience Entra expects on a federated (client assertion) token. */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/** Pipeline options for the credential (e.g. an https agent; tests trust a local token endpoint with it). */
export type CredentialClientOptions = Record<string, unknown> & { authorityHost?: string };

export type DeployerCredentialSource = "armOidc" | "default";

/** Which credential the environment asks for: ARM OIDC when ARM_USE_OIDC is true or an OIDC token source is set. */
export function deployerCredentialSource(env: ArmOidcEnv): DeployerCredentialSource {
    const useOidc = (env.ARM_USE_OIDC ?? "").toLowerCase() === "true";
    return useOidc || env.ARM_OIDC_TOKEN || env.ARM_OIDC_REQUEST_URL ? "armOidc" : "default";
}

/** Fetches the OIDC token from ARM_OIDC_TOKEN, or from the request endpoint (fresh on every call: they expire). */
export async function armOidcToken(env: ArmOidcEnv): Promise<string> {
    if (env.ARM_OIDC_TOKEN) return env.ARM_OIDC_TOKEN;
    const url = new URL(env.ARM_OIDC_REQUEST_URL!);
    url.searchParams.set("audience", TOKEN_EXCHANGE_AUDIENCE);
    const res = await fetch(url, { headers: { authorization: `Bearer ${env.ARM_OIDC_REQUEST_TOKEN}`, accept: "application/json" } });
    const text = await res.text();
    // Never echo the body: on success it is the token.
    if (!res.ok) throw new Error(`OIDC token request to ${url.origin}${url.pathname} failed: HTTP ${res.status}. Check ARM_OIDC_REQUEST_URL and ARM_OIDC_REQUEST_TOKEN.`);
    const value = (JSON.parse(text) as { value?: string }).value;
    if (!value) throw new Error(`OIDC token request to ${url.origin}${url.pathname} returned no "value"`);
    return value;
}

/** Missing ARM_* variables for OIDC, by name; empty when complete. */
export function missingArmOidcVariables(env: ArmOidcEnv): string[] {
    const missing: string[] = [];
    if (!env.ARM_CLIENT_ID) missing.push("ARM_CLIENT_ID");
    if (!env.ARM_TENANT_ID) missing.push("ARM_TENANT_ID");
    if (!env.ARM_OIDC_TOKEN && !(env.ARM_OIDC_REQUEST_URL && env.ARM_OIDC_REQUEST_TOKEN)) missing.push("ARM_OIDC_TOKEN (or ARM_OIDC_REQUEST_URL and ARM_OIDC_REQUEST_TOKEN)");
    return missing;
}

/**
 * The deployer's Azure credential. Pulumi Deployments and ESC `azure-login` hand the program ARM_* variables that
 * DefaultAzureCredential does not read (FACTS §10): with them, a ClientAssertionCredential exchanges the OIDC token
 * for an Entra token. Otherwise DefaultAzureCredential (az login, AZURE_* variables, managed identity).
 */
export async function deployerCredential(env: ArmOidcEnv & Record<string, string | undefined> = process.env, clientOptions: CredentialClientOptions = {}) {
    const identity = await import("@azure/identity");
    if (deployerCredentialSource(env) === "armOidc") {
        const missing = missingArmOidcVariables(env);
        if (missing.length) throw new Error(`Azure OIDC login (ARM_USE_OIDC / ARM_OIDC_*) is incomplete: set ${missing.join(", ")}; or unset them to use az login`);
        return new identity.ClientAssertionCredential(env.ARM_TENANT_ID!, env.ARM_CLIENT_ID!, () => armOidcToken(env), clientOptions);
    }
    return new identity.DefaultAzureCredential(clientOptions);
}

export interface AcrCredentialsOptions {
    /** Environment to read ARM_* / AZURE_* from. Default: process.env. */
    env?: ArmOidcEnv & Record<string, string | undefined>;
    /** Credential pipeline options. Default: none. */
    clientOptions?: CredentialClientOptions;
    /** Registry base URL for the exchange. Default: https://<loginServer>. */
    exchangeBaseUrl?: string;
}

/** Docker registry credentials for the deployer: Entra token (az login, or Deployments/ESC OIDC) exchanged for an ACR refresh token. */
export async function acrCredentials(loginServer: string, tenantId: string, opts: AcrCredentialsOptions = {}): Promise<{ username: string; password: string }> {
    const credential = await deployerCredential(opts.env ?? process.env, opts.clientOptions ?? {});
    const token = await credential.getToken("https://management.azure.com/.default");
    if (!token) throw new Error("no Azure token for the deployer: run az login, or configure Azure OIDC for the deployment");
    return { username: ACR_TOKEN_USERNAME, password: await exchangeForAcrRefreshToken({ loginServer, tenantId, accessToken: token.token, baseUrl: opts.exchangeBaseUrl }) };
}
