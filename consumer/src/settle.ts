/**
 * How one received message ends, once the worker knows its fate: completed, released for a later retry, or parked.
 * Split from worker.ts (the receive loop): these are the rules that keep a message from being lost or parked wrongly.
 *
 * - Settlement errors are never handler failures: a failed complete/release is counted and the broker redelivers
 *   (the idempotent handler then finds its result).
 * - A message that ran out of deliveries is parked only if its work is not done; if that cannot be told (results
 *   unreachable) it is retried later, never parked: an outage of the result store must not park good work.
 * - A failed parking leaves the message on the queue (released with backoff), visible and counted.
 */
import { isAbort, withDeadline } from "./broker/abort";
import type { MessageLease } from "./broker/lease";
import type { Broker, ReceivedMessage } from "./broker/types";
import type { Handler } from "./handler";
import { errorText, log } from "./log";
import type { WorkMessage } from "./message";

export interface WorkerStats {
    received: number;
    completed: number;
    /** Completed because an earlier delivery had already written the result. */
    duplicates: number;
    deadLettered: number;
    released: number;
    /** Complete/release calls that failed: the broker redelivers; never counted as handler failures. */
    settleErrors: number;
    /** Dead-letterings that failed: the message stayed on the queue (and comes back). */
    parkFailures: number;
    renewFailures: number;
    receiveFailures: number;
}

export const emptyStats = (): WorkerStats => ({ received: 0, completed: 0, duplicates: 0, deadLettered: 0, released: 0, settleErrors: 0, parkFailures: 0, renewFailures: 0, receiveFailures: 0 });

/** Retry delay before delivery `delivery + 1`: base · 2^(delivery−1), capped, ±20 % jitter so a failed batch does not return as one. */
export function releaseDelayMs(delivery: number, baseMs: number, maxMs: number, random = Math.random): number {
    const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(delivery - 1, 30)));
    return Math.round(Math.min(maxMs, raw * (0.8 + 0.4 * random())));
}

export interface SettlerOptions {
    broker: Broker;
    /** The built-in handler's "is its result there?" (runtime handlers have none: runtime/deliver.ts asks the handler itself). */
    isDone?: Handler["isDone"];
    stats: WorkerStats;
    callTimeoutMs: number;
    backoffMs: number;
    backoffMaxMs: number;
    /** The worker's hard stop: cuts the result check of parkUnlessDone. */
    hardStop: AbortSignal;
}

export class Settler {
    /** Latest time a message this worker released becomes visible again: drain waits for its own retries. */
    retriesDueBy = 0;

    constructor(private readonly o: SettlerOptions) {}

    /** The growing backoff; never shorter than `atLeastMs` (a handler's Retry-After), itself capped at the longest backoff. */
    retryDelay(message: ReceivedMessage, atLeastMs = 0): number {
        return Math.max(releaseDelayMs(message.deliveryCount, this.o.backoffMs, this.o.backoffMaxMs), Math.min(atLeastMs, this.o.backoffMaxMs));
    }

    /** Completes; a failure is a settlement error (the broker redelivers and the handler finds its result), never a handler failure. */
    async complete(lease: MessageLease, message: ReceivedMessage, fields: Record<string, unknown>): Promise<boolean> {
        try {
            await lease.settle("complete", (s) => this.o.broker.complete(message, s));
        } catch (e) {
            this.settleError("complete", message, e, fields);
            return false;
        }
        this.o.stats.completed++;
        log.info("completed", fields);
        return true;
    }

    async release(lease: MessageLease, message: ReceivedMessage, delayMs: number, msg: string, fields: Record<string, unknown>, timeoutMs?: number): Promise<void> {
        const { broker } = this.o;
        try {
            await lease.settle("release", (s) => broker.release(message, delayMs, s), timeoutMs);
        } catch (e) {
            // Not released: the lock lapses (at most one lock duration) and the message comes back all the same.
            this.settleError("release", message, e, fields);
            return;
        }
        this.retriesDueBy = Math.max(this.retriesDueBy, Date.now() + Math.min(delayMs, broker.kind === "serviceBus" ? broker.lockDurationMs : delayMs));
        this.o.stats.released++;
        (msg === "released on shutdown" ? log.info : log.warn)(msg, fields);
    }

    private settleError(what: string, message: ReceivedMessage, e: unknown, fields: Record<string, unknown>): void {
        this.o.stats.settleErrors++;
        log.warn(`${what} failed; the broker will redeliver`, { ...fields, brokerId: message.brokerId, error: errorText(e), errorClass: this.o.broker.classify(e) });
    }

    /**
     * Parks a message that ran out of deliveries, unless its result already exists (an earlier delivery did the work
     * and only its settlement failed): that one is completed. If the check itself fails (results unreachable), the
     * message is neither parked nor completed but retried later.
     */
    async parkUnlessDone(lease: MessageLease, message: ReceivedMessage, work: WorkMessage, reason: string, description: string, started: number): Promise<void> {
        const fields = { brokerId: message.brokerId, delivery: message.deliveryCount, id: work.id };
        const { isDone } = this.o;
        let done = false;
        if (isDone) {
            try {
                done = await withDeadline("result check", this.o.callTimeoutMs, this.o.hardStop, (s) => isDone(work, s));
            } catch (e) {
                const retryInMs = this.retryDelay(message);
                return this.release(lease, message, retryInMs, "cannot tell whether the work is done; released for retry", { ...fields, reason, error: errorText(e), retryInMs });
            }
        }
        if (done) {
            if (await this.complete(lease, message, { ...fields, outcome: "alreadyExists", note: `${reason}, but its result exists`, durationMs: Date.now() - started })) this.o.stats.duplicates++;
            return;
        }
        return this.park(lease, message, reason, description, started);
    }

    async park(lease: MessageLease, message: ReceivedMessage, reason: string, description: string, started: number): Promise<void> {
        try {
            await lease.settle("dead-letter", (s) => this.o.broker.deadLetter(message, reason, description, s));
        } catch (e) {
            // Visible, counted, and the message is not lost: it stays on the queue and is parked again when it returns.
            this.o.stats.parkFailures++;
            log.error("dead-lettering failed; the message stays on the queue", { brokerId: message.brokerId, delivery: message.deliveryCount, reason, error: errorText(e), errorClass: this.o.broker.classify(e) });
            if (!isAbort(e)) {
                const retryInMs = this.retryDelay(message);
                await this.release(lease, message, retryInMs, "released after a failed dead-lettering", { brokerId: message.brokerId, reason, retryInMs });
            }
            return;
        }
        this.o.stats.deadLettered++;
        log.warn("dead-lettered", { brokerId: message.brokerId, delivery: message.deliveryCount, outcome: "deadLettered", reason, description, durationMs: Date.now() - started });
    }
}
