/**
 * A pod can be stopped while the worker is still starting (preflight, connecting): Kubernetes sends SIGTERM whenever
 * it scales in or deletes a Job. The process must then end cleanly — exit 0, nothing was in flight — never die of the
 * signal (no exit code: a failed Job, a crash in the logs). The handlers are installed before any network call.
 */
import { createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startCli, waitFor } from "./support/processes";

/** A storage endpoint that accepts connections and never answers: preflight hangs there until the signal. */
async function silentEndpoint() {
    const sockets: Socket[] = [];
    const server = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    return {
        sockets,
        connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${Buffer.from("k").toString("base64")};QueueEndpoint=http://127.0.0.1:${port}/devstoreaccount1;BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`,
        close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
    };
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
});

describe("signals during start-up", () => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
        it(`work: ${signal} while preflight waits on the network exits 0 with a log line, not killed by the signal`, async () => {
            const endpoint = await silentEndpoint();
            cleanup = endpoint.close;
            const w = startCli(["work", "--once", "--handler", "noop"], { KEDASCALE_CONNECTION_STRING: endpoint.connectionString });
            // Preflight's probe has connected: the process is past loading and inside its first network call.
            await waitFor("preflight to connect", () => endpoint.sockets.length > 0 || undefined, 20_000);
            w.proc.kill(signal);
            const exit = await w.exit;
            expect(exit).toEqual({ code: 0, signal: null });
            expect(w.logs().find((l) => l.msg === "shutdown requested before the worker started: nothing in flight, exiting")).toMatchObject({ signal });
        }, 30_000);
    }

    it("verify: SIGTERM while it waits on the network exits 143 (128 + 15) instead of dying of the signal", async () => {
        const endpoint = await silentEndpoint();
        cleanup = endpoint.close;
        const v = startCli(["verify", "--run-id", "r1"], { KEDASCALE_CONNECTION_STRING: endpoint.connectionString });
        await waitFor("preflight to connect", () => endpoint.sockets.length > 0 || undefined, 20_000);
        v.proc.kill("SIGTERM");
        expect(await v.exit).toEqual({ code: 143, signal: null });
    }, 30_000);
});
