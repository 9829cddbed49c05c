/**
 * The deployer's push credential, end to end against local servers: the Entra token (from ESC's ARM_* variables,
 * Pulumi Deployments' own OIDC token file, or DefaultAzureCredential) at a local HTTPS authority, then ACR's /oauth2/exchange (local HTTP,
 * which also serves the GitHub-style OIDC token request).
 * The credentials and MSAL run unmodified; only the authority host points at 127.0.0.1 (AZURE_AUTHORITY_HOST /
 * authorityHost), instance discovery (a call to login.microsoftonline.com) is off as for any private authority, and the
 * TLS agent trusts the local server's self-signed certificate (MSAL refuses http authorities).
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, Agent, type Server as HttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import {
    acrCredentials,
    DEPLOYMENTS_OIDC_TOKEN_FILE,
    deployerCredentialSource,
    deploymentsOidcToken,
    exchangeForAcrRefreshToken,
    missingArmOidcVariables,
    TOKEN_EXCHANGE_AUDIENCE,
} from "../components/azure/acrToken";

const TENANT = "11111111-2222-3333-4444-555555555555";
const CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const OIDC_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwdWx1bWk6ZGVwbG95In0.c2ln";
const REQUESTED_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm9yZy9yZXBvIn0.c2ln";
/** What Pulumi Deployments writes to /mnt/pulumi/pulumi.oidc, and (a different value here) to PULUMI_OIDC_TOKEN. */
const DEPLOYMENTS_FILE_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwdWx1bWk6ZGVwbG95OmZpbGUifQ.c2ln";
const DEPLOYMENTS_ENV_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwdWx1bWk6ZGVwbG95OmVudiJ9.c2ln";
const SUBSCRIPTION = "99999999-8888-7777-6666-555555555555";
const ENTRA_TOKEN = "good-entra-token";

let acr: Server;
let acrBaseUrl: string;
const exchanges: URLSearchParams[] = [];

let entra: HttpsServer;
let authorityHost: string;
let agent: Agent;
let certDir: string;
/** Token requests Entra saw (form fields), and OIDC token requests (url + authorization). */
const tokenRequests: URLSearchParams[] = [];
const oidcRequests: { url: string; authorization?: string }[] = [];

const body = (req: IncomingMessage) => new Promise<string>((r) => {
    let b = "";
    req.on("data", (c) => (b += c));
    req.on("end", () => r(b));
});
const json = (res: ServerResponse, status: number, value: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(value));
};

/** A GitHub-Actions-style OIDC token endpoint (what ARM_OIDC_REQUEST_URL points at). */
function oidcRequestHandler(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url!, "http://127.0.0.1");
    oidcRequests.push({ url: req.url!, authorization: req.headers.authorization });
    if (req.headers.authorization !== "Bearer request-token" || url.searchParams.get("audience") !== TOKEN_EXCHANGE_AUDIENCE) return json(res, 403, { message: "bad request token" });
    json(res, 200, { value: REQUESTED_JWT, count: 1 });
}

/** A minimal Entra authority: instance discovery, OpenID metadata and the v2 token endpoint. */
async function entraHandler(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, authorityHost);
    if (url.pathname.endsWith("/discovery/instance")) {
        const host = url.host;
        return json(res, 200, { tenant_discovery_endpoint: `${authorityHost}/${TENANT}/v2.0/.well-known/openid-configuration`, "api-version": "1.1", metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }] });
    }
    if (url.pathname.endsWith("/v2.0/.well-known/openid-configuration")) {
        const t = url.pathname.split("/")[1];
        return json(res, 200, {
            token_endpoint: `${authorityHost}/${t}/oauth2/v2.0/token`,
            authorization_endpoint: `${authorityHost}/${t}/oauth2/v2.0/authorize`,
            end_session_endpoint: `${authorityHost}/${t}/oauth2/v2.0/logout`,
            issuer: `${authorityHost}/${t}/v2.0`,
            jwks_uri: `${authorityHost}/${t}/discovery/v2.0/keys`,
        });
    }
    if (req.method === "POST" && url.pathname === `/${TENANT}/oauth2/v2.0/token`) {
        const form = new URLSearchParams(await body(req));
        tokenRequests.push(form);
        const assertionOk = form.get("client_assertion_type") === "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" && [OIDC_JWT, REQUESTED_JWT, DEPLOYMENTS_FILE_JWT, DEPLOYMENTS_ENV_JWT].includes(form.get("client_assertion") ?? "");
        const secretOk = form.get("client_secret") === "local-test-secret";
        if (form.get("client_id") !== CLIENT || form.get("grant_type") !== "client_credentials" || !(assertionOk || secretOk)) {
            return json(res, 401, { error: "invalid_client", error_description: "AADSTS700016: bad client or assertion" });
        }
        return json(res, 200, { token_type: "Bearer", expires_in: 3600, ext_expires_in: 3600, access_token: ENTRA_TOKEN });
    }
    json(res, 404, { error: "not_found", path: url.pathname });
}

beforeAll(async () => {
    acr = createServer(async (req, res) => {
        if (req.url!.startsWith("/oidc/token")) return oidcRequestHandler(req, res);
        const form = new URLSearchParams(await body(req));
        exchanges.push(form);
        const ok = req.method === "POST" && req.url === "/oauth2/exchange" && req.headers["content-type"] === "application/x-www-form-urlencoded" && form.get("access_token") === ENTRA_TOKEN;
        json(res, ok ? 200 : 401, ok ? { refresh_token: "acr-refresh-token" } : { errors: [{ code: "UNAUTHORIZED", message: "invalid token" }] });
    });
    await new Promise<void>((r) => acr.listen(0, "127.0.0.1", r));
    acrBaseUrl = `http://127.0.0.1:${(acr.address() as { port: number }).port}`;

    // A throwaway self-signed certificate for 127.0.0.1, made for this run only.
    certDir = mkdtempSync(join(tmpdir(), "kedascale-entra-"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(certDir, "key.pem"), "-out", join(certDir, "cert.pem")], { stdio: "ignore" });
    const cert = readFileSync(join(certDir, "cert.pem"));
    entra = createHttpsServer({ key: readFileSync(join(certDir, "key.pem")), cert }, (req, res) => void entraHandler(req, res));
    await new Promise<void>((r) => entra.listen(0, "127.0.0.1", r));
    authorityHost = `https://127.0.0.1:${(entra.address() as { port: number }).port}`;
    agent = new Agent({ ca: cert });
});
afterAll(async () => {
    agent?.destroy();
    await Promise.all([new Promise((r) => acr.close(r)), new Promise((r) => entra?.close(r))]);
    if (certDir) rmSync(certDir, { recursive: true, force: true });
});

describe("exchangeForAcrRefreshToken", () => {
    it("posts grant_type, service, tenant and the Entra token as a form, and returns the refresh token", async () => {
        const token = await exchangeForAcrRefreshToken({ loginServer: "kedascale.azurecr.io", tenantId: "tenant-1", accessToken: ENTRA_TOKEN, baseUrl: acrBaseUrl });
        expect(token).toBe("acr-refresh-token");
        expect(Object.fromEntries(exchanges.at(-1)!)).toEqual({ grant_type: "access_token", service: "kedascale.azurecr.io", tenant: "tenant-1", access_token: ENTRA_TOKEN });
    });

    it("fails with the status and the fix, without echoing the token", async () => {
        const failure = exchangeForAcrRefreshToken({ loginServer: "kedascale.azurecr.io", tenantId: "t", accessToken: "expired-entra-token", baseUrl: acrBaseUrl });
        await expect(failure).rejects.toThrow(/HTTP 401 .*UNAUTHORIZED.*AcrPush/);
        await expect(failure).rejects.not.toThrow(/expired-entra-token/);
    });
});

describe("deployer credential selection", () => {
    it("uses Azure OIDC when ESC (or GitHub-style OIDC) exports ARM_USE_OIDC or an ARM_OIDC_* token source, else DefaultAzureCredential", () => {
        expect(deployerCredentialSource({ ARM_USE_OIDC: "true" })).toBe("armOidc");
        expect(deployerCredentialSource({ ARM_OIDC_TOKEN: OIDC_JWT })).toBe("armOidc");
        expect(deployerCredentialSource({ ARM_OIDC_REQUEST_URL: "https://x" })).toBe("armOidc");
        expect(deployerCredentialSource({ ARM_CLIENT_ID: CLIENT })).toBe("default");
        expect(missingArmOidcVariables({ ARM_USE_OIDC: "true", ARM_OIDC_REQUEST_URL: "https://x" })).toEqual(["ARM_CLIENT_ID", "ARM_TENANT_ID", "ARM_OIDC_TOKEN (or ARM_OIDC_REQUEST_URL and ARM_OIDC_REQUEST_TOKEN)"]);
    });

    it("refuses incomplete OIDC variables naming what is missing, instead of falling back to another identity", async () => {
        await expect(acrCredentials("r.azurecr.io", TENANT, { env: { ARM_USE_OIDC: "true", ARM_CLIENT_ID: CLIENT } })).rejects.toThrow(/set ARM_TENANT_ID, ARM_OIDC_TOKEN/);
    });
});

describe("acrCredentials end to end against a local Entra authority and ACR", () => {
    const push = (env: Record<string, string>) => acrCredentials("kedascale.azurecr.io", TENANT, { env, clientOptions: { authorityHost, agent, disableInstanceDiscovery: true }, exchangeBaseUrl: acrBaseUrl });

    it("ESC azure-login (ARM_USE_OIDC + ARM_OIDC_TOKEN): the OIDC token becomes a client assertion, the Entra token an ACR refresh token", async () => {
        const creds = await push({ ARM_USE_OIDC: "true", ARM_CLIENT_ID: CLIENT, ARM_TENANT_ID: TENANT, ARM_OIDC_TOKEN: OIDC_JWT });
        expect(creds).toEqual({ username: "00000000-0000-0000-0000-000000000000", password: "acr-refresh-token" });
        const sent = tokenRequests.at(-1)!;
        expect(sent.get("client_assertion")).toBe(OIDC_JWT);
        expect(sent.get("scope")).toContain("https://management.azure.com/.default");
        expect(exchanges.at(-1)!.get("access_token")).toBe(ENTRA_TOKEN);
    });

    it("GitHub-style request (ARM_OIDC_REQUEST_URL + TOKEN): fetches the token with the exchange audience and the bearer", async () => {
        const before = oidcRequests.length;
        const creds = await push({ ARM_USE_OIDC: "true", ARM_CLIENT_ID: CLIENT, ARM_TENANT_ID: TENANT, ARM_OIDC_REQUEST_URL: `${acrBaseUrl}/oidc/token?api-version=2.0`, ARM_OIDC_REQUEST_TOKEN: "request-token" });
        expect(creds.password).toBe("acr-refresh-token");
        const req = oidcRequests.slice(before);
        // Fetched per token request (never cached by us: these tokens live minutes), each the same way.
        expect(req.length).toBeGreaterThan(0);
        for (const r of req) {
            const url = new URL(r.url, acrBaseUrl);
            expect(url.searchParams.get("api-version")).toBe("2.0");
            expect(url.searchParams.get("audience")).toBe("api://AzureADTokenExchange");
            expect(r.authorization).toBe("Bearer request-token");
        }
        expect(tokenRequests.at(-1)!.get("client_assertion")).toBe(REQUESTED_JWT);
    }, 30_000);

    it("a rejected assertion fails the push with Entra's error, not a silent fallback to another identity", async () => {
        await expect(push({ ARM_USE_OIDC: "true", ARM_CLIENT_ID: CLIENT, ARM_TENANT_ID: TENANT, ARM_OIDC_TOKEN: "not-the-federated-token" })).rejects.toThrow(/AADSTS700016|invalid_client/);
    });

    it("without ARM OIDC variables, DefaultAzureCredential (here its AZURE_* environment credential) gets the token", async () => {
        const saved = { ...process.env };
        try {
            for (const k of Object.keys(process.env)) if (k.startsWith("AZURE_") || k.startsWith("ARM_")) delete process.env[k];
            Object.assign(process.env, { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, AZURE_CLIENT_SECRET: "local-test-secret", AZURE_AUTHORITY_HOST: authorityHost });
            const creds = await acrCredentials("kedascale.azurecr.io", TENANT, { env: {}, clientOptions: { agent, disableInstanceDiscovery: true }, exchangeBaseUrl: acrBaseUrl });
            expect(creds.password).toBe("acr-refresh-token");
            expect(tokenRequests.at(-1)!.get("client_secret")).toBe("local-test-secret");
        } finally {
            for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
            Object.assign(process.env, saved);
        }
    }, 30_000);
});

/**
 * Pulumi Deployments' own Azure OIDC: it publishes ARM_CLIENT_ID, ARM_TENANT_ID and ARM_SUBSCRIPTION_ID, and the raw
 * OIDC token in PULUMI_OIDC_TOKEN and the file /mnt/pulumi/pulumi.oidc — and no ARM_USE_OIDC or ARM_OIDC_TOKEN
 * (pulumi/docs deployments/guides/oidc/azure.md). Exactly that environment, with the token file a fixture.
 */
describe("Pulumi Deployments OIDC (ARM ids + the deployment's token file, no ARM_USE_OIDC)", () => {
    let dir: string;
    let tokenFile: string;
    const deploymentsEnv = (extra: Record<string, string> = {}) => ({ ARM_CLIENT_ID: CLIENT, ARM_TENANT_ID: TENANT, ARM_SUBSCRIPTION_ID: SUBSCRIPTION, ...extra });
    beforeAll(() => {
        dir = mkdtempSync(join(tmpdir(), "kedascale-deployments-oidc-"));
        tokenFile = join(dir, "pulumi.oidc");
        writeFileSync(tokenFile, `${DEPLOYMENTS_FILE_JWT}\n`);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const push = (env: Record<string, string>, deploymentsTokenFile: string) =>
        acrCredentials("kedascale.azurecr.io", TENANT, { env, clientOptions: { authorityHost, agent, disableInstanceDiscovery: true }, exchangeBaseUrl: acrBaseUrl, deploymentsTokenFile });

    it("reads the token where Deployments puts it: the default path is /mnt/pulumi/pulumi.oidc", () => {
        expect(DEPLOYMENTS_OIDC_TOKEN_FILE).toBe("/mnt/pulumi/pulumi.oidc");
    });

    it("chooses the Deployments credential from exactly what Deployments sets, and nothing less", () => {
        expect(deployerCredentialSource(deploymentsEnv(), { deploymentsTokenFile: tokenFile })).toBe("deploymentsOidc");
        expect(deployerCredentialSource(deploymentsEnv({ PULUMI_OIDC_TOKEN: DEPLOYMENTS_ENV_JWT }), { deploymentsTokenFile: join(dir, "absent") })).toBe("deploymentsOidc");
        // The ids without a token (e.g. a laptop with ARM_* exported for Terraform), or a token without Azure ids
        // (Deployments OIDC set up for another cloud): not an Azure OIDC login, so az login / DefaultAzureCredential.
        expect(deployerCredentialSource(deploymentsEnv(), { deploymentsTokenFile: join(dir, "absent") })).toBe("default");
        expect(deployerCredentialSource({ PULUMI_OIDC_TOKEN: DEPLOYMENTS_ENV_JWT }, { deploymentsTokenFile: tokenFile })).toBe("default");
        // An ESC environment imported by the same stack exports ARM_USE_OIDC and its own token: that login wins, as it
        // does for azure-native.
        expect(deployerCredentialSource(deploymentsEnv({ ARM_USE_OIDC: "true", ARM_OIDC_TOKEN: OIDC_JWT }), { deploymentsTokenFile: tokenFile })).toBe("armOidc");
    });

    it("the token file is the assertion Entra receives (ahead of PULUMI_OIDC_TOKEN), and the Entra token becomes the ACR refresh token", async () => {
        const creds = await push(deploymentsEnv({ PULUMI_OIDC_TOKEN: DEPLOYMENTS_ENV_JWT }), tokenFile);
        expect(creds).toEqual({ username: "00000000-0000-0000-0000-000000000000", password: "acr-refresh-token" });
        const sent = tokenRequests.at(-1)!;
        expect(sent.get("client_id")).toBe(CLIENT);
        expect(sent.get("client_assertion_type")).toBe("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        expect(sent.get("client_assertion")).toBe(DEPLOYMENTS_FILE_JWT);
        expect(exchanges.at(-1)!.get("access_token")).toBe(ENTRA_TOKEN);
    });

    it("without the file, PULUMI_OIDC_TOKEN is the assertion", async () => {
        await push(deploymentsEnv({ PULUMI_OIDC_TOKEN: DEPLOYMENTS_ENV_JWT }), join(dir, "absent"));
        expect(tokenRequests.at(-1)!.get("client_assertion")).toBe(DEPLOYMENTS_ENV_JWT);
    });

    it("an empty token file fails naming the file and the setting to check, not a silent fallback to another identity", () => {
        const empty = join(dir, "empty.oidc");
        writeFileSync(empty, "");
        expect(() => deploymentsOidcToken(deploymentsEnv(), { deploymentsTokenFile: empty })).toThrow(new RegExp(`${empty} is empty: check the stack's Deployments OIDC settings`));
    });

    it("the token-password dynamic provider's serialized closure (what Pulumi runs in its provider host) picks the Deployments credential too", async () => {
        // acrTokenPassword.ts's deployerArmToken, serialized exactly as Pulumi serializes the dynamic provider, run in a
        // fresh Node with Deployments' environment; Entra is the local authority (trusted through NODE_EXTRA_CA_CERTS).
        // The default token file (/mnt/pulumi/pulumi.oidc) is absent here, so the assertion is PULUMI_OIDC_TOKEN.
        const { deployerArmToken } = await import("../components/azure/acrTokenPassword");
        const fn = await pulumi.runtime.serializeFunction(async () => deployerArmToken());
        const script = join(dir, "provider.js");
        writeFileSync(script, `${fn.text}\nexports.${fn.exportName}().then((t) => process.stdout.write(t), (e) => { process.stderr.write(String(e)); process.exit(1); });\n`);
        // A private authority needs instance discovery off (it asks login.microsoftonline.com otherwise), which only a
        // credential option sets: this preload adds that one option to the credentials the closure constructs, and
        // names the credential it chose.
        const shim = join(dir, "private-authority.js");
        writeFileSync(
            shim,
            `const id = require("@azure/identity");
const path = require.resolve("@azure/identity");
const wrap = (name, optionsAt) => class extends id[name] {
  constructor(...args) { args[optionsAt] = { ...(args[optionsAt] ?? {}), disableInstanceDiscovery: true }; super(...args); process.stderr.write("credential:" + name + "\\n"); }
};
require.cache[path].exports = { ...id, ClientAssertionCredential: wrap("ClientAssertionCredential", 3), DefaultAzureCredential: wrap("DefaultAzureCredential", 0) };
`,
        );
        const before = tokenRequests.length;
        const env = {
            PATH: process.env.PATH ?? "",
            NODE_PATH: join(__dirname, "..", "node_modules"),
            NODE_EXTRA_CA_CERTS: join(certDir, "cert.pem"),
            AZURE_AUTHORITY_HOST: authorityHost,
            ...deploymentsEnv({ PULUMI_OIDC_TOKEN: DEPLOYMENTS_ENV_JWT }),
        };
        const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
            execFile(process.execPath, ["-r", shim, script], { env, timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve({ stdout, stderr }))),
        );
        expect(stderr.trim()).toBe("credential:ClientAssertionCredential");
        expect(stdout).toBe(ENTRA_TOKEN);
        expect(tokenRequests.slice(before).map((f) => f.get("client_assertion"))).toEqual([DEPLOYMENTS_ENV_JWT]);
    }, 60_000);
});
