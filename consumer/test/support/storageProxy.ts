/**
 * An HTTP proxy on loopback in front of one Azurite service that records every request (method, path, query) and,
 * on command, answers some of them 403 AuthorizationPermissionMismatch — what Azure Storage answers while a role
 * assignment has not propagated yet (up to 10 minutes: learn.microsoft.com/azure/role-based-access-control/
 * troubleshooting#role-assignment-changes-are-not-being-detected). Azurite has no Entra ID, so this is how a test
 * shows the worker waiting for a permission; the requests themselves are the same REST operations whatever the auth.
 * `close()` destroys every socket.
 */
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";

export interface Recorded {
    readonly method: string;
    /** Path without the query, e.g. /devstoreaccount1/jobs/messages. */
    readonly path: string;
    readonly query: URLSearchParams;
    /** The status the client got. */
    status: number;
}

export interface StorageProxy {
    readonly port: number;
    readonly requests: Recorded[];
    /** Answer 403 to requests this matches, until `allow()`. */
    deny(match: (r: Recorded) => boolean): void;
    allow(): void;
    /** Requests refused so far. */
    readonly refused: number;
    /** The connection string with `service`'s endpoint pointed at this proxy. */
    route(connectionString: string, service: "Queue" | "Blob"): string;
    close(): Promise<void>;
}

const FORBIDDEN_BODY =
    '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission.</Message></Error>';

export async function startStorageProxy(targetPort: number): Promise<StorageProxy> {
    let denied: ((r: Recorded) => boolean) | undefined;
    let refused = 0;
    const requests: Recorded[] = [];
    const sockets = new Set<Socket>();
    const server: Server = createServer((req: IncomingMessage, res) => {
        const url = new URL(req.url ?? "/", "http://x");
        const rec: Recorded = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, status: 0 };
        requests.push(rec);
        if (denied?.(rec)) {
            refused++;
            rec.status = 403;
            req.resume();
            const headers = { "x-ms-error-code": "AuthorizationPermissionMismatch", "x-ms-request-id": "00000000-0000-0000-0000-000000000000", "content-type": "application/xml" };
            return void res.writeHead(403, headers).end(req.method === "HEAD" ? undefined : FORBIDDEN_BODY);
        }
        const upstream = request({ host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers: req.headers }, (up) => {
            rec.status = up.statusCode ?? 0;
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
        });
        upstream.on("error", () => res.destroy());
        req.pipe(upstream);
    });
    server.on("connection", (s) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    return {
        port,
        requests,
        deny: (match) => void (denied = match),
        allow: () => void (denied = undefined),
        get refused() {
            return refused;
        },
        route: (cs, service) => cs.replace(new RegExp(`(${service}Endpoint=http://127\\.0\\.0\\.1:)(\\d+)`), `$1${port}`),
        async close() {
            for (const s of sockets) s.destroy();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}
