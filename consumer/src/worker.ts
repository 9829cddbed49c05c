/**
 * The receive → handle → settle loop, with bounded concurrency, serialised lock renewal and graceful shutdown.
 * At-least-once: a message is completed only after its handler succeeded; on any doubt it goes back to the
 * broker (release, or lock expiry after a crash) and the idempotent handler makes the redelivery harmless.
 *
 * Under faults (issue 10): every broker call has a deadline and the shutdown signal; a receive outage is
 * survived and logged in continuous mode and fails the process (non-zero) in Job modes after a bounded budget;
 * settlement errors are never handler failures; a message whose result exists is completed, never parked;
 * failed messages come back after a growing backoff; after the grace period the process ends whatever is in flight.
 */
import { deadline, isAbort, sleep, withDeadline } from "./broker/abort";
import { MessageLease } from "./broker/lease";
import type { Broker, ReceivedMessage } from "./broker/types";
import type { Handler } from "./handler";
import { errorText, log } from "./log";
import { BadMessage, parseWorkMessage, type WorkMessage } from "./message";

export interface WorkerOptions {
    broker: Broker;
    handler: Handler;
    /** continuous: until stopped (Deployments). once: one message then exit. drain: until the queue is empty. */
    mode: "continuous" | "once" | "drain";
    /** Messages processed at once. */
    inflight: number;
    /** Messages asked for per receive (≤ free in-flight slots). */
    batchSize: number;
    /** How long one receive waits for a first message; in once/drain mode, how long an empty queue is waited on. */
    receiveWaitMs: number;
    /** Bodies above this are dead-lettered as Oversize. */
    maxBodyBytes: number;
    /** Lock renewal stops after this long, so a stuck handler cannot hold a message forever. */
    maxRenewMs: number;
    /** On SIGTERM: how long in-flight work may finish before it is released. Keep below terminationGracePeriodSeconds. */
    graceMs: number;
    /** Deadline of one broker or results call (a receive gets receiveWaitMs on top). Default 30 s (env KEDASCALE_CALL_TIMEOUT_MS). */
    callTimeoutMs?: number;
    /** First retry delay of a failed message; doubles per delivery. Default 2 s (env KEDASCALE_RELEASE_BACKOFF_MS). */
    releaseBackoffMs?: number;
    /** Longest retry delay. Default 5 min (env KEDASCALE_RELEASE_BACKOFF_MAX_MS); Service Bus caps it at the lock (see its adapter). */
    releaseBackoffMaxMs?: number;
    /** once/drain: how long receives may keep failing before the process gives up non-zero. Default 60 s (env KEDASCALE_RECEIVE_RETRY_BUDGET_MS). */
    receiveRetryBudgetMs?: number;
    /** While the broker is unreachable, a reminder is logged this often. Default 30 s (env KEDASCALE_OUTAGE_LOG_EVERY_MS). */
    outageLogEveryMs?: number;
    /** After stop(): exit the process this long after the grace period if it is still alive (a hung close, a handler deaf to its signal). Default 5 s; 0 = never (tests). */
    hardExitAfterGraceMs?: number;
}

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

/** Time the grace-expired releases get before every call is cut (the hard stop). */
const RELEASE_ON_SHUTDOWN_MS = 3000;

const envInt = (name: string): number | undefined => {
    const v = process.env[name];
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
};

/** Retry delay before delivery `delivery + 1`: base · 2^(delivery−1), capped, ±20 % jitter so a failed batch does not return as one. */
export function releaseDelayMs(delivery: number, baseMs: number, maxMs: number, random = Math.random): number {
    const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(delivery - 1, 30)));
    return Math.round(Math.min(maxMs, raw * (0.8 + 0.4 * random())));
}

/** Receive retry delay: 250 ms doubling to 15 s. */
const receiveBackoffMs = (attempt: number) => Math.min(15_000, 250 * 2 ** Math.min(attempt - 1, 6));

interface InFlight {
    readonly message: ReceivedMessage;
    /** Aborted when the grace period ran out: the handler must give up, the message is released. */
    readonly abort: AbortController;
    done: Promise<void>;
}

export class Worker {
    readonly stats: WorkerStats = { received: 0, completed: 0, duplicates: 0, deadLettered: 0, released: 0, settleErrors: 0, parkFailures: 0, renewFailures: 0, receiveFailures: 0 };
    private readonly active = new Set<InFlight>();
    private readonly receiveAbort = new AbortController();
    /** Cuts every broker call and ends the wait for in-flight work: grace + release budget are over. */
    private readonly hardStop = new AbortController();
    private stopping = false;
    private graceTimer?: NodeJS.Timeout;
    private slotFreed: () => void = () => {};
    /** Latest time a message this worker released becomes visible again: drain waits for its own retries. */
    private retriesDueBy = 0;
    private readonly callTimeoutMs: number;
    private readonly backoffMs: number;
    private readonly backoffMaxMs: number;
    private readonly receiveBudgetMs: number;
    private readonly outageLogEveryMs: number;

    constructor(private readonly opts: WorkerOptions) {
        this.callTimeoutMs = opts.callTimeoutMs ?? envInt("KEDASCALE_CALL_TIMEOUT_MS") ?? 30_000;
        this.backoffMs = opts.releaseBackoffMs ?? envInt("KEDASCALE_RELEASE_BACKOFF_MS") ?? 2000;
        this.backoffMaxMs = opts.releaseBackoffMaxMs ?? envInt("KEDASCALE_RELEASE_BACKOFF_MAX_MS") ?? 300_000;
        this.receiveBudgetMs = opts.receiveRetryBudgetMs ?? envInt("KEDASCALE_RECEIVE_RETRY_BUDGET_MS") ?? 60_000;
        this.outageLogEveryMs = opts.outageLogEveryMs ?? envInt("KEDASCALE_OUTAGE_LOG_EVERY_MS") ?? 30_000;
    }

    get inFlight(): number {
        return this.active.size;
    }

    get isStopping(): boolean {
        return this.stopping;
    }

    /** Begins graceful shutdown: no new receives; in-flight work gets graceMs, then is released; then every call is cut. */
    stop(): void {
        if (this.stopping) return;
        this.stopping = true;
        this.receiveAbort.abort();
        this.slotFreed();
        // Armed here, wherever the loop is (in --once the loop has already ended: issue 10 point 9).
        this.graceTimer = setTimeout(() => {
            if (this.active.size) log.warn("grace period over, releasing in-flight messages", { inFlight: this.active.size });
            for (const e of this.active) e.abort.abort(new Error("shutdown: grace period over"));
            this.graceTimer = setTimeout(() => this.hardStop.abort(new Error("shutdown: release budget over")), RELEASE_ON_SHUTDOWN_MS);
        }, this.opts.graceMs);
        const hardExit = this.opts.hardExitAfterGraceMs ?? 5000;
        if (hardExit > 0) {
            setTimeout(() => {
                log.error("still running after the grace period; exiting", { inFlight: this.active.size, graceMs: this.opts.graceMs });
                process.exit(process.exitCode ?? 1);
            }, this.opts.graceMs + RELEASE_ON_SHUTDOWN_MS + hardExit).unref();
        }
    }

    async run(): Promise<WorkerStats> {
        const { broker, mode } = this.opts;
        let outage: { since: number; attempts: number; loggedAt: number; error: unknown } | undefined;
        let gaveUp: typeof outage;
        while (!this.stopping) {
            await this.waitForSlot();
            if (this.stopping) break;
            const want = mode === "once" ? 1 : Math.min(this.opts.batchSize, this.opts.inflight - this.active.size);
            let messages: ReceivedMessage[];
            try {
                messages = await withDeadline("receive", this.opts.receiveWaitMs + this.callTimeoutMs, this.receiveAbort.signal, (s) =>
                    broker.receive(want, this.opts.receiveWaitMs, s),
                );
            } catch (e) {
                if (this.stopping) break;
                this.stats.receiveFailures++;
                const now = Date.now();
                const first = !outage;
                outage ??= { since: now, attempts: 0, loggedAt: now, error: e };
                outage.attempts++;
                outage.error = e;
                const fields = { error: errorText(e), errorClass: broker.classify(e), attempt: outage.attempts, downForMs: now - outage.since };
                if (first) {
                    (broker.classify(e) === "fatal" ? log.error : log.warn)("receive failed; retrying until the broker answers", fields);
                } else if (now - outage.loggedAt >= this.outageLogEveryMs) {
                    outage.loggedAt = now;
                    log.warn("broker still unreachable", fields);
                }
                if (mode !== "continuous" && now - outage.since >= this.receiveBudgetMs) {
                    gaveUp = outage;
                    break;
                }
                // Held (a ref'd timer): with nothing else pending, Node would otherwise exit 0 mid-outage.
                await sleep(receiveBackoffMs(outage.attempts), this.receiveAbort.signal, true);
                continue;
            }
            if (outage) {
                log.info("broker reachable again", { downForMs: Date.now() - outage.since, attempts: outage.attempts });
                outage = undefined;
            }
            // An empty answer that came back at once (a broker without long polling, a wait of 0) must not turn the
            // loop into a hot chain of promises that never yields to timers: renewals and handlers would starve.
            if (messages.length === 0) await new Promise<void>((r) => setImmediate(r));
            this.stats.received += messages.length;
            for (const m of messages) this.track(m);
            if (mode === "once") break;
            // Drain waits for its own retries to come back (plus Storage's whole-second visibility and one poll of slack).
            if (mode === "drain" && messages.length === 0 && this.active.size === 0 && Date.now() >= this.retriesDueBy + 2000) break;
        }
        await this.finishInFlight();
        clearTimeout(this.graceTimer);
        if (gaveUp) {
            const e = new Error(
                `could not receive from the ${broker.kind} queue for ${Date.now() - gaveUp.since} ms (${gaveUp.attempts} attempts; budget ${this.receiveBudgetMs} ms): ${errorText(gaveUp.error)}`,
            );
            e.name = "BrokerUnreachable";
            throw e;
        }
        return this.stats;
    }

    /**
     * Waits until enough slots are free for a worthwhile receive: half a batch (at least one). Receiving the moment a
     * single slot frees would degrade a busy worker to one-message receives, a round trip per message.
     */
    private waitForSlot(): Promise<void> {
        const wanted = Math.max(1, Math.ceil(Math.min(this.opts.batchSize, this.opts.inflight) / 2));
        const ready = () => this.opts.inflight - this.active.size >= wanted || this.stopping;
        if (ready()) return Promise.resolve();
        return new Promise((resolve) => {
            this.slotFreed = () => {
                if (ready()) resolve();
            };
        });
    }

    private track(message: ReceivedMessage): void {
        const entry: InFlight = { message, abort: new AbortController(), done: Promise.resolve() };
        entry.done = this.process(entry).finally(() => {
            this.active.delete(entry);
            this.slotFreed();
        });
        this.active.add(entry);
    }

    private async process(entry: InFlight): Promise<void> {
        const { broker, handler } = this.opts;
        const { message } = entry;
        const started = Date.now();
        const fields = { brokerId: message.brokerId, delivery: message.deliveryCount };
        const lease = new MessageLease({
            broker,
            message,
            callTimeoutMs: this.callTimeoutMs,
            maxRenewMs: this.opts.maxRenewMs,
            hardStop: this.hardStop.signal,
            onRenewError: (e) => {
                this.stats.renewFailures++;
                log.warn("lock renewal failed", { ...fields, error: errorText(e), errorClass: broker.classify(e) });
            },
        });
        try {
            let work: WorkMessage;
            try {
                work = parseWorkMessage(message.body, this.opts.maxBodyBytes);
            } catch (e) {
                const bad = e as BadMessage;
                return await this.park(lease, message, bad.reason, bad.message, started);
            }
            const id = work.id;
            if (message.deliveryCount > broker.maxDeliveryCount) {
                // Storage has no delivery limit of its own: a message that keeps killing workers ends here, unless its work is done.
                return await this.parkUnlessDone(lease, message, work, "MaxDeliveryCountExceeded", `delivered ${message.deliveryCount} times, limit ${broker.maxDeliveryCount}`, started);
            }
            let outcome;
            try {
                outcome = await handler(work, { deliveryCount: message.deliveryCount, brokerId: message.brokerId, signal: entry.abort.signal, callTimeoutMs: this.callTimeoutMs });
            } catch (e) {
                if (entry.abort.signal.aborted) {
                    await this.release(lease, message, 0, "released on shutdown", { ...fields, id, durationMs: Date.now() - started }, RELEASE_ON_SHUTDOWN_MS);
                } else if (message.deliveryCount >= broker.maxDeliveryCount) {
                    await this.parkUnlessDone(lease, message, work, "HandlerFailed", errorText(e), started);
                } else {
                    const retryInMs = releaseDelayMs(message.deliveryCount, this.backoffMs, this.backoffMaxMs);
                    await this.release(lease, message, retryInMs, "handler failed, released for retry", { ...fields, id, error: errorText(e), retryInMs, durationMs: Date.now() - started });
                }
                return;
            }
            await this.complete(lease, message, { ...fields, id, outcome: outcome ?? "done", durationMs: Date.now() - started });
            if (outcome === "alreadyExists") this.stats.duplicates++;
        } finally {
            lease.end();
        }
    }

    /** Completes; a failure is a settlement error (the broker redelivers and the handler finds its result), never a handler failure. */
    private async complete(lease: MessageLease, message: ReceivedMessage, fields: Record<string, unknown>): Promise<boolean> {
        try {
            await lease.settle("complete", (s) => this.opts.broker.complete(message, s));
        } catch (e) {
            this.settleError("complete", message, e, fields);
            return false;
        }
        this.stats.completed++;
        log.info("completed", fields);
        return true;
    }

    private async release(lease: MessageLease, message: ReceivedMessage, delayMs: number, msg: string, fields: Record<string, unknown>, timeoutMs?: number): Promise<void> {
        try {
            await lease.settle("release", (s) => this.opts.broker.release(message, delayMs, s), timeoutMs);
        } catch (e) {
            // Not released: the lock lapses (at most one lock duration) and the message comes back all the same.
            this.settleError("release", message, e, fields);
            return;
        }
        this.retriesDueBy = Math.max(this.retriesDueBy, Date.now() + Math.min(delayMs, this.opts.broker.kind === "serviceBus" ? this.opts.broker.lockDurationMs : delayMs));
        this.stats.released++;
        (msg === "released on shutdown" ? log.info : log.warn)(msg, fields);
    }

    private settleError(what: string, message: ReceivedMessage, e: unknown, fields: Record<string, unknown>): void {
        this.stats.settleErrors++;
        log.warn(`${what} failed; the broker will redeliver`, { ...fields, brokerId: message.brokerId, error: errorText(e), errorClass: this.opts.broker.classify(e) });
    }

    /**
     * Parks a message that ran out of deliveries, unless its result already exists (an earlier delivery did the work
     * and only its settlement failed): that one is completed. If the check itself fails (results unreachable), the
     * message is neither parked nor completed but retried later: an outage of the result store must not park good work.
     */
    private async parkUnlessDone(lease: MessageLease, message: ReceivedMessage, work: WorkMessage, reason: string, description: string, started: number): Promise<void> {
        const fields = { brokerId: message.brokerId, delivery: message.deliveryCount, id: work.id };
        let done = false;
        if (this.opts.handler.isDone) {
            try {
                done = await withDeadline("result check", this.callTimeoutMs, this.hardStop.signal, (s) => this.opts.handler.isDone!(work, s));
            } catch (e) {
                const retryInMs = releaseDelayMs(message.deliveryCount, this.backoffMs, this.backoffMaxMs);
                return this.release(lease, message, retryInMs, "cannot tell whether the work is done; released for retry", { ...fields, reason, error: errorText(e), retryInMs });
            }
        }
        if (done) {
            if (await this.complete(lease, message, { ...fields, outcome: "alreadyExists", note: `${reason}, but its result exists`, durationMs: Date.now() - started })) this.stats.duplicates++;
            return;
        }
        return this.park(lease, message, reason, description, started);
    }

    private async park(lease: MessageLease, message: ReceivedMessage, reason: string, description: string, started: number): Promise<void> {
        try {
            await lease.settle("dead-letter", (s) => this.opts.broker.deadLetter(message, reason, description, s));
        } catch (e) {
            // Visible, counted, and the message is not lost: it stays on the queue and is parked again when it returns.
            this.stats.parkFailures++;
            log.error("dead-lettering failed; the message stays on the queue", { brokerId: message.brokerId, delivery: message.deliveryCount, reason, error: errorText(e), errorClass: this.opts.broker.classify(e) });
            if (!isAbort(e)) {
                const retryInMs = releaseDelayMs(message.deliveryCount, this.backoffMs, this.backoffMaxMs);
                await this.release(lease, message, retryInMs, "released after a failed dead-lettering", { brokerId: message.brokerId, reason, retryInMs });
            }
            return;
        }
        this.stats.deadLettered++;
        log.warn("dead-lettered", { brokerId: message.brokerId, delivery: message.deliveryCount, outcome: "deadLettered", reason, description, durationMs: Date.now() - started });
    }

    private async finishInFlight(): Promise<void> {
        if (this.active.size === 0) return;
        const all = Promise.all([...this.active].map((e) => e.done));
        // Ends when everything settled, or at the hard stop (a handler deaf to its signal cannot hold the process).
        const hard = deadline("in-flight work", 2 ** 31 - 1, this.hardStop.signal);
        const cut = new Promise<void>((resolve) => hard.signal.addEventListener("abort", () => resolve(), { once: true }));
        try {
            await Promise.race([all, cut]);
        } finally {
            hard.dispose();
        }
        if (this.active.size) log.error("exiting with messages still in flight; their locks lapse and they are redelivered", { inFlight: this.active.size });
    }
}
