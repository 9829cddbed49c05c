/**
 * Storage queue adapter. Storage has no locks: a received message is invisible for a window that the worker
 * extends while it works, and it has no dead-letter queue: we park messages on `<queue>-poison` with a reason.
 */
import type { QueueClient } from "@azure/storage-queue";
import { raceAbort, sleep } from "./abort";
import { parkEnvelope, parkedBodyName, type BodyStore } from "./park";
import { STORAGE_MESSAGE_MAX_BYTES, type Broker, type BrokerErrorClass, type OutgoingMessage, type ParkedMessage, type ReceivedMessage } from "./types";

interface StorageReceived extends ReceivedMessage {
    /** Storage rotates the pop receipt on every visibility update; the latest one is needed to delete. */
    popReceipt: string;
    /** The message's expiry: a visibility timeout may not reach past it (Update Message, REST API). */
    expiresOn?: Date;
}

/** Storage returns at most 32 messages per receive (Queue service REST API, Get Messages). */
const MAX_BATCH = 32;
/** Storage has no long poll: the adapter polls with this backoff until waitMs runs out. */
const POLL_MS = [50, 100, 200, 400, 800];
/** Update Message: visibilitytimeout must be ≤ 7 days (Queue service REST API). */
const MAX_VISIBILITY_SECONDS = 7 * 24 * 3600;

export interface StorageQueueBrokerOptions {
    queue: QueueClient;
    poisonQueue: QueueClient;
    /** Invisibility window per receive/renewal, seconds. */
    visibilityTimeoutSeconds: number;
    /** Receives after which the message is poisoned instead of retried. */
    maxDequeueCount: number;
    /** Where bodies too large to park whole on the poison queue are kept (the results container); else they are truncated. */
    parkedBodies?: BodyStore;
}

export class StorageQueueBroker implements Broker {
    readonly kind = "storageQueue" as const;
    readonly lockDurationMs: number;
    readonly maxDeliveryCount: number;

    constructor(private readonly opts: StorageQueueBrokerOptions) {
        this.lockDurationMs = opts.visibilityTimeoutSeconds * 1000;
        this.maxDeliveryCount = opts.maxDequeueCount;
    }

    /** The queue's URL without its query: a SAS connection string puts the token there. */
    get source(): string {
        const url = new URL(this.opts.queue.url);
        return `${url.origin}${url.pathname}`;
    }

    async receive(max: number, waitMs: number, signal?: AbortSignal): Promise<ReceivedMessage[]> {
        const deadline = Date.now() + waitMs;
        for (let attempt = 0; ; attempt++) {
            // The SDK aborts the request on `signal`; the caller's withDeadline also races it (no second race here).
            const res = await this.opts.queue.receiveMessages({ numberOfMessages: Math.min(max, MAX_BATCH), visibilityTimeout: this.opts.visibilityTimeoutSeconds, abortSignal: signal });
            if (res.receivedMessageItems.length > 0) {
                return res.receivedMessageItems.map(
                    (m): StorageReceived => ({ brokerId: m.messageId, popReceipt: m.popReceipt, body: m.messageText, deliveryCount: m.dequeueCount, expiresOn: m.expiresOn, enqueuedAt: m.insertedOn }),
                );
            }
            const left = deadline - Date.now();
            if (left <= 0 || signal?.aborted) return [];
            // Held (a ref'd timer): between polls nothing else may keep an idle worker's process alive.
            await sleep(Math.min(POLL_MS[Math.min(attempt, POLL_MS.length - 1)], left), signal, true);
        }
    }

    async complete(message: ReceivedMessage, signal?: AbortSignal): Promise<void> {
        const m = message as StorageReceived;
        await this.opts.queue.deleteMessage(m.brokerId, m.popReceipt, { abortSignal: signal });
    }

    async release(message: ReceivedMessage, delayMs: number, signal?: AbortSignal): Promise<void> {
        await this.setVisibility(message as StorageReceived, Math.ceil(Math.max(0, delayMs) / 1000), signal);
    }

    async renew(message: ReceivedMessage, signal?: AbortSignal): Promise<void> {
        await this.setVisibility(message as StorageReceived, this.opts.visibilityTimeoutSeconds, signal);
    }

    private async setVisibility(m: StorageReceived, seconds: number, signal?: AbortSignal): Promise<void> {
        const untilExpiry = m.expiresOn ? Math.floor((m.expiresOn.getTime() - Date.now()) / 1000) - 1 : MAX_VISIBILITY_SECONDS;
        const visibility = Math.max(0, Math.min(seconds, MAX_VISIBILITY_SECONDS, untilExpiry));
        const res = await this.opts.queue.updateMessage(m.brokerId, m.popReceipt, undefined, visibility, { abortSignal: signal });
        m.popReceipt = res.popReceipt!;
    }

    async deadLetter(message: ReceivedMessage, reason: string, description: string, signal?: AbortSignal): Promise<void> {
        // Park first, then delete: a crash in between leaves a duplicate in the poison queue, never a loss. The parked
        // copy always fits the 64 KiB limit (park.ts); if parking fails, this rejects before the delete.
        const parked = await parkEnvelope(
            { reason, description, deliveryCount: message.deliveryCount, brokerId: message.brokerId, body: message.body },
            { maxBytes: STORAGE_MESSAGE_MAX_BYTES, store: this.opts.parkedBodies, refName: parkedBodyName(this.opts.queue.name, message.brokerId), signal },
        );
        await raceAbort(this.opts.poisonQueue.sendMessage(parked, { messageTimeToLive: -1, abortSignal: signal }), signal);
        await this.complete(message, signal);
    }

    async send(messages: readonly OutgoingMessage[], signal?: AbortSignal): Promise<void> {
        // Storage has no batch send; the load generator runs many of these concurrently.
        await Promise.all(messages.map((m) => raceAbort(this.opts.queue.sendMessage(m.body, { abortSignal: signal }), signal)));
    }

    async peekDeadLetters(max: number): Promise<ParkedMessage[]> {
        const res = await this.opts.poisonQueue.peekMessages({ numberOfMessages: Math.min(max, MAX_BATCH) });
        return res.peekedMessageItems.map((m) => {
            const p = JSON.parse(m.messageText) as ParkedMessage & { bodyPreview?: string };
            return { body: p.body ?? p.bodyPreview ?? "", reason: p.reason, description: p.description, originalBytes: p.originalBytes, bodyRef: p.bodyRef, truncated: p.truncated };
        });
    }

    classify(error: unknown): BrokerErrorClass {
        return classifyStorageError(error);
    }

    async close(): Promise<void> {}
}

/**
 * Storage errors by what the worker can do about them (error codes: Queue service REST API, "Queue service error
 * codes"). A pop receipt that no longer matches, or a message already gone, means another delivery owns it now.
 */
export function classifyStorageError(error: unknown): BrokerErrorClass {
    const e = error as { name?: string; statusCode?: number; code?: string; details?: { errorCode?: string } } | undefined;
    const code = e?.details?.errorCode ?? e?.code;
    if (code === "PopReceiptMismatch" || code === "MessageNotFound") return "lockLost";
    const status = e?.statusCode;
    if (status === undefined || status === 408 || status === 429 || status >= 500) return "transient";
    return "fatal";
}
