/**
 * The example HTTP handler (handler.py, standard library only) as a real process, sent real requests with the headers
 * the worker sends (consumer/src/runtime/cloudEvent.ts httpHeaders), over keep-alive connections as the worker's agent
 * keeps them. The worker's side of the contract is tested in consumer/test.
 */
import { Agent, request } from "node:http";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpHeaders } from "../../../consumer/src/runtime/cloudEvent";
import type { Delivery } from "../../../consumer/src/runtime/types";
import { ensureDebianPython, INSTALL_TIMEOUT_MS, start, type PyProcess } from "../../support/python";

const HANDLER = join(__dirname, "handler.py");
const dirs: string[] = [];
const procs: PyProcess[] = [];

beforeAll(() => ensureDebianPython(["json", "http.server"], ["python3"]), INSTALL_TIMEOUT_MS);
afterAll(() => {
    for (const p of procs) if (p.proc.exitCode === null) p.proc.kill("SIGKILL");
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
    const d = mkdtempSync(join(tmpdir(), "kedascale-http-handler-"));
    dirs.push(d);
    return d;
}

/** Starts the handler on a free port (PORT=0) and resolves once it says where it listens. */
async function startHandler(env: Record<string, string> = {}): Promise<{ p: PyProcess; port: number }> {
    const p = start([HANDLER], { env: { PORT: "0", HOST: "127.0.0.1", ...env } });
    procs.push(p);
    const line = await p.waitForLog((l) => l.msg === "listening");
    return { p, port: line.port };
}

interface Answer {
    status: number;
    body: string;
    headers: Record<string, string | string[] | undefined>;
}

function send(port: number, o: { method?: string; path?: string; headers?: Record<string, string>; body?: Buffer | string; agent?: Agent }): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, method: o.method ?? "POST", path: o.path ?? "/", headers: o.headers, agent: o.agent ?? false }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
        });
        req.on("error", reject);
        req.end(o.body);
    });
}

function delivery(body: string | Buffer, over: Partial<Delivery> = {}): Delivery {
    return { id: "msg-1", source: "https://acct.queue.core.windows.net/jobs", contentType: "application/json", deliveryCount: 1, time: "2026-12-05T10:00:00Z", body: Buffer.from(body), ...over };
}

/** POSTs a message exactly as the worker does. */
function deliver(port: number, d: Delivery, agent?: Agent): Promise<Answer> {
    return send(port, { headers: httpHeaders(d), body: d.body, agent });
}

describe("handlers/http: a CloudEvent per message, the status decides", () => {
    it("GET the health path answers 200; another path 404", async () => {
        const { port } = await startHandler();
        expect((await send(port, { method: "GET", path: "/healthz" })).status).toBe(200);
        expect((await send(port, { method: "GET", path: "/nope" })).status).toBe(404);
    });

    it("2xx for a message it processed; its result is stored once under the ce-id, and a redelivery answers 2xx without a second write", async () => {
        const dir = tempDir();
        const { port } = await startHandler({ RESULTS_DIR: dir });
        const d = delivery(JSON.stringify({ id: "order-7", workMs: 10 }), { id: "run:1" });
        const first = await deliver(port, d);
        expect(first).toMatchObject({ status: 200, body: "done" });
        // ce-id arrives percent-encoded when it must be (cloudEvent.ts); the handler decodes it.
        expect(readdirSync(dir)).toEqual(["run:1.json"]);
        const stored = readFileSync(join(dir, "run:1.json"), "utf8");
        expect(JSON.parse(stored)).toEqual({ id: "order-7", eventId: "run:1", deliveryCount: 1 });
        const again = await deliver(port, { ...d, deliveryCount: 2 });
        expect(again).toMatchObject({ status: 200, body: "already done" });
        expect(readFileSync(join(dir, "run:1.json"), "utf8")).toBe(stored);
    });

    it("a percent-encoded ce-id is decoded (CloudEvents HTTP binding §3.1.3.2)", async () => {
        const dir = tempDir();
        const { port } = await startHandler({ RESULTS_DIR: dir });
        const d = delivery(JSON.stringify({ id: "a" }), { id: "id%with\"quote" });
        expect(httpHeaders(d)["ce-id"]).toBe("id%25with%22quote");
        // Decoded, the id is no file name: refused with a reason, which shows it was decoded (not taken raw).
        const r = await deliver(port, d);
        expect(r.status).toBe(422);
        expect(r.body).toContain(`'id%with"quote'`);
    });

    it("4xx (422) with the reason for a message it can never process: not JSON, not the schema, not UTF-8", async () => {
        const { port } = await startHandler();
        const notJson = await deliver(port, delivery("not json"));
        expect(notJson.status).toBe(422);
        expect(notJson.body).toMatch(/^NotJson: body is not JSON/);
        expect((await deliver(port, delivery('{"id": "../etc"}'))).body).toMatch(/^SchemaViolation/);
        expect((await deliver(port, delivery(Buffer.from([0xff, 0xfe, 0x00])))).status).toBe(422);
        expect((await deliver(port, delivery('{"id": "a", "workMs": -5}'))).status).toBe(422);
    });

    it("5xx for a failure that may pass (the worker retries), then 2xx once it passes", async () => {
        const { port } = await startHandler();
        const body = JSON.stringify({ id: "flaky", failDeliveries: 1 });
        const first = await deliver(port, delivery(body, { deliveryCount: 1 }));
        expect(first.status).toBe(503);
        expect(first.body).toMatch(/failDeliveries=1, delivery 1/);
        expect((await deliver(port, delivery(body, { deliveryCount: 2 }))).status).toBe(200);
    });

    it("a results directory it cannot write to is a 5xx (retried), not a parked message", async () => {
        const file = join(tempDir(), "not-a-dir");
        writeFileSync(file, "");
        const { port } = await startHandler({ RESULTS_DIR: file });
        const r = await deliver(port, delivery('{"id": "a"}'));
        expect(r.status).toBe(503);
        expect(r.body).toMatch(/cannot write the result/);
    });

    it("a request that is not a CloudEvent in binary mode is refused (400), as is a body over its limit (413)", async () => {
        const { port } = await startHandler();
        expect((await send(port, { headers: { "content-type": "application/json" }, body: '{"id":"a"}' })).status).toBe(400);
        const big = Buffer.alloc(1024 * 1024 + 1, 0x20);
        expect((await deliver(port, delivery(big))).status).toBe(413);
    });

    it("serves many requests over one kept-alive connection, and several at once", async () => {
        const { port } = await startHandler();
        const agent = new Agent({ keepAlive: true, maxSockets: 4 });
        const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => deliver(port, delivery(JSON.stringify({ id: `m${i}`, workMs: 50 }), { id: `e${i}` }), agent)));
        expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
        agent.destroy();
    });

    it("SIGTERM: refuses new connections, finishes the request in flight, closes idle keep-alive connections, exits 0", async () => {
        const dir = tempDir();
        const { p, port } = await startHandler({ RESULTS_DIR: dir });
        const idle = new Agent({ keepAlive: true, maxSockets: 1 });
        expect((await deliver(port, delivery('{"id": "warm"}', { id: "warm" }), idle)).status).toBe(200); // now an idle kept-alive socket
        const inflight = deliver(port, delivery(JSON.stringify({ id: "slow", workMs: 1500 }), { id: "slow" }));
        await new Promise((r) => setTimeout(r, 300)); // the slow request is being processed
        p.proc.kill("SIGTERM");
        await p.waitForLog((l) => l.msg?.startsWith("stopping"));
        await new Promise((r) => setTimeout(r, 400)); // past serve_forever's 0.2 s poll: the listening socket is closed
        await expect(send(port, { method: "GET", path: "/healthz" })).rejects.toMatchObject({ code: "ECONNREFUSED" });
        const answered = await inflight;
        expect(answered).toMatchObject({ status: 200, body: "done" });
        expect(answered.headers.connection).toBe("close");
        // Exits on its own (the idle socket did not hold it for the 30 s idle timeout); the bound only ends a hang.
        const exit = await Promise.race([p.exit, new Promise<"hung">((r) => setTimeout(() => r("hung"), 15_000))]);
        expect(exit).toEqual({ code: 0, signal: null });
        expect(readdirSync(dir).sort()).toEqual(["slow.json", "warm.json"]);
        idle.destroy();
    });
});
