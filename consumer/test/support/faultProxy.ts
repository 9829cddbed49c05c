/**
 * A TCP fault proxy on loopback, between real worker processes and a real Azurite: it forwards bytes and, on
 * command, adds latency, refuses or resets connections (an outage), black-holes them (a stalled link: accepted,
 * never answered), or resets a connection after the request reached the server but before its reply (a lost reply).
 * Everything binds 127.0.0.1; `close()` destroys every socket, so no test can leave one behind.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export type Mode =
    /** Forward both ways. */
    | "pass"
    /** Accept and immediately reset: an endpoint that is down (connection refused/reset). */
    | "reset"
    /** Accept, read, never answer, never close: a black-holed connection. Existing connections stall too. */
    | "blackhole"
    /** Forward the request, then reset the client before any reply byte: the server acted, the client never knows. */
    | "dropReplies";

export interface FaultCounts {
    connections: number;
    /** Connections reset by `reset`. */
    resets: number;
    /** Connections held by `blackhole`. */
    stalled: number;
    /** Replies thrown away by `dropReplies`. */
    droppedReplies: number;
}

export interface FaultProxy {
    /** Loopback port to point a client at (see viaProxy). */
    readonly port: number;
    /** Faults injected so far: what a test reports. */
    readonly counts: FaultCounts;
    /** `dropEvery: n`: in dropReplies mode, every n-th new connection loses its first reply (deterministic). */
    setMode(mode: Mode, opts?: { dropEvery?: number }): void;
    /** Delay each chunk, both ways, by this many ms (a slow link). */
    setLatency(ms: number): void;
    /** Switches to `mode` for `ms`, then back to `pass`. */
    window(mode: Mode, ms: number): Promise<void>;
    close(): Promise<void>;
}

export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
    let mode: Mode = "pass";
    let dropEvery = 1;
    let modeConnections = 0;
    let latency = 0;
    const counts: FaultCounts = { connections: 0, resets: 0, stalled: 0, droppedReplies: 0 };
    const sockets = new Set<Socket>();
    const track = (s: Socket) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.on("error", () => {});
    };
    const later = (fn: () => void) => (latency > 0 ? setTimeout(fn, latency) : fn());

    const server: Server = createServer((client) => {
        track(client);
        counts.connections++;
        if (mode === "reset") {
            counts.resets++;
            return void client.resetAndDestroy();
        }
        if (mode === "blackhole") {
            counts.stalled++;
            client.on("data", () => {});
            return;
        }
        const dropThis = mode === "dropReplies" && ++modeConnections % dropEvery === 0;
        const upstream = connect(targetPort, "127.0.0.1");
        track(upstream);
        client.on("data", (chunk) => {
            if (mode === "blackhole") return; // a link that stalls mid-connection
            later(() => upstream.write(chunk));
        });
        upstream.on("data", (chunk) => {
            if (mode === "blackhole") return;
            if (dropThis) {
                counts.droppedReplies++;
                client.resetAndDestroy();
                upstream.destroy();
                return;
            }
            later(() => client.write(chunk));
        });
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => later(() => client.destroy()));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;

    const proxy: FaultProxy = {
        port,
        counts,
        setMode(m, o = {}) {
            mode = m;
            dropEvery = o.dropEvery ?? 1;
            modeConnections = 0;
            // An outage or a stall applies to connections already open, not only new ones.
            if (m === "reset") for (const s of sockets) s.destroy();
        },
        setLatency(ms) {
            latency = ms;
        },
        async window(m, ms) {
            proxy.setMode(m);
            await new Promise((r) => setTimeout(r, ms));
            proxy.setMode("pass");
        },
        async close() {
            for (const s of sockets) s.destroy();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
    return proxy;
}

/** Rewrites an Azurite connection string so one service (queue or blob) goes through the proxy. */
export function viaProxy(connectionString: string, service: "Queue" | "Blob", proxyPort: number): string {
    return connectionString.replace(new RegExp(`(${service}Endpoint=http://127\\.0\\.0\\.1:)(\\d+)`), `$1${proxyPort}`);
}

/** The port a service listens on, from an Azurite connection string. */
export function servicePort(connectionString: string, service: "Queue" | "Blob"): number {
    const m = new RegExp(`${service}Endpoint=http://127\\.0\\.0\\.1:(\\d+)`).exec(connectionString);
    if (!m) throw new Error(`no ${service}Endpoint in the connection string`);
    return Number(m[1]);
}
