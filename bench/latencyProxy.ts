/**
 * A loopback TCP proxy that delays every chunk by half an RTT each way. On loopback a round trip is ~1 ms, which
 * hides what concurrency buys; a real producer talks to Azure over an RTT of milliseconds (in-region) to tens of
 * milliseconds (a laptop, as in the seeds). The bench reports both.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export interface LatencyProxy {
    readonly port: number;
    close(): Promise<void>;
}

function delayedPipe(from: Socket, to: Socket, delayMs: number): void {
    from.on("data", (chunk) => setTimeout(() => to.writable && to.write(chunk), delayMs));
    from.on("end", () => setTimeout(() => to.end(), delayMs));
    from.on("error", () => to.destroy());
}

export function startLatencyProxy(targetPort: number, rttMs: number): Promise<LatencyProxy> {
    const sockets = new Set<Socket>();
    const server: Server = createServer((client) => {
        const upstream = connect(targetPort, "127.0.0.1");
        for (const s of [client, upstream]) {
            sockets.add(s);
            s.on("close", () => sockets.delete(s));
        }
        delayedPipe(client, upstream, rttMs / 2);
        delayedPipe(upstream, client, rttMs / 2);
    });
    return new Promise((resolve) =>
        server.listen(0, "127.0.0.1", () =>
            resolve({
                port: (server.address() as { port: number }).port,
                close: () =>
                    new Promise<void>((r) => {
                        for (const s of sockets) s.destroy();
                        server.close(() => r());
                    }),
            }),
        ),
    );
}

/** Rewrites a connection string's QueueEndpoint to go through the proxy. */
export function viaProxy(connectionString: string, proxyPort: number): string {
    return connectionString.replace(/QueueEndpoint=http:\/\/127\.0\.0\.1:\d+\//, `QueueEndpoint=http://127.0.0.1:${proxyPort}/`);
}
