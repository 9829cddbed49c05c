/**
 * An in-memory broker with Storage's semantics where they matter for faults: a receipt that every visibility
 * update rotates (a settle with a stale receipt fails like PopReceiptMismatch), visibility windows, delivery
 * counts, a poison list. Hooks let a test make any call slow, failing or hanging.
 */
import type { Broker, BrokerErrorClass, OutgoingMessage, ParkedMessage, ReceivedMessage } from "../../src/broker/types";

interface Stored {
    id: string;
    body: string;
    deliveries: number;
    visibleAt: number;
    receipt: number;
}

interface FakeReceived extends ReceivedMessage {
    receipt: number;
}

export class ReceiptMismatch extends Error {
    readonly code = "PopReceiptMismatch";
    readonly statusCode = 400;
    constructor() {
        super("The specified pop receipt did not match the pop receipt for a dequeued message.");
        this.name = "RestError";
    }
}

export type Op = "receive" | "complete" | "release" | "renew" | "deadLetter";

export class FakeBroker implements Broker {
    readonly kind = "storageQueue" as const;
    readonly messages = new Map<string, Stored>();
    readonly parked: ParkedMessage[] = [];
    readonly calls: Record<Op, number> = { receive: 0, complete: 0, release: 0, renew: 0, deadLetter: 0 };
    /** Delays observed on release, in call order. */
    readonly releaseDelays: number[] = [];
    /** Called before each operation: throw to fail it, await to slow it. */
    hook: (op: Op, message?: ReceivedMessage, signal?: AbortSignal) => Promise<void> | void = () => {};
    /** Round trip of a renewal (the receipt rotates half-way). */
    renewLatencyMs = 0;
    /** An empty receive waits this long (a long poll), so a continuous worker does not spin. */
    emptyPollDelayMs = 5;
    private nextId = 0;

    constructor(
        readonly lockDurationMs = 1000,
        readonly maxDeliveryCount = 5,
    ) {}

    add(body: string): void {
        const id = `m${this.nextId++}`;
        this.messages.set(id, { id, body, deliveries: 0, visibleAt: 0, receipt: 0 });
    }

    async receive(max: number, _waitMs: number, signal?: AbortSignal): Promise<ReceivedMessage[]> {
        this.calls.receive++;
        await this.hook("receive", undefined, signal);
        const now = Date.now();
        const out: FakeReceived[] = [];
        for (const m of this.messages.values()) {
            if (out.length >= max) break;
            if (m.visibleAt > now) continue;
            m.deliveries++;
            m.receipt++;
            m.visibleAt = now + this.lockDurationMs;
            out.push({ brokerId: m.id, body: m.body, deliveryCount: m.deliveries, receipt: m.receipt });
        }
        if (out.length === 0 && this.emptyPollDelayMs > 0) await wait(this.emptyPollDelayMs);
        return out;
    }

    private owned(message: ReceivedMessage): Stored {
        const m = this.messages.get(message.brokerId);
        if (!m || m.receipt !== (message as FakeReceived).receipt) throw new ReceiptMismatch();
        return m;
    }

    async complete(message: ReceivedMessage, signal?: AbortSignal): Promise<void> {
        this.calls.complete++;
        await this.hook("complete", message, signal);
        this.owned(message);
        this.messages.delete(message.brokerId);
    }

    async release(message: ReceivedMessage, delayMs: number, signal?: AbortSignal): Promise<void> {
        this.calls.release++;
        this.releaseDelays.push(delayMs);
        await this.hook("release", message, signal);
        const m = this.owned(message);
        m.visibleAt = Date.now() + delayMs;
        m.receipt++;
        (message as FakeReceived).receipt = m.receipt;
    }

    async renew(message: ReceivedMessage, signal?: AbortSignal): Promise<void> {
        this.calls.renew++;
        await this.hook("renew", message, signal);
        // As in Storage: the request travels, the server rotates the receipt, the reply travels back. In between, the
        // client still holds the old receipt, and a delete sent with it fails.
        await wait(this.renewLatencyMs / 2);
        const m = this.owned(message);
        m.visibleAt = Date.now() + this.lockDurationMs;
        m.receipt++;
        await wait(this.renewLatencyMs / 2);
        (message as FakeReceived).receipt = m.receipt;
    }

    async deadLetter(message: ReceivedMessage, reason: string, description: string, signal?: AbortSignal): Promise<void> {
        this.calls.deadLetter++;
        await this.hook("deadLetter", message, signal);
        this.owned(message);
        this.parked.push({ body: message.body, reason, description });
        this.messages.delete(message.brokerId);
    }

    async send(messages: readonly OutgoingMessage[]): Promise<void> {
        for (const m of messages) this.add(m.body);
    }

    async peekDeadLetters(): Promise<ParkedMessage[]> {
        return this.parked;
    }

    classify(e: unknown): BrokerErrorClass {
        return e instanceof ReceiptMismatch ? "lockLost" : "transient";
    }

    async close(): Promise<void> {}
}

const wait = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

export const never = (signal?: AbortSignal) =>
    new Promise<never>((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason), { once: true }));
