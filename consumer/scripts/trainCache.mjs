/**
 * Produces dist/cache/ (the V8 code cache, see src/codeCache.ts) by running the built CLI under KEDASCALE_CODE_CACHE=
 * produce — with the very Node binary that runs this script, which must be the one that runs the image (the Dockerfile
 * runs this in its build stage from the runtime stage's base image). V8 rejects data from any other version.
 *
 * The training runs take the paths a pod takes, so the cache holds the functions they compile, not only the files'
 * top level: a Job's `work --once --handler results` against a stand-in for the Storage REST API on loopback (enough
 * of it for preflight, one receive, the result write and the delete), then `send`, then Service Bus up to the
 * connection attempt (no AMQP stand-in: that run caches the module loading only). Each run reads the cache the
 * previous ones wrote and adds to it. Needs no network beyond 127.0.0.1.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// The build to train: a dist folder (default: ../dist).
const worker = join(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", "dist"), "worker.cjs");

const xml = (body) => `<?xml version="1.0" encoding="utf-8"?>${body}`;
const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const now = () => new Date().toUTCString();
let delivered = 0;

/** Answers what the worker calls, shaped as the Queue and Blob REST APIs answer it. */
const server = createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const head = { "x-ms-request-id": "00000000-0000-0000-0000-000000000000", "x-ms-version": "2025-11-05", date: now() };
    req.resume();
    req.on("end", () => {
        const path = url.pathname;
        if (req.method === "GET" && path.endsWith("/messages") && url.searchParams.get("peekonly") === "true") {
            res.writeHead(200, { ...head, "content-type": "application/xml" }).end(xml("<QueueMessagesList></QueueMessagesList>"));
        } else if (req.method === "GET" && path.endsWith("/messages")) {
            const body = JSON.stringify({ id: `train-${delivered}`, runId: "train", seq: delivered++, payload: "x" });
            const msg = `<QueueMessage><MessageId>${crypto.randomUUID()}</MessageId><InsertionTime>${now()}</InsertionTime><ExpirationTime>${now()}</ExpirationTime><PopReceipt>AgAAAAMAAAAAAAAA</PopReceipt><TimeNextVisible>${now()}</TimeNextVisible><DequeueCount>1</DequeueCount><MessageText>${esc(body)}</MessageText></QueueMessage>`;
            res.writeHead(200, { ...head, "content-type": "application/xml" }).end(xml(`<QueueMessagesList>${msg}</QueueMessagesList>`));
        } else if (req.method === "POST" && path.endsWith("/messages")) {
            const msg = `<QueueMessage><MessageId>${crypto.randomUUID()}</MessageId><InsertionTime>${now()}</InsertionTime><ExpirationTime>${now()}</ExpirationTime><PopReceipt>AgAAAAMAAAAAAAAA</PopReceipt><TimeNextVisible>${now()}</TimeNextVisible></QueueMessage>`;
            res.writeHead(201, { ...head, "content-type": "application/xml" }).end(xml(`<QueueMessagesList>${msg}</QueueMessagesList>`));
        } else if (req.method === "DELETE") {
            res.writeHead(204, head).end();
        } else if (req.method === "GET" && url.searchParams.get("comp") === "list") {
            res.writeHead(200, { ...head, "content-type": "application/xml" }).end(xml(`<EnumerationResults ServiceEndpoint="http://127.0.0.1/" ContainerName="results"><Blobs /><NextMarker /></EnumerationResults>`));
        } else if (req.method === "HEAD") {
            // The start-up probe and the idempotency check: Get Blob Properties of a blob not written yet.
            res.writeHead(404, { ...head, "x-ms-error-code": "BlobNotFound" }).end();
        } else if (req.method === "PUT") {
            res.writeHead(201, { ...head, etag: '"0x1"', "last-modified": now(), "content-md5": "" }).end();
        } else {
            res.writeHead(404, { ...head, "x-ms-error-code": "ResourceNotFound" }).end();
        }
    });
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const port = server.address().port;
const key = Buffer.from("training").toString("base64");
const storage = `DefaultEndpointsProtocol=http;AccountName=train;AccountKey=${key};QueueEndpoint=http://127.0.0.1:${port}/train;BlobEndpoint=http://127.0.0.1:${port}/train;`;

const runs = [
    // Service Bus first: shared files keep growing, and the Storage Job path, trained last, is the one that counts most.
    { args: ["work", "--once", "--broker", "serviceBus", "--wait-ms", "0"], env: { KEDASCALE_CONNECTION_STRING: `Endpoint=sb://127.0.0.1:${port + 1}/;SharedAccessKeyName=train;SharedAccessKey=${key}`, KEDASCALE_RESULTS_CONNECTION_STRING: storage, KEDASCALE_RECEIVE_RETRY_BUDGET_MS: "0" }, mayFail: true },
    { args: ["send", "--count", "3", "--no-manifest"], env: { KEDASCALE_CONNECTION_STRING: storage } },
    { args: ["work", "--once", "--handler", "noop", "--wait-ms", "0"], env: { KEDASCALE_CONNECTION_STRING: storage } },
    { args: ["work", "--once", "--handler", "results", "--wait-ms", "0"], env: { KEDASCALE_CONNECTION_STRING: storage } },
];
try {
    for (const run of runs) {
        // Asynchronous: this process serves the stand-in API meanwhile.
        const r = await new Promise((resolve) => {
            const p = spawn(process.execPath, [worker, ...run.args], { env: { ...process.env, ...run.env, KEDASCALE_CODE_CACHE: "produce", KEDASCALE_QUIET: "true" }, stdio: ["ignore", "ignore", "pipe"] });
            let err = "";
            p.stderr.on("data", (c) => (err += c));
            p.on("close", (code) => resolve({ code, err }));
        });
        if (r.code !== 0 && !run.mayFail) throw new Error(`training run '${run.args.join(" ")}' failed (exit ${r.code}):\n${r.err}`);
    }
} finally {
    server.close();
}
