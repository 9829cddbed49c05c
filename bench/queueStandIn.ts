/**
 * An in-memory Storage queue on loopback, for the one phase Azurite cannot serve: draining a 10,000-message backlog.
 *
 * Azurite keeps messages in a LokiJS collection and, on every Get Messages and Delete Message, scans the whole queue
 * for expired messages before it answers (LokiQueueMetadataStore.clearExpiredMessages): each call costs O(depth), a
 * drain O(depth²). Measured here: 2,000 messages drain at ~260 msg/s; 10,000 at ~2 msg/s (in memory; ~3 msg/s on disk),
 * Azurite at 100 % CPU and the worker idle — a measurement of Azurite, not of the worker. This stand-in
 * answers the calls a worker makes in O(1) each, so the backlog comparison (does the worker's peak memory grow
 * with the backlog?) measures the worker. The 2,000-message drain is also run on Azurite, so the two can be compared.
 *
 * It speaks the Queue service REST API's wire format (learn.microsoft.com/rest/api/storageservices/queue-service-rest-api)
 * for: Peek/Get/Put/Delete/Update Message and Get Queue Metadata on one queue; any other queue name answers empty
 * (the poison queue: the bench's messages are all valid). Authentication is not checked.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

interface Stored {
    id: string;
    text: string;
    inserted: Date;
    dequeueCount: number;
    popReceipt: string;
    /** ms epoch */
    visibleAt: number;
}

export interface QueueStandIn {
    /** A connection string for the queue service (account `standin`). */
    readonly connectionString: string;
    readonly queue: string;
    /** Messages stored (visible or not). */
    depth(): number;
    close(): Promise<void>;
}

const xml = (body: string) => `<?xml version="1.0" encoding="utf-8"?>${body}`;
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const FAR = new Date(Date.UTC(9999, 11, 31, 23, 59, 59)).toUTCString();

/** Starts the stand-in with `bodies` already enqueued on `queue`. */
export async function startQueueStandIn(queue: string, bodies: Iterable<string>): Promise<QueueStandIn> {
    // Visible messages in FIFO order; invisible ones by id, re-queued lazily when their time comes.
    const visible: Stored[] = [];
    let head = 0;
    const invisible = new Map<string, Stored>();
    const depth = () => visible.length - head + invisible.size;
    const now = new Date();
    for (const text of bodies) visible.push({ id: randomUUID(), text, inserted: now, dequeueCount: 0, popReceipt: "", visibleAt: 0 });

    const requeueExpired = (t: number) => {
        for (const m of invisible.values()) {
            if (m.visibleAt <= t) {
                invisible.delete(m.id);
                visible.push(m);
            }
        }
    };
    let lastSweep = 0;
    const takeVisible = (n: number, vtSeconds: number): Stored[] => {
        const t = Date.now();
        // A sweep per second at most: a message whose lock lapsed comes back, as on the real service.
        if (t - lastSweep > 1000) (requeueExpired(t), (lastSweep = t));
        const out: Stored[] = [];
        while (out.length < n && head < visible.length) {
            const m = visible[head++];
            m.dequeueCount++;
            m.popReceipt = randomUUID();
            m.visibleAt = t + vtSeconds * 1000;
            invisible.set(m.id, m);
            out.push(m);
        }
        // Compact the consumed prefix now and then, so memory follows the depth, not the history.
        if (head > 4096 && head * 2 > visible.length) (visible.splice(0, head), (head = 0));
        return out;
    };
    const messageXml = (m: Stored, withReceipt: boolean) =>
        `<QueueMessage><MessageId>${m.id}</MessageId><InsertionTime>${m.inserted.toUTCString()}</InsertionTime><ExpirationTime>${FAR}</ExpirationTime>` +
        (withReceipt ? `<PopReceipt>${m.popReceipt}</PopReceipt><TimeNextVisible>${new Date(m.visibleAt).toUTCString()}</TimeNextVisible>` : "") +
        `<DequeueCount>${m.dequeueCount}</DequeueCount><MessageText>${esc(m.text)}</MessageText></QueueMessage>`;

    const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
        const url = new URL(req.url!, "http://standin");
        const parts = url.pathname.split("/").filter(Boolean); // account, queue, "messages", id?
        const headers = { "x-ms-request-id": randomUUID(), "x-ms-version": "2025-11-05", date: new Date().toUTCString() };
        const send = (status: number, extra: Record<string, string> = {}, text?: string) => res.writeHead(status, { ...headers, ...(text ? { "content-type": "application/xml" } : {}), ...extra }).end(text);
        const list = (items: string) => send(200, {}, xml(`<QueueMessagesList>${items}</QueueMessagesList>`));
        if (parts[1] !== queue) return req.method === "GET" && parts[2] === "messages" ? list("") : send(url.searchParams.get("comp") === "metadata" ? 200 : 201, { "x-ms-approximate-messages-count": "0" });
        const n = Number(url.searchParams.get("numofmessages") ?? 1);
        if (url.searchParams.get("comp") === "metadata") return send(200, { "x-ms-approximate-messages-count": String(depth()) });
        if (parts[2] !== "messages") return send(404, { "x-ms-error-code": "ResourceNotFound" });
        const id = parts[3];
        if (req.method === "GET" && url.searchParams.get("peekonly") === "true") return list(visible.slice(head, head + n).map((m) => messageXml(m, false)).join(""));
        if (req.method === "GET") return list(takeVisible(n, Number(url.searchParams.get("visibilitytimeout") ?? 30)).map((m) => messageXml(m, true)).join(""));
        if (req.method === "POST") {
            const text = /<MessageText>([\s\S]*)<\/MessageText>/.exec(body)?.[1] ?? "";
            const m: Stored = { id: randomUUID(), text: text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&"), inserted: new Date(), dequeueCount: 0, popReceipt: randomUUID(), visibleAt: 0 };
            visible.push(m);
            return send(201, {}, xml(`<QueueMessagesList><QueueMessage><MessageId>${m.id}</MessageId><InsertionTime>${m.inserted.toUTCString()}</InsertionTime><ExpirationTime>${FAR}</ExpirationTime><PopReceipt>${m.popReceipt}</PopReceipt><TimeNextVisible>${m.inserted.toUTCString()}</TimeNextVisible></QueueMessage></QueueMessagesList>`));
        }
        const m = id ? invisible.get(id) : undefined;
        // The real service answers 404 MessageNotFound for an unknown id or a stale pop receipt.
        if (!m || m.popReceipt !== url.searchParams.get("popreceipt")) return send(404, { "x-ms-error-code": "MessageNotFound" });
        if (req.method === "DELETE") {
            invisible.delete(m.id);
            return send(204);
        }
        if (req.method === "PUT") {
            m.popReceipt = randomUUID();
            m.visibleAt = Date.now() + Number(url.searchParams.get("visibilitytimeout") ?? 0) * 1000;
            return send(204, { "x-ms-popreceipt": m.popReceipt, "x-ms-time-next-visible": new Date(m.visibleAt).toUTCString() });
        }
        return send(405);
    };
    const server = createServer((req, res) => {
        let body = "";
        req.setEncoding("utf8");
        req.on("data", (c: string) => (body += c));
        req.on("end", () => handle(req, res, body));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const key = Buffer.from("standin").toString("base64");
    return {
        connectionString: `DefaultEndpointsProtocol=http;AccountName=standin;AccountKey=${key};QueueEndpoint=http://127.0.0.1:${port}/standin;`,
        queue,
        depth,
        close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
    };
}
