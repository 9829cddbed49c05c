/**
 * The worker's fault handling, in process over a fake broker (Storage semantics: rotating receipts, visibility,
 * delivery counts), where each fault can be made exact: slow renewals, failing settlements, hung calls, outages,
 * 20,000 idle polls. The same faults over real processes and a real Azurite are in faults.test.ts.
 */
import { getEventListeners } from "node:events";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sleep as abortableSleep } from "../src/broker/abort";
import { parkEnvelope, PREVIEW_BYTES } from "../src/broker/park";
import { StorageQueueBroker } from "../src/broker/storageQueue";
import { STORAGE_MESSAGE_MAX_BYTES } from "../src/broker/types";
import type { Handler } from "../src/handler";
import { isValidId, parseWorkMessage, resultBlobName } from "../src/message";
import { releaseDelayMs, Worker, type WorkerOptions } from "../src/worker";
import { FakeBroker, never } from "./support/fakeBroker";

const body = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify({ id, ...extra });

function worker(broker: FakeBroker, handler: Handler, o: Partial<WorkerOptions> = {}): Worker {
    return new Worker({
        broker,
        handler,
        mode: "drain",
        inflight: 4,
        batchSize: 4,
        receiveWaitMs: 0,
        maxBodyBytes: 256 * 1024,
        maxRenewMs: 60_000,
        graceMs: 1000,
        callTimeoutMs: 2000,
        releaseBackoffMs: 20,
        releaseBackoffMaxMs: 200,
        receiveRetryBudgetMs: 500,
        hardExitAfterGraceMs: 0,
        ...o,
    });
}

/** A result store in memory: done ids, as resultWritingHandler's create-only blobs behave. */
function storeHandler(o: { failFirst?: number; workMs?: number } = {}) {
    const done = new Set<string>();
    const attempts = new Map<string, number>();
    const handler: Handler = async (m, ctx) => {
        const n = (attempts.get(m.id) ?? 0) + 1;
        attempts.set(m.id, n);
        if (o.workMs) await abortableSleep(o.workMs);
        if (ctx.signal.aborted) throw ctx.signal.reason;
        if (n <= (o.failFirst ?? 0)) throw new Error(`results store unreachable (attempt ${n})`);
        if (done.has(m.id)) return "alreadyExists";
        done.add(m.id);
        return "written";
    };
    handler.isDone = async (m) => done.has(m.id);
    return { handler, done, attempts };
}

let stderr: { mock: { calls: unknown[][] } };
beforeEach(() => {
    // The worker logs JSON lines; keep the test output readable.
    stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());
const logged = () => stderr.mock.calls.map((c) => String(c[0])).filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);

describe("settlement under faults", () => {
    it("a renewal in flight when the handler finishes never breaks the completion: done work is completed, not parked (point 2)", async () => {
        // Renewal every 250 ms takes 200 ms to land: without serialisation the delete uses a receipt the renewal rotates.
        // Renewal every 500 ms with a 300 ms round trip; the handler ends 700 ms in, while the receipt is changing.
        const broker = new FakeBroker(1000, 2);
        broker.renewLatencyMs = 300;
        for (let i = 0; i < 12; i++) broker.add(body(`slow-${i}`));
        const { handler, done } = storeHandler({ workMs: 700 });
        const stats = await worker(broker, handler, { inflight: 6, batchSize: 6 }).run();
        expect(broker.calls.renew).toBeGreaterThan(0);
        expect(done.size).toBe(12);
        expect(broker.messages.size).toBe(0);
        expect(broker.parked).toEqual([]);
        expect(stats).toMatchObject({ completed: 12, deadLettered: 0, settleErrors: 0 });
    });

    it("a failing completion is a settlement error, never a handler failure; the redelivery finds its result and completes (point 2)", async () => {
        const broker = new FakeBroker(100, 3);
        let failures = 0;
        broker.hook = (op) => {
            // Every completion fails until the message is past its delivery limit.
            if (op === "complete" && failures++ < 3) throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
        };
        broker.add(body("done-once"));
        const { handler, attempts } = storeHandler();
        const w = worker(broker, handler, { mode: "continuous" });
        const run = w.run();
        await vi.waitFor(() => expect(broker.messages.size).toBe(0), { timeout: 5000 });
        w.stop();
        const stats = await run;
        expect(broker.parked).toEqual([]);
        expect(broker.messages.size).toBe(0);
        expect(stats.settleErrors).toBe(3);
        // Delivery 4 is past the limit (3): the worker checked the result, found it, completed without running the handler.
        expect(attempts.get("done-once")).toBe(3);
        expect(logged().some((l) => l.msg === "handler failed, released for retry")).toBe(false);
    });

    it("a message that ran out of deliveries is parked only when its result does not exist, and kept when the check cannot be made", async () => {
        const broker = new FakeBroker(100, 2);
        broker.add(body("never-works", { failDeliveries: -1 }));
        const failing: Handler = async () => {
            throw new Error("handler bug");
        };
        let storeUp = false;
        failing.isDone = async () => {
            if (!storeUp) throw new Error("results store unreachable");
            return false;
        };
        const w = worker(broker, failing, { mode: "continuous" });
        const run = w.run();
        await vi.waitFor(() => expect(logged().some((l) => l.msg === "cannot tell whether the work is done; released for retry")).toBe(true), { timeout: 5000 });
        expect(broker.parked).toEqual([]);
        storeUp = true;
        await vi.waitFor(() => expect(broker.parked).toHaveLength(1), { timeout: 5000 });
        w.stop();
        await run;
        expect(broker.parked[0].reason).toMatch(/HandlerFailed|MaxDeliveryCountExceeded/);
    });

    it("a failed parking is visible, counted, and the message stays on the queue (point 3)", async () => {
        const broker = new FakeBroker(100, 5);
        let poisonUp = false;
        broker.hook = (op) => {
            if (op === "deadLetter" && !poisonUp) throw Object.assign(new Error("The specified queue does not exist."), { statusCode: 404, code: "QueueNotFound" });
        };
        broker.add("{not json");
        const w = worker(broker, storeHandler().handler, { mode: "continuous" });
        const run = w.run();
        await vi.waitFor(() => expect(w.stats.parkFailures).toBeGreaterThan(0), { timeout: 5000 });
        expect(broker.messages.size).toBe(1);
        expect(logged().find((l) => l.msg === "dead-lettering failed; the message stays on the queue")).toMatchObject({ level: "error", reason: "NotJson" });
        poisonUp = true;
        await vi.waitFor(() => expect(broker.parked).toHaveLength(1), { timeout: 5000 });
        w.stop();
        await run;
        expect(broker.messages.size).toBe(0);
    });
});

describe("retries with a growing backoff (point 5)", () => {
    it("doubles per delivery within ±20 %, capped", () => {
        const mid = () => 0.5;
        expect([1, 2, 3, 4, 5].map((d) => releaseDelayMs(d, 2000, 300_000, mid))).toEqual([2000, 4000, 8000, 16000, 32000]);
        expect(releaseDelayMs(30, 2000, 300_000, mid)).toBe(300_000);
        for (let i = 0; i < 200; i++) {
            const d = releaseDelayMs(3, 1000, 60_000);
            expect(d).toBeGreaterThanOrEqual(3200);
            expect(d).toBeLessThanOrEqual(4800);
        }
    });

    it("a flaky handler's message is released later each time and ends done, not parked", async () => {
        const broker = new FakeBroker(1000, 5);
        broker.add(body("flaky"));
        const { handler, done } = storeHandler({ failFirst: 3 });
        await worker(broker, handler, { releaseBackoffMs: 40, releaseBackoffMaxMs: 1000 }).run();
        expect(done.has("flaky"), JSON.stringify(logged())).toBe(true);
        expect(broker.parked).toEqual([]);
        expect(broker.releaseDelays).toHaveLength(3);
        expect(broker.releaseDelays[1]).toBeGreaterThan(broker.releaseDelays[0]);
        expect(broker.releaseDelays[2]).toBeGreaterThan(broker.releaseDelays[1]);
    });

    it("Storage: a release never asks for more than 7 days nor past the message's expiry", async () => {
        const updates: number[] = [];
        const queue = {
            name: "q",
            updateMessage: async (_id: string, _r: string, _t: undefined, visibility: number) => (updates.push(visibility), { popReceipt: "r2" }),
        };
        const b = new StorageQueueBroker({ queue: queue as never, poisonQueue: queue as never, visibilityTimeoutSeconds: 30, maxDequeueCount: 5 });
        const far = { brokerId: "1", body: "", deliveryCount: 1, popReceipt: "r", expiresOn: new Date(Date.now() + 30 * 86400_000) };
        const soon = { ...far, expiresOn: new Date(Date.now() + 60_000) };
        await b.release(far, 30 * 86400_000);
        await b.release(soon, 3600_000);
        expect(updates[0]).toBe(7 * 24 * 3600);
        expect(updates[1]).toBeLessThanOrEqual(60);
    });
});

describe("deadlines and shutdown", () => {
    it("a hung completion does not hold the message: the call is cut at its deadline and counted as a settlement error (point 4)", async () => {
        const broker = new FakeBroker(60_000, 5);
        broker.hook = (op, _m, signal) => (op === "complete" ? never(signal) : undefined);
        broker.add(body("hung"));
        const stats = await worker(broker, storeHandler().handler, { callTimeoutMs: 300 }).run();
        expect(stats.settleErrors).toBe(1);
        expect(logged().find((l) => l.msg === "complete failed; the broker will redeliver")?.error).toMatch(/did not answer within 300 ms/);
    });

    it("--once: SIGTERM while the one message is in flight releases it at the end of the grace period (point 9)", async () => {
        const broker = new FakeBroker(60_000, 5);
        broker.add(body("job"));
        const handler: Handler = (_m, ctx) => abortableSleep(60_000, ctx.signal).then(() => ctx.signal.throwIfAborted());
        const w = worker(broker, handler, { mode: "once", inflight: 1, graceMs: 200 });
        const run = w.run();
        await vi.waitFor(() => expect(w.inFlight).toBe(1));
        w.stop();
        const stats = await run;
        expect(stats).toMatchObject({ released: 1, completed: 0 });
        expect(broker.releaseDelays).toEqual([0]);
        expect(broker.messages.get("m0")?.visibleAt).toBeLessThanOrEqual(Date.now());
    });

    it("a handler deaf to its abort signal cannot hold the worker: run() ends after grace + release budget", async () => {
        const broker = new FakeBroker(60_000, 5);
        broker.add(body("deaf"));
        const w = worker(broker, () => new Promise(() => {}), { mode: "continuous", graceMs: 100 });
        const run = w.run();
        await vi.waitFor(() => expect(w.inFlight).toBe(1));
        w.stop();
        await run;
        expect(logged().some((l) => l.msg === "exiting with messages still in flight; their locks lapse and they are redelivered")).toBe(true);
    });
});

describe("receive outages (point 1)", () => {
    const outage = (broker: FakeBroker, failures: number) => {
        let n = 0;
        broker.hook = (op) => {
            if (op === "receive" && n++ < failures) throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:10001"), { code: "ECONNREFUSED" });
        };
    };

    it("continuous: survives failed receives, says so once, then that it recovered, and does the work", async () => {
        const broker = new FakeBroker(1000, 5);
        outage(broker, 4);
        broker.add(body("after-outage"));
        const { handler, done } = storeHandler();
        const w = worker(broker, handler, { mode: "continuous" });
        const run = w.run();
        await vi.waitFor(() => expect(done.has("after-outage")).toBe(true), { timeout: 10_000 });
        w.stop();
        await run;
        const msgs = logged().map((l) => l.msg);
        expect(msgs.filter((m) => m === "receive failed; retrying until the broker answers")).toHaveLength(1);
        expect(msgs).toContain("broker reachable again");
        expect(w.stats.receiveFailures).toBe(4);
    });

    it.each(["once", "drain"] as const)("%s: a broker that stays unreachable fails the run (non-zero exit) after the retry budget", async (mode) => {
        const broker = new FakeBroker(1000, 5);
        outage(broker, 1e9);
        await expect(worker(broker, storeHandler().handler, { mode, receiveRetryBudgetMs: 300 }).run()).rejects.toThrow(/could not receive from the storageQueue queue .* ECONNREFUSED/);
    });

    it("drain: an outage shorter than the budget is ridden out and the queue drained", async () => {
        const broker = new FakeBroker(1000, 5);
        outage(broker, 2);
        for (let i = 0; i < 5; i++) broker.add(body(`d-${i}`));
        const { handler, done } = storeHandler();
        await worker(broker, handler, { receiveRetryBudgetMs: 10_000 }).run();
        expect(done.size).toBe(5);
    });
});

describe("idle memory (point 6)", () => {
    it("20,000 empty polls: no MaxListenersExceededWarning, no listener left on the shutdown signal, heap flat", async () => {
        setFlagsFromString("--expose-gc");
        const gc = runInNewContext("gc") as () => void;
        const warnings: Error[] = [];
        const onWarning = (w: Error) => warnings.push(w);
        process.on("warning", onWarning);
        const broker = new FakeBroker(1000, 5);
        broker.emptyPollDelayMs = 0;
        let polls = 0;
        const signals: AbortSignal[] = [];
        let heapAt2k = 0;
        let w!: Worker;
        broker.hook = (op, _m, signal) => {
            if (op !== "receive") return;
            polls++;
            if (polls <= 3) signals.push(signal!);
            if (polls === 2000) {
                gc();
                heapAt2k = process.memoryUsage().heapUsed;
            }
            if (polls === 20_000) w.stop();
        };
        w = worker(broker, storeHandler().handler, { mode: "continuous", receiveWaitMs: 0 });
        await w.run();
        gc();
        const growth = process.memoryUsage().heapUsed - heapAt2k;
        process.off("warning", onWarning);
        expect(polls).toBe(20_000);
        expect(warnings.filter((x) => x.name === "MaxListenersExceededWarning")).toEqual([]);
        for (const s of signals) expect(getEventListeners(s, "abort")).toHaveLength(0);
        // Leaking one listener + closure per poll grew the heap by ~10 MB per 20,000 polls (issue 10 point 6).
        expect(growth).toBeLessThan(2 * 1024 * 1024);
    }, 60_000);

    it("the Storage adapter's poll wait leaves no listener on the caller's signal", async () => {
        const queue = { receiveMessages: async () => ({ receivedMessageItems: [] }) };
        const b = new StorageQueueBroker({ queue: queue as never, poisonQueue: queue as never, visibilityTimeoutSeconds: 30, maxDequeueCount: 5 });
        const shutdown = new AbortController();
        for (let i = 0; i < 50; i++) await b.receive(1, 120, shutdown.signal);
        expect(getEventListeners(shutdown.signal, "abort")).toHaveLength(0);
    });
});

describe("parking always fits (point 3)", () => {
    const bytes = (s: string) => Buffer.byteLength(s, "utf8");
    const input = (b: string) => ({ reason: "NotJson", description: "x".repeat(100_000), deliveryCount: 1, brokerId: "b1", body: b });

    it.each([
        ["1 MiB of ASCII", "a".repeat(1024 * 1024)],
        ["63 KiB that JSON-escapes to 6×", "\u0001".repeat(63 * 1024)],
        ["multi-byte characters", "é😀".repeat(20_000)],
    ])("%s: stored aside with a reference and the original size; the parked message fits 64 KiB", async (_what, b) => {
        const stored = new Map<string, string>();
        const parked = await parkEnvelope(input(b), { maxBytes: STORAGE_MESSAGE_MAX_BYTES, refName: "_parked/q/b1", store: { put: async (n, c) => void stored.set(n, c) } });
        expect(bytes(parked)).toBeLessThanOrEqual(STORAGE_MESSAGE_MAX_BYTES);
        const p = JSON.parse(parked);
        expect(p).toMatchObject({ reason: "NotJson", truncated: true, originalBytes: bytes(b), bodyRef: "_parked/q/b1" });
        expect(stored.get("_parked/q/b1")).toBe(b);
        expect(bytes(p.bodyPreview)).toBeLessThanOrEqual(PREVIEW_BYTES);
        expect(b.startsWith(p.bodyPreview)).toBe(true);
    });

    it("when the body cannot be stored aside either, the preview and original size are parked, with why", async () => {
        const parked = await parkEnvelope(input("z".repeat(200_000)), {
            maxBytes: STORAGE_MESSAGE_MAX_BYTES,
            refName: "r",
            store: { put: async () => Promise.reject(new Error("container not found")) },
        });
        expect(bytes(parked)).toBeLessThanOrEqual(STORAGE_MESSAGE_MAX_BYTES);
        expect(JSON.parse(parked)).toMatchObject({ truncated: true, originalBytes: 200_000, bodyStoreError: expect.stringMatching(/container not found/) });
    });

    it("a body that fits is parked whole", async () => {
        const parked = JSON.parse(await parkEnvelope(input("{small"), { maxBytes: STORAGE_MESSAGE_MAX_BYTES, refName: "r" }));
        expect(parked.body).toBe("{small");
        expect(parked.truncated).toBeUndefined();
    });
});

describe("ids stay inside their run (point 7)", () => {
    it.each([".", "..", "...", "run.", ".hidden", "a/b", "_parked", "", "x".repeat(201)])("refuses %j", (id) => {
        expect(isValidId(id)).toBe(false);
        expect(() => parseWorkMessage(JSON.stringify({ id: "ok", runId: id, seq: 0 }), 1024)).toThrow(/runId must be/);
        expect(() => parseWorkMessage(JSON.stringify({ id }), 1024)).toThrow(/id must be/);
    });

    it.each(["a", "run-1", "r.1", "urn:x:1", "A_".slice(0, 1), "x".repeat(200)])("accepts %j, and its result stays under its own prefix", (id) => {
        expect(isValidId(id)).toBe(true);
        const name = resultBlobName(parseWorkMessage(JSON.stringify({ id, runId: id, seq: 3 }), 1024));
        expect(name).toBe(`${id}/3.json`);
        expect(new URL(`http://h/c/${name}`).pathname).toBe(`/c/${id}/3.json`);
    });
});
