/**
 * Service Bus adapter: peek-lock receive, explicit lock renewal (the worker bounds and serialises it), complete,
 * delayed abandon, dead-letter with reason, and batched sends.
 *
 * Deadlines: settlement and renewal calls of @azure/service-bus 7.9 take no AbortSignal, so every call is raced
 * against the worker's signal (raceAbort): the worker stops waiting at its deadline and the SDK call finishes or
 * fails on its own; a settlement that did not happen leaves the message locked until the lock lapses, then it is
 * redelivered — never lost.
 *
 * Release with backoff (issue 10 point 5): Service Bus's abandon makes the message visible at once, and a
 * scheduled re-send would be a new message. So a release with a delay holds nothing and does one of two things:
 * - delay shorter than what remains of the lock: abandon after the delay (a timer, outside the worker's in-flight
 *   slots; `close()` abandons what is still pending);
 * - otherwise: let the lock lapse. Service Bus redelivers the message when its lock expires and counts it as a
 *   delivery (https://learn.microsoft.com/azure/service-bus-messaging/message-transfers-locks-settlement#peeklock).
 * The effective backoff is therefore at most the queue's lockDuration (PT1M by default, 5 min at most).
 */
import type { ServiceBusClient, ServiceBusReceivedMessage, ServiceBusReceiver, ServiceBusSender } from "@azure/service-bus";
import { isAbort, raceAbort, withDeadline } from "./abort";
import { DESCRIPTION_CHARS, truncateUtf8 } from "./park";
import type { Broker, BrokerErrorClass, OutgoingMessage, ParkedMessage, ReceivedMessage } from "./types";

/** brokerId is the sequence number: unique per enqueued copy, where messageId is the application id (a re-sent duplicate has the same). */
interface SbReceived extends ReceivedMessage {
    raw: ServiceBusReceivedMessage;
}

export interface ServiceBusBrokerOptions {
    client: Pick<ServiceBusClient, "createReceiver" | "createSender" | "close">;
    queueName: string;
    /** The queue's lockDuration (the platform sets it; default PT1M). */
    lockDurationMs: number;
    /** The queue's maxDeliveryCount (default 10). */
    maxDeliveryCount: number;
}

/** Below this much remaining lock, a delayed abandon could race the lock's expiry: let it lapse instead. */
const LAPSE_MARGIN_MS = 2000;
/** Deadline of an abandon fired by a release timer (no caller is waiting on it). */
const DEFERRED_ABANDON_MS = 15_000;

export class ServiceBusBroker implements Broker {
    readonly kind = "serviceBus" as const;
    readonly lockDurationMs: number;
    readonly maxDeliveryCount: number;
    private readonly receiver: ServiceBusReceiver;
    private sender?: ServiceBusSender;
    /** Abandons scheduled by release(delay): message → timer. */
    private readonly pendingAbandons = new Map<SbReceived, NodeJS.Timeout>();

    /** `sb://<namespace>/<queue>`; the namespace from the client (a fake in tests may not have one). */
    get source(): string {
        const ns = (this.opts.client as { fullyQualifiedNamespace?: string }).fullyQualifiedNamespace ?? "servicebus";
        return `sb://${ns}/${this.opts.queueName}`;
    }

    constructor(private readonly opts: ServiceBusBrokerOptions) {
        this.lockDurationMs = opts.lockDurationMs;
        this.maxDeliveryCount = opts.maxDeliveryCount;
        // The worker renews locks itself, bounded, so automatic renewal is off.
        this.receiver = opts.client.createReceiver(opts.queueName, { receiveMode: "peekLock", maxAutoLockRenewalDurationInMs: 0 });
    }

    async receive(max: number, waitMs: number, signal?: AbortSignal): Promise<ReceivedMessage[]> {
        const messages = await raceAbort(this.receiver.receiveMessages(max, { maxWaitTimeInMs: waitMs, abortSignal: signal }), signal);
        return messages.map(
            (raw): SbReceived => ({
                brokerId: String(raw.sequenceNumber ?? raw.messageId),
                body: bodyText(raw.body),
                deliveryCount: raw.deliveryCount ?? 1,
                raw,
                messageId: raw.messageId === undefined ? undefined : String(raw.messageId),
                enqueuedAt: raw.enqueuedTimeUtc,
                contentType: raw.contentType,
                bytes: Buffer.isBuffer(raw.body) ? raw.body : undefined,
            }),
        );
    }

    async complete(message: ReceivedMessage, signal?: AbortSignal): Promise<void> {
        await raceAbort(this.receiver.completeMessage((message as SbReceived).raw), signal);
    }

    async release(message: ReceivedMessage, delayMs: number, signal?: AbortSignal): Promise<void> {
        const m = message as SbReceived;
        if (delayMs <= 0) return raceAbort(this.receiver.abandonMessage(m.raw), signal);
        const lockLeft = (m.raw.lockedUntilUtc?.getTime() ?? Date.now() + this.lockDurationMs) - Date.now();
        if (delayMs >= lockLeft - LAPSE_MARGIN_MS) return; // the lock lapses: redelivered after lockLeft, counted as a delivery
        const timer = setTimeout(() => {
            this.pendingAbandons.delete(m);
            withDeadline("abandon", DEFERRED_ABANDON_MS, undefined, () => this.receiver.abandonMessage(m.raw)).catch(() => {
                /* the lock lapses instead: same redelivery, a little later */
            });
        }, delayMs);
        timer.unref();
        this.pendingAbandons.set(m, timer);
    }

    async renew(message: ReceivedMessage, signal?: AbortSignal): Promise<void> {
        await raceAbort(this.receiver.renewMessageLock((message as SbReceived).raw), signal);
    }

    async deadLetter(message: ReceivedMessage, reason: string, description: string, signal?: AbortSignal): Promise<void> {
        // The dead-letter sub-queue keeps the message itself, so the body always fits; the reason and description are
        // application properties, bounded here so a long error text cannot make the call fail.
        await raceAbort(
            this.receiver.deadLetterMessage((message as SbReceived).raw, {
                deadLetterReason: truncateUtf8(reason, 256),
                deadLetterErrorDescription: description.slice(0, DESCRIPTION_CHARS),
            }),
            signal,
        );
    }

    async send(messages: readonly OutgoingMessage[], signal?: AbortSignal): Promise<void> {
        this.sender ??= this.opts.client.createSender(this.opts.queueName);
        const sender = this.sender;
        let batch = await sender.createMessageBatch({ abortSignal: signal });
        for (const m of messages) {
            const message = { messageId: m.id, body: m.body, contentType: "application/json" };
            if (!batch.tryAddMessage(message)) {
                if (batch.count === 0) throw new Error(`message ${m.id} is larger than a Service Bus batch allows`);
                await sender.sendMessages(batch, { abortSignal: signal });
                batch = await sender.createMessageBatch({ abortSignal: signal });
                if (!batch.tryAddMessage(message)) throw new Error(`message ${m.id} is larger than a Service Bus batch allows`);
            }
        }
        if (batch.count > 0) await sender.sendMessages(batch, { abortSignal: signal });
    }

    async peekDeadLetters(max: number): Promise<ParkedMessage[]> {
        const dlq = this.opts.client.createReceiver(this.opts.queueName, { subQueueType: "deadLetter" });
        try {
            const peeked = await dlq.peekMessages(max);
            return peeked.map((m) => ({ body: bodyText(m.body), reason: String(m.deadLetterReason ?? ""), description: String(m.deadLetterErrorDescription ?? "") }));
        } finally {
            await dlq.close();
        }
    }

    classify(error: unknown): BrokerErrorClass {
        return classifyServiceBusError(error);
    }

    async close(): Promise<void> {
        // Give back what release() was holding back, so a stopping worker does not leave it locked for a lock duration.
        const pending = [...this.pendingAbandons.keys()];
        for (const t of this.pendingAbandons.values()) clearTimeout(t);
        this.pendingAbandons.clear();
        await Promise.all(pending.map((m) => withDeadline("abandon", 5000, undefined, () => this.receiver.abandonMessage(m.raw)).catch(() => {})));
        await this.receiver.close();
        await this.sender?.close();
        await this.opts.client.close();
    }
}

/**
 * ServiceBusError codes (@azure/service-bus 7.9 `ServiceBusErrorCode`) by what the worker can do about them.
 * Errors that are not ServiceBusErrors (a link detached mid-call, a closed receiver being re-opened, our own
 * deadline) are transient: the SDK re-attaches links on the next call.
 */
export function classifyServiceBusError(error: unknown): BrokerErrorClass {
    if (isAbort(error)) return "transient";
    const e = error as { name?: string; code?: string; retryable?: boolean } | undefined;
    switch (e?.code) {
        case "MessageLockLost":
        case "MessageNotFound":
        case "SessionLockLost":
            return "lockLost";
        case "UnauthorizedAccess":
        case "MessagingEntityNotFound":
        case "MessagingEntityDisabled":
        case "MessageSizeExceeded":
            return "fatal";
        default:
            return "transient";
    }
}

/** Bodies from other producers may arrive as Buffer or objects; the worker validates text. */
function bodyText(body: unknown): string {
    if (typeof body === "string") return body;
    if (Buffer.isBuffer(body)) return body.toString("utf8");
    return JSON.stringify(body);
}
