/**
 * The one small interface every queue adapter implements, so the worker, the load generator and the
 * behaviour suite are written once and run against Service Bus and Storage queues alike.
 */

/** A message received under a lock (Service Bus peek-lock) or invisibility window (Storage). */
export interface ReceivedMessage {
    /** Broker's id of this message (not the application id in the body). */
    readonly brokerId: string;
    /** Body as text. */
    readonly body: string;
    /** 1 on first delivery. */
    readonly deliveryCount: number;
}

export interface OutgoingMessage {
    /** Application id: becomes the broker's message id where the broker has one. */
    readonly id: string;
    readonly body: string;
}

export interface Broker {
    readonly kind: "serviceBus" | "storageQueue";
    /** How long a received message stays hidden from others without renewal. */
    readonly lockDurationMs: number;
    /** Deliveries after which the worker dead-letters instead of releasing for retry. */
    readonly maxDeliveryCount: number;
    /** Up to `max` messages, waiting up to `waitMs` for the first; [] when none came. Aborting returns early. */
    receive(max: number, waitMs: number, signal?: AbortSignal): Promise<ReceivedMessage[]>;
    /** Done: remove the message for good. */
    complete(message: ReceivedMessage): Promise<void>;
    /** Release now so another worker can take it (counts as a delivery). */
    release(message: ReceivedMessage): Promise<void>;
    /** Extend the lock / invisibility by another lockDurationMs. */
    renew(message: ReceivedMessage): Promise<void>;
    /** Park the message with a reason: the dead-letter queue (Service Bus) or the poison queue (Storage). */
    deadLetter(message: ReceivedMessage, reason: string, description: string): Promise<void>;
    /** Sends messages; the adapter batches as its broker allows. */
    send(messages: readonly OutgoingMessage[]): Promise<void>;
    /** Messages parked by deadLetter, for inspection (tests, operators). */
    peekDeadLetters(max: number): Promise<{ body: string; reason: string; description: string }[]>;
    close(): Promise<void>;
}
