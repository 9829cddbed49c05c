/**
 * The one small interface every queue adapter implements, so the worker, the load generator and the
 * behaviour suite are written once and run against Service Bus and Storage queues alike.
 *
 * Every call takes an AbortSignal: the worker combines a per-call deadline with its shutdown signal, so a
 * black-holed connection can never hold a worker past its grace period (issue 10 point 4). Adapters must
 * reject promptly when the signal aborts, even where the SDK call itself cannot be cancelled.
 */

/** A message received under a lock (Service Bus peek-lock) or invisibility window (Storage). */
export interface ReceivedMessage {
    /** Broker's id of this message (not the application id in the body). */
    readonly brokerId: string;
    /** Body as text. */
    readonly body: string;
    /** 1 on first delivery. */
    readonly deliveryCount: number;
    /**
     * The broker's message id (Service Bus `messageId`, which its duplicate detection keys on; Storage's message id):
     * the idempotency key the runtime handlers get (consumer/src/runtime/). Defaults to brokerId.
     */
    readonly messageId?: string;
    /** When the broker enqueued it (Service Bus enqueuedTimeUtc, Storage insertedOn). */
    readonly enqueuedAt?: Date;
    /** The producer's content type, where the broker carries one (Service Bus `contentType`; Storage has none). */
    readonly contentType?: string;
    /** The body's bytes when it did not arrive as text (a Service Bus binary body): what the runtime handlers get. */
    readonly bytes?: Buffer;
}

export interface OutgoingMessage {
    /** Application id: becomes the broker's message id where the broker has one. */
    readonly id: string;
    readonly body: string;
}

/** A parked message as an operator (or a test) reads it back. */
export interface ParkedMessage {
    /** The body, or its first bytes when it was too large to park whole (see originalBytes/bodyRef). */
    body: string;
    reason: string;
    description: string;
    /** UTF-8 size of the original body, when the parked copy is truncated or stored elsewhere. */
    originalBytes?: number;
    /** Blob (in the results container) holding the whole original body, when it did not fit the queue. */
    bodyRef?: string;
    /** True when `body` is only a prefix of the original. */
    truncated?: boolean;
}

/**
 * How the worker should treat a failed broker call:
 * - `lockLost`: the lock/pop receipt is gone; the broker redelivers, retrying the call is pointless;
 * - `transient`: network, timeout, throttling, 5xx: retry later;
 * - `fatal`: permissions, missing entity, bad request: retrying will not help until an operator acts (the
 *   worker still retries receives with backoff, as RBAC propagation can take minutes, but logs it as an error).
 */
export type BrokerErrorClass = "lockLost" | "transient" | "fatal";

export interface Broker {
    readonly kind: "serviceBus" | "storageQueue";
    /** How long a received message stays hidden from others without renewal. */
    readonly lockDurationMs: number;
    /** Deliveries after which the worker dead-letters instead of releasing for retry. */
    readonly maxDeliveryCount: number;
    /** The queue as a URI, without credentials (CloudEvents `source` for the runtime handlers). */
    readonly source?: string;
    /** Up to `max` messages, waiting up to `waitMs` for the first; [] when none came. Rejects when `signal` aborts. */
    receive(max: number, waitMs: number, signal?: AbortSignal): Promise<ReceivedMessage[]>;
    /** Done: remove the message for good. */
    complete(message: ReceivedMessage, signal?: AbortSignal): Promise<void>;
    /**
     * Give the message back for another try, visible again after about `delayMs` (counts as a delivery).
     * Storage: a new visibility timeout. Service Bus: abandon after the delay, or let the lock lapse when the delay
     * is at least the remaining lock (see the adapter). 0 = now.
     */
    release(message: ReceivedMessage, delayMs: number, signal?: AbortSignal): Promise<void>;
    /** Extend the lock / invisibility by another lockDurationMs. */
    renew(message: ReceivedMessage, signal?: AbortSignal): Promise<void>;
    /**
     * Park the message with a reason: the dead-letter queue (Service Bus) or the poison queue (Storage). Must always
     * fit the broker's limits (oversize bodies are stored aside or truncated, never refused for size); rejects only
     * when parking failed, and then the message is NOT removed from the queue.
     */
    deadLetter(message: ReceivedMessage, reason: string, description: string, signal?: AbortSignal): Promise<void>;
    /** Sends messages; the adapter batches as its broker allows. */
    send(messages: readonly OutgoingMessage[], signal?: AbortSignal): Promise<void>;
    /** Messages parked by deadLetter, for inspection (tests, operators). */
    peekDeadLetters(max: number): Promise<ParkedMessage[]>;
    /** What a failed call means for the worker (see BrokerErrorClass). */
    classify(error: unknown): BrokerErrorClass;
    close(): Promise<void>;
}

/** Storage rejects a queue message above 64 KiB of UTF-8 text (Queue service REST API, Put Message; Azurite checks the same). */
export const STORAGE_MESSAGE_MAX_BYTES = 64 * 1024;
