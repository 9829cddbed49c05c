/**
 * The deployer's Azure credential, for code that calls Azure itself rather than through azure-native: az login
 * (DefaultAzureCredential), ESC `azure-login` (ARM_* variables), or Pulumi Deployments' own Azure OIDC. Used by the
 * ACR push (acrToken.ts) and by the token-password dynamic provider (acrTokenPassword.ts). Its own module so that the
 * dynamic provider's serialized closure captures only this, and tests can replace acrToken.ts's exchange without touching it.
 *
 * What each login hands the program, at its source:
 * - ESC `azure-login` (oidc: true) exports what the environment maps: ARM_USE_OIDC, ARM_CLIENT_ID, ARM_TENANT_ID,
 *   ARM_SUBSCRIPTION_ID and the token as ARM_OIDC_TOKEN (pulumi/docs esc/guides/configuring-oidc/azure.md, the
 *   environment it tells you to write; deployments/escEnvironment.ts writes the same).
 * - Pulumi Deployments' Azure OIDC publishes only ARM_CLIENT_ID, ARM_TENANT_ID and ARM_SUBSCRIPTION_ID; "the raw OIDC
 *   token is also available ... in the PULUMI_OIDC_TOKEN environment variable and the /mnt/pulumi/pulumi.oidc file"
 *   (pulumi/docs deployments/guides/oidc/azure.md). No ARM_USE_OIDC, no ARM_OIDC_TOKEN: a credential that waited for
 *   those would fall through to DefaultAzureCredential, which reads AZURE_* only (FACTS §10) and finds nothing.
 * - GitHub Actions style (ARM_OIDC_REQUEST_URL + ARM_OIDC_REQUEST_TOKEN), as azure-native reads it.
 */

/** What ESC `azure-login`, Pulumi Deployments' Azure OIDC and GitHub-style OIDC export (see above). */
export interface ArmOidcEnv {
    ARM_USE_OIDC?: string;
    ARM_CLIENT_ID?: string;
    ARM_TENANT_ID?: string;
    ARM_SUBSCRIPTION_ID?: string;
    /** The OIDC (JWT) token itself (ESC). */
    ARM_OIDC_TOKEN?: string;
    /** GitHub-Actions-style: GET <url>&audience=api://AzureADTokenExchange with `Authorization: Bearer <request token>`. */
    ARM_OIDC_REQUEST_URL?: string;
    ARM_OIDC_REQUEST_TOKEN?: string;
    /** Pulumi Deployments: the deployment's raw OIDC token (also written to DEPLOYMENTS_OIDC_TOKEN_FILE). */
    PULUMI_OIDC_TOKEN?: string;
}

/** Where Pulumi Deployments writes the deployment's OIDC token (pulumi/docs deployments/guides/oidc/azure.md). */
export const DEPLOYMENTS_OIDC_TOKEN_FILE = "/mnt/pulumi/pulumi.oidc";

/** Audience Entra expects on a federated (client assertion) token. */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/** Pipeline options for the credential (e.g. an https agent; tests trust a local token endpoint with it). */
export type CredentialClientOptions = Record<string, unknown> & { authorityHost?: string };

export type DeployerCredentialSource = "armOidc" | "deploymentsOidc" | "default";

/** Where to look for the Deployments OIDC token file; tests point it at a fixture. */
export interface DeploymentsTokenOptions {
    /** Default: DEPLOYMENTS_OIDC_TOKEN_FILE. */
    deploymentsTokenFile?: string;
}

const fileExists = (path: string): boolean => {
    // `require` inside: this runs in the token-password dynamic provider's serialized closure (see deployerCredential).
    const fs = require("node:fs") as typeof import("node:fs");
    return fs.existsSync(path);
};

/**
 * Which credential the environment asks for:
 * 1. ARM OIDC when ARM_USE_OIDC is true or an ARM_OIDC_* token source is set (ESC azure-login, GitHub style);
 * 2. Deployments OIDC when ARM_CLIENT_ID and ARM_TENANT_ID are set and Deployments' token is there (PULUMI_OIDC_TOKEN
 *    or its file): exactly what Deployments' Azure OIDC provides, with no ARM_USE_OIDC. The token alone (Deployments
 *    OIDC configured for another cloud) is not an Azure login;
 * 3. otherwise DefaultAzureCredential (az login, AZURE_* variables, managed identity).
 */
export function deployerCredentialSource(env: ArmOidcEnv, opts: DeploymentsTokenOptions = {}): DeployerCredentialSource {
    const useOidc = (env.ARM_USE_OIDC ?? "").toLowerCase() === "true";
    if (useOidc || env.ARM_OIDC_TOKEN || env.ARM_OIDC_REQUEST_URL) return "armOidc";
    const deploymentsToken = Boolean(env.PULUMI_OIDC_TOKEN) || fileExists(opts.deploymentsTokenFile ?? DEPLOYMENTS_OIDC_TOKEN_FILE);
    return env.ARM_CLIENT_ID && env.ARM_TENANT_ID && deploymentsToken ? "deploymentsOidc" : "default";
}

/**
 * The Deployments OIDC token, read when Entra is asked (each token request), from the file Deployments writes, else
 * PULUMI_OIDC_TOKEN. The file first: a variable is a snapshot of the process's start, the file is read now.
 */
export function deploymentsOidcToken(env: ArmOidcEnv, opts: DeploymentsTokenOptions = {}): string {
    const fs = require("node:fs") as typeof import("node:fs");
    const file = opts.deploymentsTokenFile ?? DEPLOYMENTS_OIDC_TOKEN_FILE;
    if (fs.existsSync(file)) {
        const token = fs.readFileSync(file, "utf8").trim();
        if (!token) throw new Error(`Pulumi Deployments' OIDC token file ${file} is empty: check the stack's Deployments OIDC settings (operationContext.oidc.azure)`);
        return token;
    }
    if (env.PULUMI_OIDC_TOKEN) return env.PULUMI_OIDC_TOKEN.trim();
    throw new Error(`no Pulumi Deployments OIDC token: neither ${file} nor PULUMI_OIDC_TOKEN is there`);
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
 * The deployer's Azure credential. ESC `azure-login` and Pulumi Deployments hand the program ARM_* variables and an
 * OIDC token that DefaultAzureCredential does not read (FACTS §10): with them, a ClientAssertionCredential exchanges
 * the OIDC token for an Entra token (the identity's federated credential trusts the token's issuer, subject and
 * audience: deployments/subjects.ts). Otherwise DefaultAzureCredential (az login, AZURE_* variables, managed identity).
 */
export async function deployerCredential(
    env: ArmOidcEnv & Record<string, string | undefined> = process.env,
    clientOptions: CredentialClientOptions = {},
    tokenOptions: DeploymentsTokenOptions = {},
) {
    // `require`, not `await import()`: this runs inside the token-password dynamic provider, whose closure Pulumi
    // serializes; a module required by package name is captured as a require, a dynamic import is not serializable
    // once a bundler or test runner has rewritten it. Still lazy: @azure/identity loads only when a token is needed.
    const identity = require("@azure/identity") as typeof import("@azure/identity");
    const source = deployerCredentialSource(env, tokenOptions);
    if (source === "armOidc") {
        const missing = missingArmOidcVariables(env);
        if (missing.length) throw new Error(`Azure OIDC login (ARM_USE_OIDC / ARM_OIDC_*) is incomplete: set ${missing.join(", ")}; or unset them to use az login`);
        return new identity.ClientAssertionCredential(env.ARM_TENANT_ID!, env.ARM_CLIENT_ID!, () => armOidcToken(env), clientOptions);
    }
    if (source === "deploymentsOidc") {
        return new identity.ClientAssertionCredential(env.ARM_TENANT_ID!, env.ARM_CLIENT_ID!, async () => deploymentsOidcToken(env, tokenOptions), clientOptions);
    }
    return new identity.DefaultAzureCredential(clientOptions);
}
