/**
 * One received message's lease: renewal and settlement of the same message, serialised (issue 10 point 2).
 *
 * Storage rotates a message's pop receipt on every visibility update, and Service Bus refuses to settle a
 * message whose lock is being renewed in the same instant. A renewal that runs concurrently with the delete
 * (slow link: the renewal is still in flight when the handler finishes) changes the receipt under the delete,
 * which then fails with 400 PopReceiptMismatch. So every broker call for one message goes through one chain:
 * a settlement waits for a renewal in flight, and no renewal starts once settlement began.
 */
import { withDeadline } from "./abort";
import type { Broker, ReceivedMessage } from "./types";

export interface LeaseOptions {
    broker: Broker;
    message: ReceivedMessage;
    /** Deadline per broker call. */
    callTimeoutMs: number;
    /** Renewal stops this long after the lease began (a stuck handler cannot hold a message forever). */
    maxRenewMs: number;
    /** Aborts every call at once: the worker's hard stop after the grace period. */
    hardStop: AbortSignal;
    onRenewError(error: unknown): void;
}

export class MessageLease {
    private chain: Promise<unknown> = Promise.resolve();
    private settling = false;
    private renewing = false;
    private readonly timer: NodeJS.Timeout;
    private readonly started = Date.now();

    constructor(private readonly o: LeaseOptions) {
        // Renew at half the lock: one lost renewal still leaves half a lock of margin.
        const every = Math.max(500, o.broker.lockDurationMs / 2);
        this.timer = setInterval(() => this.renewOnce(), every);
        this.timer.unref();
    }

    /** Runs a broker call for this message after any call already in flight for it, under a deadline. */
    private serial<T>(what: string, timeoutMs: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
        const run = this.chain.then(() => withDeadline(what, timeoutMs, this.o.hardStop, fn));
        this.chain = run.catch(() => {});
        return run;
    }

    private renewOnce(): void {
        if (this.settling || this.renewing) return;
        if (Date.now() - this.started > this.o.maxRenewMs) return void clearInterval(this.timer);
        this.renewing = true;
        // A renewal may not take longer than the margin it protects.
        const timeout = Math.min(this.o.callTimeoutMs, Math.max(500, this.o.broker.lockDurationMs / 2));
        this.serial("renew", timeout, (s) => this.o.broker.renew(this.o.message, s))
            .catch((e) => this.o.onRenewError(e))
            .finally(() => (this.renewing = false));
    }

    /** Settles the message (complete, release, dead-letter): renewals stop and any renewal in flight finishes first. */
    settle(what: string, fn: (signal: AbortSignal) => Promise<void>, timeoutMs = this.o.callTimeoutMs): Promise<void> {
        this.settling = true;
        clearInterval(this.timer);
        return this.serial(what, timeoutMs, fn);
    }

    end(): void {
        this.settling = true;
        clearInterval(this.timer);
    }
}
