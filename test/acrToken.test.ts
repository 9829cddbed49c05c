/** The Entra → ACR refresh-token exchange, against a local HTTP server speaking ACR's /oauth2/exchange. */
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exchangeForAcrRefreshToken } from "../components/acrToken";

let server: Server;
let baseUrl: string;
const seen: URLSearchParams[] = [];

beforeAll(async () => {
    server = createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
            const form = new URLSearchParams(body);
            seen.push(form);
            const ok = req.method === "POST" && req.url === "/oauth2/exchange" && req.headers["content-type"] === "application/x-www-form-urlencoded" && form.get("access_token") === "good-entra-token";
            res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
            res.end(ok ? JSON.stringify({ refresh_token: "acr-refresh-token" }) : JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "invalid token" }] }));
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

describe("exchangeForAcrRefreshToken", () => {
    it("posts grant_type, service, tenant and the Entra token as a form, and returns the refresh token", async () => {
        const token = await exchangeForAcrRefreshToken({ loginServer: "kedascale.azurecr.io", tenantId: "tenant-1", accessToken: "good-entra-token", baseUrl });
        expect(token).toBe("acr-refresh-token");
        expect(Object.fromEntries(seen.at(-1)!)).toEqual({ grant_type: "access_token", service: "kedascale.azurecr.io", tenant: "tenant-1", access_token: "good-entra-token" });
    });

    it("fails with the status and the fix, without echoing the token", async () => {
        const failure = exchangeForAcrRefreshToken({ loginServer: "kedascale.azurecr.io", tenantId: "t", accessToken: "expired-entra-token", baseUrl });
        await expect(failure).rejects.toThrow(/HTTP 401 .*UNAUTHORIZED.*AcrPush/);
        await expect(failure).rejects.not.toThrow(/expired-entra-token/);
    });
});
