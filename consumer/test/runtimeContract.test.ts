/**
 * The runtime handlers' contract (issue 22, docs/worker-runtime.md): what goes on the wire to an HTTP handler (a
 * CloudEvent in binary content mode, the body's bytes unchanged), how statuses and Retry-After are read, how header
 * values are percent-encoded, and that the CLI refuses runtime settings that would have no effect — all at once.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpHeaders, percentEncode, processEnv } from "../src/runtime/cloudEvent";
import { retryAfterMs, verdictOf } from "../src/runtime/http";
import { startAzurite, type Azurite } from "./support/azurite";
import { runCli } from "./support/processes";

describe("CloudEvents metadata", () => {
    it("percent-encodes header values exactly as the HTTP binding's §3.1.3.2 example, and leaves safe ones alone", () => {
        expect(percentEncode("Euro € 😀")).toBe("Euro%20%E2%82%AC%20%F0%9F%98%80");
        expect(percentEncode('a"b%c')).toBe("a%22b%25c");
        expect(percentEncode("run1-42:x/y?z=1")).toBe("run1-42:x/y?z=1");
    });

    it("maps a delivery to ce-* headers and Content-Type (no ce-datacontenttype), and to CE_* variables", () => {
        const d = { id: "id 1", source: "sb://ns.servicebus.windows.net/jobs", time: "2026-12-05T10:00:00.000Z", contentType: "text/plain", deliveryCount: 3, body: Buffer.from("héllo") };
        expect(httpHeaders(d)).toEqual({
            "ce-specversion": "1.0",
            "ce-id": "id%201",
            "ce-source": "sb://ns.servicebus.windows.net/jobs",
            "ce-type": "kedascale.message",
            "ce-time": "2026-12-05T10:00:00.000Z",
            "ce-deliverycount": "3",
            "content-type": "text/plain",
            "content-length": "6",
        });
        expect(processEnv(d)).toEqual({ CE_SPECVERSION: "1.0", CE_ID: "id 1", CE_SOURCE: d.source, CE_TYPE: "kedascale.message", CE_TIME: d.time, CE_DELIVERYCOUNT: "3", CE_CONTENT_TYPE: "text/plain" });
    });
});

describe("what an HTTP answer means", () => {
    it.each([
        [200, "complete"], [201, "complete"], [204, "complete"],
        [400, "park"], [404, "park"], [409, "park"], [422, "park"],
        [408, "retry"], [429, "retry"], [500, "retry"], [502, "retry"], [503, "retry"], [302, "retry"], [100, "retry"],
    ] as const)("%i → %s", (status, kind) => {
        expect(verdictOf(status, "why", undefined, 60_000).kind).toBe(kind);
    });

    it("a rejection carries the status and the handler's words; Retry-After is read in seconds or as a date, capped", () => {
        expect(verdictOf(422, "field x missing", undefined, 1000)).toEqual({ kind: "park", description: "HTTP 422: field x missing" });
        expect(retryAfterMs("3")).toBe(3000);
        expect(retryAfterMs(new Date(10_000 + 5000).toUTCString(), 10_000)).toBe(5000);
        expect(retryAfterMs("soon")).toBeUndefined();
        expect(retryAfterMs(undefined)).toBeUndefined();
        expect(verdictOf(429, "", 600_000, 8000)).toEqual({ kind: "retry", error: "HTTP 429", retryAfterMs: 8000 });
    });
});

/** A port nothing listens on: gets a command past flag checks to a fast, offline failure. */
const DEAD_END = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=eA==;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;";

describe("runtime settings that would have no effect are refused, all at once", () => {
    it("HTTP settings with a built-in or exec handler, a command without exec, exec without a command, a deadline past renewal", async () => {
        const env = { KEDASCALE_CONNECTION_STRING: DEAD_END };
        const builtIn = await runCli(["work", "--handler", "noop", "--handler-port", "9000", "--handler-timeout-ms", "5000"], { ...env, KEDASCALE_HANDLER_PATH: "/x" });
        expect(builtIn.code).toBe(1);
        const msg = builtIn.logs.find((l) => l.level === "error")?.msg as string;
        expect(msg).toMatch(/--handler-port \(KEDASCALE_HANDLER_PORT\) has no effect with --handler noop/);
        expect(msg).toMatch(/--handler-path \(KEDASCALE_HANDLER_PATH\) has no effect with --handler noop/);
        expect(msg).toMatch(/--handler-timeout-ms \(KEDASCALE_HANDLER_TIMEOUT_MS\) has no effect with --handler noop/);
        const noCommand = await runCli(["work", "--handler", "exec"], env);
        expect(noCommand.output).toMatch(/--handler exec needs the command to run after `--`/);
        const stray = await runCli(["work", "--handler", "http", "--", "python3", "h.py"], env);
        expect(stray.output).toMatch(/a command \(python3 h\.py\) has no effect with --handler http/);
        const execPort = await runCli(["work", "--handler", "exec", "--handler-health-path", "/ready", "--", "true"], env);
        expect(execPort.output).toMatch(/--handler-health-path \(KEDASCALE_HANDLER_HEALTH_PATH\) has no effect with --handler exec/);
        const long = await runCli(["work", "--handler", "http", "--handler-timeout-ms", "700000", "--handler-path", "x"], env);
        expect(long.output).toMatch(/--handler-timeout-ms \(KEDASCALE_HANDLER_TIMEOUT_MS\) 700000 is longer than --max-renew-ms 600000/);
        expect(long.output).toMatch(/--handler-path \(KEDASCALE_HANDLER_PATH\) 'x' must start with '\/'/);
        for (const r of [noCommand, stray, execPort, long]) expect(r.code).toBe(1);
    });

    it("an exec command that cannot run stops the worker at start, naming it, before anything is received", async () => {
        const r = await runCli(["work", "--once", "--handler", "exec", "--", "/nonexistent/handler.sh"], { KEDASCALE_CONNECTION_STRING: azurite.connectionString, KEDASCALE_QUEUE: queue });
        expect(r.code).toBe(1);
        expect(r.logs.find((l) => l.level === "error")?.msg).toMatch(/the exec handler cannot run: \/nonexistent\/handler\.sh does not exist or is not an executable file/);
        expect((await new QueueClient(azurite.connectionString, queue).peekMessages()).peekedMessageItems[0]?.dequeueCount).toBe(0);
    });
});

let azurite: Azurite;
const queue = `contract-${process.pid}`;
beforeAll(async () => {
    azurite = await startAzurite();
    await Promise.all([new QueueClient(azurite.connectionString, queue).create(), new QueueClient(azurite.connectionString, `${queue}-poison`).create()]);
    await new QueueClient(azurite.connectionString, queue).sendMessage("stays");
}, 60_000);
afterAll(() => azurite?.stop());

describe("on the wire", () => {
    it("a message reaches the HTTP handler as a CloudEvent in binary mode: ce-* headers, its bytes unchanged, POSTed to --handler-path", async () => {
        const q = `wire-${process.pid}`;
        const cs = azurite.connectionString;
        await Promise.all([new QueueClient(cs, q).create(), new QueueClient(cs, `${q}-poison`).create()]);
        // Not JSON, not ASCII: the runtime hands over bytes and does not parse them.
        const body = 'héllo <&> "not JSON" ✓';
        const sent = await new QueueClient(cs, q).sendMessage(body);
        const seen: { method?: string; url?: string; headers: IncomingHttpHeaders; sha: string }[] = [];
        const server = createServer((req, res) => {
            if (req.url === "/ready") return void res.writeHead(204).end();
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                seen.push({ method: req.method, url: req.url, headers: req.headers, sha: createHash("sha256").update(Buffer.concat(chunks)).digest("hex") });
                res.writeHead(202).end();
            });
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        try {
            const port = (server.address() as AddressInfo).port;
            const r = await runCli(["work", "--once", "--handler", "http", "--handler-port", String(port), "--handler-path", "/events?x=1", "--handler-health-path", "/ready"], { KEDASCALE_CONNECTION_STRING: cs, KEDASCALE_QUEUE: q });
            expect(r.code, r.output).toBe(0);
            expect(seen).toHaveLength(1);
            const h = seen[0].headers;
            expect(seen[0]).toMatchObject({ method: "POST", url: "/events?x=1", sha: createHash("sha256").update(body, "utf8").digest("hex") });
            expect(h).toMatchObject({
                "ce-specversion": "1.0",
                "ce-id": sent.messageId,
                "ce-source": `${azurite.queueEndpoint}/${q}`,
                "ce-type": "kedascale.message",
                "ce-deliverycount": "1",
                "content-type": "application/octet-stream",
            });
            expect(Math.abs(Date.parse(String(h["ce-time"])) - sent.insertedOn.getTime())).toBeLessThan(1000);
            expect(h["ce-datacontenttype"]).toBeUndefined();
            expect(r.logs.find((l) => l.msg === "completed")).toMatchObject({ id: sent.messageId, outcome: "HTTP 202" });
        } finally {
            server.closeAllConnections();
            await new Promise((r) => server.close(r));
        }
    });
});

describe("what the brokers hand the runtime", () => {
    it("Service Bus: ce-id is messageId (the key duplicate detection uses), a binary body stays bytes, its contentType and enqueued time carry over", async () => {
        const { ServiceBusBroker } = await import("../src/broker/serviceBus");
        const { deliveryOf } = await import("../src/runtime/deliver");
        const binary = Buffer.from([0, 1, 2, 0xff, 0xfe]);
        const enqueued = new Date("2026-12-05T10:00:00.000Z");
        const receiver = {
            receiveMessages: async () => [{ messageId: "order 17", sequenceNumber: 42, body: binary, deliveryCount: 2, contentType: "application/x-protobuf", enqueuedTimeUtc: enqueued, lockedUntilUtc: new Date(Date.now() + 60_000) }],
            close: async () => {},
        };
        const client = { createReceiver: () => receiver, createSender: () => ({}), close: async () => {}, fullyQualifiedNamespace: "ns.servicebus.windows.net" };
        const b = new ServiceBusBroker({ client: client as never, queueName: "jobs", lockDurationMs: 60_000, maxDeliveryCount: 10 });
        const [m] = await b.receive(1, 0);
        const d = deliveryOf(m, b.source);
        expect(d).toEqual({ id: "order 17", source: "sb://ns.servicebus.windows.net/jobs", time: "2026-12-05T10:00:00.000Z", contentType: "application/x-protobuf", deliveryCount: 2, body: binary });
        expect(m.brokerId).toBe("42");
        expect(httpHeaders(d)["ce-id"]).toBe("order%2017");
    });

    it("a content type Node could not send as a header falls back to application/octet-stream", async () => {
        const { deliveryOf } = await import("../src/runtime/deliver");
        expect(deliveryOf({ brokerId: "1", body: "x", deliveryCount: 1, contentType: "text/plain; name=é" }, "s").contentType).toBe("application/octet-stream");
        expect(deliveryOf({ brokerId: "1", body: "x", deliveryCount: 1 }, "s")).toMatchObject({ id: "1", contentType: "application/octet-stream", time: undefined });
    });
});
