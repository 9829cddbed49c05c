/**
 * Service Bus adapter: peek-lock receive, explicit lock renewal (the worker bounds it), complete, abandon,
 * dead-letter with reason, and batched sends.
 */
import type { ServiceBusClient, ServiceBusReceivedMessage, ServiceBusReceiver, ServiceBusSender } from "@azure/service-bus";
import type { Broker, OutgoingMessage, ReceivedMessage } from "./types";

interface SbReceived extends ReceivedMessage {
    raw: ServiceBusReceivedMessage;
}

export interface ServiceBusBrokerOptions {
    client: ServiceBusClient;
    queueName: string;
    /** The queue's lockDuration (the platform sets it; default PT1M). */
    lockDurationMs: number;
    /** The queue's maxDeliveryCount (default 10). */
    maxDeliveryCount: number;
}

export class ServiceBusBroker implements Broker {
    readonly kind = "serviceBus" as const;
    readonly lockDurationMs: number;
    readonly maxDeliveryCount: number;
    private readonly receiver: ServiceBusReceiver;
    private sender?: ServiceBusSender;

    constructor(private readonly opts: ServiceBusBrokerOptions) {
        this.lockDurationMs = opts.lockDurationMs;
        this.maxDeliveryCount = opts.maxDeliveryCount;
        // The worker renews locks itself, bounded, so automatic renewal is off.
        this.receiver = opts.client.createReceiver(opts.queueName, { receiveMode: "peekLock", maxAutoLockRenewalDurationInMs: 0 });
    }

    async receive(max: number, waitMs: number, signal?: AbortSignal): Promise<ReceivedMessage[]> {
        const messages = await this.receiver.receiveMessages(max, { maxWaitTimeInMs: waitMs, abortSignal: signal }).catch((e: Error) => {
            if (e.name === "AbortError") return [];
            throw e;
        });
        return messages.map((raw): SbReceived => ({ brokerId: String(raw.messageId), body: bodyText(raw.body), deliveryCount: raw.deliveryCount ?? 1, raw }));
    }

    complete(message: ReceivedMessage): Promise<void> {
        return this.receiver.completeMessage((message as SbReceived).raw);
    }

    release(message: ReceivedMessage): Promise<void> {
        return this.receiver.abandonMessage((message as SbReceived).raw);
    }

    async renew(message: ReceivedMessage): Promise<void> {
        await this.receiver.renewMessageLock((message as SbReceived).raw);
    }

    deadLetter(message: ReceivedMessage, reason: string, description: string): Promise<void> {
        return this.receiver.deadLetterMessage((message as SbReceived).raw, { deadLetterReason: reason, deadLetterErrorDescription: description.slice(0, 4096) });
    }

    async send(messages: readonly OutgoingMessage[]): Promise<void> {
        this.sender ??= this.opts.client.createSender(this.opts.queueName);
        let batch = await this.sender.createMessageBatch();
        for (const m of messages) {
            const message = { messageId: m.id, body: m.body, contentType: "application/json" };
            if (!batch.tryAddMessage(message)) {
                if (batch.count === 0) throw new Error(`message ${m.id} is larger than a Service Bus batch allows`);
                await this.sender.sendMessages(batch);
                batch = await this.sender.createMessageBatch();
                if (!batch.tryAddMessage(message)) throw new Error(`message ${m.id} is larger than a Service Bus batch allows`);
            }
        }
        if (batch.count > 0) await this.sender.sendMessages(batch);
    }

    async peekDeadLetters(max: number) {
        const dlq = this.opts.client.createReceiver(this.opts.queueName, { subQueueType: "deadLetter" });
        try {
            const peeked = await dlq.peekMessages(max);
            return peeked.map((m) => ({ body: bodyText(m.body), reason: String(m.deadLetterReason ?? ""), description: String(m.deadLetterErrorDescription ?? "") }));
        } finally {
            await dlq.close();
        }
    }

    async close(): Promise<void> {
        await this.receiver.close();
        await this.sender?.close();
        await this.opts.client.close();
    }
}

/** Bodies from other producers may arrive as Buffer or objects; the worker validates text. */
function bodyText(body: unknown): string {
    if (typeof body === "string") return body;
    if (Buffer.isBuffer(body)) return body.toString("utf8");
    return JSON.stringify(body);
}
