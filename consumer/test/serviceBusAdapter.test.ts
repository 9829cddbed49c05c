/**
 * The Service Bus adapter under Service Bus's own failure modes, over a fake receiver (no emulator here): calls
 * that take no AbortSignal are still cut at the worker's deadline, lock loss and ServiceBusError codes are
 * classified, settlement waits for a renewal in flight, a release with a delay abandons later or lets the lock lapse.
 * Run end to end against a real namespace with the behaviour suite (KEDASCALE_TEST_SERVICEBUS_CONNECTION_STRING).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { withDeadline } from "../src/broker/abort";
import { classifyServiceBusError, ServiceBusBroker } from "../src/broker/serviceBus";
import type { Handler } from "../src/handler";
import { Worker } from "../src/worker";

const sbError = (code: string) => Object.assign(new Error(`service bus says ${code}`), { name: "ServiceBusError", code });

interface RawMessage {
    messageId: string;
    sequenceNumber: number;
    body: unknown;
    deliveryCount: number;
    lockedUntilUtc: Date;
}

/** A receiver with peek-lock semantics: a lock token, renewals that replace it, settle calls that need the current one. */
class FakeReceiver {
    queue: RawMessage[] = [];
    readonly log: string[] = [];
    readonly renewing = new Set<string>();
    hang = new Set<string>();
    fail = new Map<string, Error>();
    renewMs = 0;
    private op(name: string, m?: RawMessage): Promise<void> {
        this.log.push(m ? `${name}:${m.messageId}` : name);
        if (this.fail.has(name)) return Promise.reject(this.fail.get(name));
        if (this.hang.has(name)) return new Promise(() => {});
        return Promise.resolve();
    }
    async receiveMessages(max: number, o: { abortSignal?: AbortSignal }) {
        await this.op("receive");
        if (o.abortSignal?.aborted) throw Object.assign(new Error("aborted"), { name: "AbortError" });
        return this.queue.splice(0, max).map((m) => ({ ...m, deliveryCount: m.deliveryCount + 1, lockedUntilUtc: new Date(Date.now() + 60_000) }));
    }
    async completeMessage(m: RawMessage) {
        if (this.renewing.has(m.messageId)) throw sbError("MessageLockLost"); // a settle racing a renewal of the same lock
        await this.op("complete", m);
    }
    async abandonMessage(m: RawMessage) {
        await this.op("abandon", m);
        this.queue.push(m);
    }
    async deadLetterMessage(m: RawMessage, o: { deadLetterReason: string; deadLetterErrorDescription: string }) {
        await this.op(`deadLetter(${o.deadLetterReason.length},${o.deadLetterErrorDescription.length})`, m);
    }
    async renewMessageLock(m: RawMessage) {
        this.renewing.add(m.messageId);
        try {
            await this.op("renew", m);
            await new Promise((r) => setTimeout(r, this.renewMs));
        } finally {
            this.renewing.delete(m.messageId);
        }
        return new Date(Date.now() + 60_000);
    }
    async close() {}
}

function adapter(lockDurationMs = 60_000) {
    const receiver = new FakeReceiver();
    const client = { createReceiver: () => receiver, createSender: () => ({}), close: async () => {} };
    return { receiver, broker: new ServiceBusBroker({ client: client as never, queueName: "jobs", lockDurationMs, maxDeliveryCount: 10 }) };
}
const raw = (id: string, lockLeftMs = 60_000) => ({ messageId: id, sequenceNumber: 1, body: JSON.stringify({ id }), deliveryCount: 0, lockedUntilUtc: new Date(Date.now() + lockLeftMs) });

beforeEach(() => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

describe("Service Bus adapter", () => {
    it("cuts settlement and renewal calls, which take no AbortSignal, at the caller's deadline", async () => {
        const { receiver, broker } = adapter();
        receiver.queue.push(raw("a"));
        const [m] = await broker.receive(1, 100);
        for (const op of ["complete", "renew", "abandon"] as const) {
            receiver.hang.add(op);
            const call = op === "complete" ? broker.complete.bind(broker) : op === "renew" ? broker.renew.bind(broker) : (x: typeof m, s?: AbortSignal) => broker.release(x, 0, s);
            await expect(withDeadline(op, 50, undefined, (s) => call(m, s))).rejects.toThrow(`${op} did not answer within 50 ms`);
        }
    });

    it("a receive aborted by shutdown rejects with the abort, which the worker treats as the end, not a failure", async () => {
        const { broker } = adapter();
        const c = new AbortController();
        c.abort();
        await expect(broker.receive(1, 100, c.signal)).rejects.toThrow();
    });

    it.each([
        ["MessageLockLost", "lockLost"],
        ["SessionLockLost", "lockLost"],
        ["MessageNotFound", "lockLost"],
        ["ServiceBusy", "transient"],
        ["ServiceTimeout", "transient"],
        ["ServiceCommunicationProblem", "transient"],
        ["GeneralError", "transient"],
        ["UnauthorizedAccess", "fatal"],
        ["MessagingEntityNotFound", "fatal"],
        ["MessagingEntityDisabled", "fatal"],
    ])("classifies %s as %s", (code, expected) => {
        expect(classifyServiceBusError(sbError(code))).toBe(expected);
    });

    it("a link detach (not a ServiceBusError) and our own deadline are transient", () => {
        expect(classifyServiceBusError(Object.assign(new Error("link detached"), { name: "MessagingError" }))).toBe("transient");
        expect(classifyServiceBusError(Object.assign(new Error("x"), { name: "DeadlineExceeded" }))).toBe("transient");
    });

    it("release(0) abandons now; a delay shorter than the lock abandons after it; a longer one lets the lock lapse", async () => {
        const { receiver, broker } = adapter();
        receiver.queue.push(raw("now"), raw("later"), raw("lapse"));
        const [now, later, lapse] = await broker.receive(3, 100);
        await broker.release(now, 0);
        await broker.release(later, 100);
        await broker.release(lapse, 10 * 60_000);
        expect(receiver.log.filter((l) => l.startsWith("abandon"))).toEqual(["abandon:now"]);
        await vi.waitFor(() => expect(receiver.log).toContain("abandon:later"));
        await new Promise((r) => setTimeout(r, 50));
        expect(receiver.log).not.toContain("abandon:lapse");
    });

    it("close() abandons what a delayed release still holds, so a stopping worker does not keep it for a lock duration", async () => {
        const { receiver, broker } = adapter();
        receiver.queue.push(raw("held"));
        const [m] = await broker.receive(1, 100);
        await broker.release(m, 30_000);
        await broker.close();
        expect(receiver.log).toContain("abandon:held");
    });

    it("dead-letters with reason and description bounded, whatever the error text", async () => {
        const { receiver, broker } = adapter();
        receiver.queue.push(raw("bad"));
        const [m] = await broker.receive(1, 100);
        await broker.deadLetter(m, "R".repeat(1000), "D".repeat(100_000));
        expect(receiver.log).toContain("deadLetter(256,1024):bad");
    });

    it("brokerId is the sequence number, so two enqueued copies of one message id are told apart", async () => {
        const { receiver, broker } = adapter();
        receiver.queue.push({ ...raw("dup"), sequenceNumber: 7 }, { ...raw("dup"), sequenceNumber: 9 });
        expect((await broker.receive(2, 100)).map((m) => m.brokerId)).toEqual(["7", "9"]);
    });
});

describe("the worker over the Service Bus adapter", () => {
    const run = async (_receiver: FakeReceiver, broker: ServiceBusBroker, handler: Handler) => {
        const w = new Worker({ broker, handler, mode: "drain", inflight: 4, batchSize: 4, receiveWaitMs: 0, maxBodyBytes: 1e6, maxRenewMs: 60_000, graceMs: 1000, callTimeoutMs: 1000, releaseBackoffMs: 10, releaseBackoffMaxMs: 100, hardExitAfterGraceMs: 0 });
        return w.run();
    };

    it("completion waits for a renewal in flight, so the lock is never lost to our own renewal", async () => {
        const { receiver, broker } = adapter(1000); // renew every 500 ms
        receiver.renewMs = 300;
        for (let i = 0; i < 4; i++) receiver.queue.push(raw(`r${i}`));
        const stats = await run(receiver, broker, async () => void (await new Promise((r) => setTimeout(r, 650))));
        expect(receiver.log.some((l) => l.startsWith("renew"))).toBe(true);
        expect(stats).toMatchObject({ completed: 4, settleErrors: 0, deadLettered: 0 });
    });

    it("a lost lock on completion is a settlement error, never a handler failure: nothing is abandoned or dead-lettered", async () => {
        const { receiver, broker } = adapter();
        receiver.fail.set("complete", sbError("MessageLockLost"));
        receiver.queue.push(raw("lost"));
        const stats = await run(receiver, broker, async () => "written");
        expect(stats).toMatchObject({ completed: 0, settleErrors: 1, released: 0, deadLettered: 0 });
        expect(receiver.log.filter((l) => /abandon|deadLetter/.test(l))).toEqual([]);
    });
});
