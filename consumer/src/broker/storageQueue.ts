/**
 * Storage queue adapter. Storage has no locks: a received message is invisible for a window that the worker
 * extends while it works, and it has no dead-letter queue: we park messages on `<queue>-poison` with a reason.
 */
import type { QueueClient } from "@azure/storage-queue";
import type { Broker, OutgoingMessage, ReceivedMessage } from "./types";

interface StorageReceived extends ReceivedMessage {
    /** Storage rotates the pop receipt on every visibility update; the latest one is needed to delete. */
    popReceipt: string;
}

/** Storage returns at most 32 messages per receive (Queue service REST API, Get Messages). */
const MAX_BATCH = 32;
/** Storage has no long poll: the adapter polls with this backoff until waitMs runs out. */
const POLL_MS = [50, 100, 200, 400, 800];

export interface StorageQueueBrokerOptions {
    queue: QueueClient;
    poisonQueue: QueueClient;
    /** Invisibility window per receive/renewal, seconds. */
    visibilityTimeoutSeconds: number;
    /** Receives after which the message is poisoned instead of retried. */
    maxDequeueCount: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        signal?.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
    });

export class StorageQueueBroker implements Broker {
    readonly kind = "storageQueue" as const;
    readonly lockDurationMs: number;
    readonly maxDeliveryCount: number;

    constructor(private readonly opts: StorageQueueBrokerOptions) {
        this.lockDurationMs = opts.visibilityTimeoutSeconds * 1000;
        this.maxDeliveryCount = opts.maxDequeueCount;
    }

    async receive(max: number, waitMs: number, signal?: AbortSignal): Promise<ReceivedMessage[]> {
        const deadline = Date.now() + waitMs;
        for (let attempt = 0; ; attempt++) {
            const res = await this.opts.queue.receiveMessages({
                numberOfMessages: Math.min(max, MAX_BATCH),
                visibilityTimeout: this.opts.visibilityTimeoutSeconds,
            });
            if (res.receivedMessageItems.length > 0) {
                return res.receivedMessageItems.map(
                    (m): StorageReceived => ({ brokerId: m.messageId, popReceipt: m.popReceipt, body: m.messageText, deliveryCount: m.dequeueCount }),
                );
            }
            const left = deadline - Date.now();
            if (left <= 0 || signal?.aborted) return [];
            await sleep(Math.min(POLL_MS[Math.min(attempt, POLL_MS.length - 1)], left), signal);
        }
    }

    async complete(message: ReceivedMessage): Promise<void> {
        const m = message as StorageReceived;
        await this.opts.queue.deleteMessage(m.brokerId, m.popReceipt);
    }

    async release(message: ReceivedMessage): Promise<void> {
        const m = message as StorageReceived;
        const res = await this.opts.queue.updateMessage(m.brokerId, m.popReceipt, undefined, 0);
        m.popReceipt = res.popReceipt!;
    }

    async renew(message: ReceivedMessage): Promise<void> {
        const m = message as StorageReceived;
        const res = await this.opts.queue.updateMessage(m.brokerId, m.popReceipt, undefined, this.opts.visibilityTimeoutSeconds);
        m.popReceipt = res.popReceipt!;
    }

    async deadLetter(message: ReceivedMessage, reason: string, description: string): Promise<void> {
        // Park first, then delete: a crash in between leaves a duplicate in the poison queue, never a loss.
        const parked = JSON.stringify({ reason, description, deliveryCount: message.deliveryCount, brokerId: message.brokerId, body: message.body });
        await this.opts.poisonQueue.sendMessage(parked, { messageTimeToLive: -1 });
        await this.complete(message);
    }

    async send(messages: readonly OutgoingMessage[]): Promise<void> {
        // Storage has no batch send; the load generator runs many of these concurrently.
        await Promise.all(messages.map((m) => this.opts.queue.sendMessage(m.body)));
    }

    async peekDeadLetters(max: number) {
        const res = await this.opts.poisonQueue.peekMessages({ numberOfMessages: Math.min(max, MAX_BATCH) });
        return res.peekedMessageItems.map((m) => {
            const parked = JSON.parse(m.messageText) as { reason: string; description: string; body: string };
            return { body: parked.body, reason: parked.reason, description: parked.description };
        });
    }

    async close(): Promise<void> {}
}
