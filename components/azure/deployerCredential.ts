/**
 * The deployer's Azure credential, for code that calls Azure itself rather than through azure-native: az login
 * (DefaultAzureCredential), or Pulumi Deployments / ESC OIDC (ARM_* variables, FACTS §10). Used by the ACR push
 * (acrToken.ts) and by the token-password dynamic provider (acrTokenPassword.ts). Its own module so that the dynamic
 * provider's serialized closure captures only this, and tests can replace acrToken.ts's exchange without touching it.
 */

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
    // `require`, not `await import()`: this runs inside the token-password dynamic provider, whose closure Pulumi
    // serializes; a module required by package name is captured as a require, a dynamic import is not serializable
    // once a bundler or test runner has rewritten it. Still lazy: @azure/identity loads only when a token is needed.
    const identity = require("@azure/identity") as typeof import("@azure/identity");
    if (deployerCredentialSource(env) === "armOidc") {
        const missing = missingArmOidcVariables(env);
        if (missing.length) throw new Error(`Azure OIDC login (ARM_USE_OIDC / ARM_OIDC_*) is incomplete: set ${missing.join(", ")}; or unset them to use az login`);
        return new identity.ClientAssertionCredential(env.ARM_TENANT_ID!, env.ARM_CLIENT_ID!, () => armOidcToken(env), clientOptions);
    }
    return new identity.DefaultAzureCredential(clientOptions);
}
