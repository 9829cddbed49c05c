/**
 * The ACR token-password dynamic provider's own code (components/azure/acrTokenPassword.ts), against a local HTTP
 * server standing in for ARM that checks the request shape: POST {registryId}/generateCredentials, api-version
 * 2023-07-01, the deployer's bearer token, body { tokenId, expiry, name }. Under the stack mocks the dynamic
 * resource is only recorded; this is where its create/diff/update/delete run (pulumi-azure-native#3099).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { generateTokenPassword, tokenPasswordProvider, type TokenPasswordInputs } from "../components/azure/acrTokenPassword";

const REGISTRY = "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/kedascaleacr";
const TOKEN = `${REGISTRY}/tokens/kedascale-dev-aci-pull`;
const inputs: TokenPasswordInputs = { registryId: REGISTRY, tokenId: TOKEN, expiry: "2026-09-15T00:00:00Z", slot: "password2" };

interface Seen {
    method: string;
    path: string;
    query: URLSearchParams;
    auth?: string;
    body: any;
}

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** Starts an ARM stand-in; `reply` answers each request (after its shape is recorded). */
interface Reply {
    status: number;
    headers?: Record<string, string>;
    body?: unknown;
}

async function arm(reply: (seen: Seen, n: number, base: string) => Reply): Promise<{ base: string; seen: Seen[] }> {
    const seen: Seen[] = [];
    let base = "";
    server = createServer(async (req: IncomingMessage, res) => {
        let raw = "";
        for await (const chunk of req) raw += chunk;
        const url = new URL(req.url!, "http://x");
        const s: Seen = { method: req.method!, path: url.pathname, query: url.searchParams, auth: req.headers.authorization, body: raw ? JSON.parse(raw) : undefined };
        seen.push(s);
        const r = reply(s, seen.length, base);
        res.writeHead(r.status, { "content-type": "application/json", ...r.headers });
        res.end(r.body === undefined ? "" : JSON.stringify(r.body));
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
    base = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
    return { base, seen };
}

const result = { username: "kedascale-dev-aci-pull", passwords: [{ name: "password1", value: "one" }, { name: "password2", value: "two-secret", expiry: "2026-09-15T00:00:00Z" }] };

describe("generateTokenPassword", () => {
    it("POSTs {tokenId, expiry, name} to the registry's generateCredentials with api-version 2023-07-01 and the bearer token, and returns the slot's password", async () => {
        const { base, seen } = await arm(() => ({ status: 200, body: result }));
        const r = await generateTokenPassword({ ...inputs, accessToken: "deployer-arm-token", baseUrl: base });
        expect(r).toEqual({ username: "kedascale-dev-aci-pull", password: "two-secret", expiry: "2026-09-15T00:00:00Z" });
        expect(seen).toHaveLength(1);
        expect(seen[0].method).toBe("POST");
        expect(seen[0].path).toBe(`${REGISTRY}/generateCredentials`);
        expect(seen[0].query.get("api-version")).toBe("2023-07-01");
        expect(seen[0].auth).toBe("Bearer deployer-arm-token");
        expect(seen[0].body).toEqual({ tokenId: TOKEN, expiry: "2026-09-15T00:00:00Z", name: "password2" });
    });

    it("follows a 202 to its Location (Retry-After honoured) until the credentials come back", async () => {
        const { base, seen } = await arm((_s, n, b): Reply =>
            n === 1 ? { status: 202, headers: { location: `${b}/operations/op1`, "retry-after": "0" } } : n === 2 ? { status: 202, headers: { "retry-after": "0" } } : { status: 200, body: result },
        );
        const r = await generateTokenPassword({ ...inputs, accessToken: "t", baseUrl: base, maxPollDelayMs: 0 });
        expect(r.password).toBe("two-secret");
        expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([`POST ${REGISTRY}/generateCredentials`, "GET /operations/op1", "GET /operations/op1"]);
        expect(seen.every((s) => s.auth === "Bearer t")).toBe(true);
    });

    it("fails with ARM's error code and the permission it needs, never echoing the token", async () => {
        const { base } = await arm(() => ({ status: 403, body: { error: { code: "AuthorizationFailed", message: "no generateCredentials/action" } } }));
        const err = await generateTokenPassword({ ...inputs, accessToken: "secret-deployer-token", baseUrl: base }).catch((e: Error) => e);
        expect(String(err)).toMatch(/HTTP 403 AuthorizationFailed: no generateCredentials\/action\..*generateCredentials\/action on the registry/);
        expect(String(err)).not.toContain("secret-deployer-token");
    });

    it("refuses an answer without the asked slot rather than storing an empty password", async () => {
        const { base } = await arm(() => ({ status: 200, body: { username: "u", passwords: [{ name: "password1", value: "one" }] } }));
        await expect(generateTokenPassword({ ...inputs, accessToken: "t", baseUrl: base })).rejects.toThrow(/no password2/);
    });
});

describe("tokenPasswordProvider", () => {
    it("create issues the password with the deployer's token; update re-issues for a new window; delete calls nothing", async () => {
        const { base, seen } = await arm(() => ({ status: 200, body: result }));
        let tokens = 0;
        const provider = tokenPasswordProvider({ accessToken: async () => `token-${++tokens}`, baseUrl: base });
        const created = await provider.create!(inputs);
        expect(created.id).toBe(`${TOKEN}/password2`);
        expect(created.outs).toMatchObject({ ...inputs, username: "kedascale-dev-aci-pull", password: "two-secret" });

        const nextWindow = { ...inputs, expiry: "2026-09-30T00:00:00Z", slot: "password1" as const };
        expect(await provider.diff!(created.id, inputs, nextWindow)).toMatchObject({ changes: true, replaces: [] });
        expect(await provider.diff!(created.id, inputs, { ...inputs })).toMatchObject({ changes: false });
        expect((await provider.diff!(created.id, inputs, { ...inputs, tokenId: `${REGISTRY}/tokens/other` })).replaces).toEqual(["tokenId"]);
        const updated = await provider.update!(created.id, inputs, nextWindow);
        expect(updated.outs).toMatchObject({ slot: "password1", password: "one" });
        expect(seen.map((s) => [s.auth, s.body.name])).toEqual([
            ["Bearer token-1", "password2"],
            ["Bearer token-2", "password1"],
        ]);

        await provider.delete!(created.id, created.outs);
        expect(seen).toHaveLength(2);
    });
});
