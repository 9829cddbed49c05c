/**
 * A password for an ACR repository-scoped token, issued by the registry's generateCredentials management API.
 * azure-native can create the Token but not its password (the password's `value` is read-only in the API spec;
 * pulumi-azure-native#2500 closed as by-design, #3099 open), so a small dynamic provider calls
 *   POST https://management.azure.com{registryId}/generateCredentials?api-version=2023-07-01
 *   { tokenId, expiry, name: "password1" | "password2" }
 * with the deployer's Entra token — az login, or Pulumi Deployments / ESC OIDC, chosen by acrToken.ts's
 * deployerCredential — and keeps the result only as a secret output (`additionalSecretOutputs`).
 * The API may answer 200 with the credentials, or 202 with a Location / Azure-AsyncOperation to poll (ARM's
 * long-running POST pattern); both are handled. test/acrTokenPassword.test.ts runs this code against a local server.
 */
import type * as pulumi from "@pulumi/pulumi";
// Static, not `await import(...)`: Pulumi serializes the provider's closure by value, and a relative import inside a
// serialized function would resolve against the provider host, not this folder.
import { deployerCredential } from "./deployerCredential";

export const GENERATE_CREDENTIALS_API_VERSION = "2023-07-01";
export const ARM_ENDPOINT = "https://management.azure.com";

export interface GenerateCredentialsRequest {
    /** /subscriptions/…/resourceGroups/…/providers/Microsoft.ContainerRegistry/registries/<name> */
    registryId: string;
    /** The Token's resource id (…/registries/<name>/tokens/<token>). */
    tokenId: string;
    /** ISO 8601 expiry of the password. */
    expiry: string;
    /** Which of the token's two passwords to (re)generate. */
    slot: "password1" | "password2";
    /** Entra access token for ARM (audience https://management.azure.com). */
    accessToken: string;
    /** ARM endpoint; tests point it at a local server. Default: https://management.azure.com */
    baseUrl?: string;
    /** Longest wait between polls of a 202, in ms (Retry-After is honoured up to it). Default 10,000. */
    maxPollDelayMs?: number;
    /** Polls of a 202 before giving up. Default 60. */
    maxPolls?: number;
}

export interface IssuedPassword {
    username: string;
    password: string;
    expiry?: string;
}

interface GenerateCredentialsResult {
    username?: string;
    passwords?: { name?: string; value?: string; expiry?: string }[];
}

/** ARM's error body `{ error: { code, message } }`, shortened; it never carries the password (only failures are read). */
async function failure(res: Response, what: string): Promise<Error> {
    const text = await res.text();
    let detail = text.slice(0, 300);
    try {
        const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
        if (e?.code) detail = `${e.code}: ${e.message ?? ""}`.slice(0, 300);
    } catch {
        /* not JSON: keep the text */
    }
    const hint = res.status === 401 || res.status === 403 ? " The deployer needs Microsoft.ContainerRegistry/registries/generateCredentials/action on the registry (Contributor or Container Registry Contributor and Data Access Configuration Administrator)." : "";
    return new Error(`ACR ${what} failed: HTTP ${res.status} ${detail}.${hint}`);
}

function pick(result: GenerateCredentialsResult, slot: string): IssuedPassword {
    const entry = result.passwords?.find((p) => p.name === slot);
    if (!result.username || !entry?.value) throw new Error(`ACR generateCredentials returned no ${slot} for the token (got ${result.passwords?.map((p) => p.name).join(", ") || "no passwords"})`);
    return { username: result.username, password: entry.value, expiry: entry.expiry };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls generateCredentials and returns the one password asked for. */
export async function generateTokenPassword(req: GenerateCredentialsRequest): Promise<IssuedPassword> {
    const base = (req.baseUrl ?? ARM_ENDPOINT).replace(/\/$/, "");
    const url = `${base}${req.registryId}/generateCredentials?api-version=${GENERATE_CREDENTIALS_API_VERSION}`;
    const headers = { authorization: `Bearer ${req.accessToken}`, "content-type": "application/json", accept: "application/json" };
    const res = await fetch(url, { method: "POST", headers, body: JSON.stringify({ tokenId: req.tokenId, expiry: req.expiry, name: req.slot }) });
    if (res.status === 200) return pick((await res.json()) as GenerateCredentialsResult, req.slot);
    if (res.status !== 202 && res.status !== 201) throw await failure(res, "generateCredentials");
    // Long-running: the Location URL answers 202 while running and 200 with the result when done.
    const poll = res.headers.get("location") ?? res.headers.get("azure-asyncoperation");
    if (!poll) throw new Error(`ACR generateCredentials answered HTTP ${res.status} without a Location to poll`);
    let delay = retryAfterMs(res, req.maxPollDelayMs ?? 10_000);
    for (let i = 0; i < (req.maxPolls ?? 60); i++) {
        await sleep(delay);
        const p = await fetch(poll, { headers: { authorization: `Bearer ${req.accessToken}`, accept: "application/json" } });
        if (p.status === 200) {
            const body = (await p.json()) as GenerateCredentialsResult & { status?: string };
            // An Azure-AsyncOperation status body ({status: "Succeeded"}) has no credentials: they are not retrievable
            // afterwards, so only a Location poll can complete the call.
            if (body.passwords) return pick(body, req.slot);
            if (body.status && body.status !== "Succeeded" && body.status !== "InProgress") throw new Error(`ACR generateCredentials ended ${body.status}`);
            if (body.status === "Succeeded") throw new Error("ACR generateCredentials succeeded but its result was not returned (poll Location, not Azure-AsyncOperation)");
        } else if (p.status !== 202) {
            throw await failure(p, "generateCredentials poll");
        }
        delay = retryAfterMs(p, req.maxPollDelayMs ?? 10_000);
    }
    throw new Error(`ACR generateCredentials did not finish after ${req.maxPolls ?? 60} polls`);
}

function retryAfterMs(res: Response, max: number): number {
    const s = Number(res.headers.get("retry-after"));
    return Math.min(max, Number.isFinite(s) && s >= 0 ? s * 1000 : 2000);
}

/** The dynamic resource's inputs (names chosen so no input key reads like a credential). */
export interface TokenPasswordInputs {
    registryId: string;
    tokenId: string;
    expiry: string;
    slot: "password1" | "password2";
}

export interface TokenPasswordProviderDeps {
    /** An ARM access token of the deployer. */
    accessToken(): Promise<string>;
    /** ARM endpoint. Default: https://management.azure.com */
    baseUrl?: string;
    maxPollDelayMs?: number;
}

/**
 * The provider: create and update issue a password for the slot (update when the expiry or slot changes, i.e. a new
 * rotation window); delete does nothing, because deleting the Token (its parent in the program) revokes its passwords
 * and a password alone has no delete API.
 */
export function tokenPasswordProvider(deps: TokenPasswordProviderDeps): pulumi.dynamic.ResourceProvider {
    const issue = async (inputs: TokenPasswordInputs) => {
        const r = await generateTokenPassword({ ...inputs, accessToken: await deps.accessToken(), baseUrl: deps.baseUrl, maxPollDelayMs: deps.maxPollDelayMs });
        return { ...inputs, username: r.username, password: r.password, passwordExpiry: r.expiry ?? inputs.expiry };
    };
    return {
        async create(inputs: TokenPasswordInputs) {
            return { id: `${inputs.tokenId}/${inputs.slot}`, outs: await issue(inputs) };
        },
        async diff(_id: string, olds: TokenPasswordInputs, news: TokenPasswordInputs) {
            const changed = (["registryId", "tokenId", "expiry", "slot"] as const).filter((k) => olds[k] !== news[k]);
            // A new token is a new resource; a new window is an in-place re-issue.
            return { changes: changed.length > 0, replaces: changed.filter((k) => k === "tokenId" || k === "registryId"), deleteBeforeReplace: false };
        },
        async update(_id: string, _olds: TokenPasswordInputs, news: TokenPasswordInputs) {
            return { outs: await issue(news) };
        },
        async delete() {
            /* revoked with the Token */
        },
    };
}

/** The deployer's ARM token, with the credential acrToken.ts picks (az login, or Deployments/ESC OIDC). */
export async function deployerArmToken(): Promise<string> {
    const token = await (await deployerCredential(process.env)).getToken(`${ARM_ENDPOINT}/.default`);
    if (!token) throw new Error("no Azure token for the deployer: run az login, or configure Azure OIDC for the deployment");
    return token.token;
}
