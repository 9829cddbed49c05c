/**
 * The receive → handle → settle loop, with bounded concurrency, lock renewal and graceful shutdown.
 * At-least-once: a message is completed only after its handler succeeded; on any doubt it goes back to the
 * broker (release, or lock expiry after a crash) and the idempotent handler makes the redelivery harmless.
 */
import type { Broker, ReceivedMessage } from "./broker/types";
import type { Handler } from "./handler";
import { errorText, log } from "./log";
import { BadMessage, parseWorkMessage } from "./message";

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
}

export interface WorkerStats {
    received: number;
    completed: number;
    /** Completed because an earlier delivery had already written the result. */
    duplicates: number;
    deadLettered: number;
    released: number;
    settleErrors: number;
}

interface InFlight {
    readonly message: ReceivedMessage;
    readonly abort: AbortController;
    readonly done: Promise<void>;
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class Worker {
    readonly stats: WorkerStats = { received: 0, completed: 0, duplicates: 0, deadLettered: 0, released: 0, settleErrors: 0 };
    private readonly active = new Set<InFlight>();
    private readonly receiveAbort = new AbortController();
    private stopping = false;
    private slotFreed: () => void = () => {};

    constructor(private readonly opts: WorkerOptions) {}

    get inFlight(): number {
        return this.active.size;
    }

    get isStopping(): boolean {
        return this.stopping;
    }

    /** Begins graceful shutdown: no new receives; in-flight work gets graceMs, then is released. */
    stop(): void {
        if (this.stopping) return;
        this.stopping = true;
        this.receiveAbort.abort();
        this.slotFreed();
    }

    async run(): Promise<WorkerStats> {
        const { broker, mode } = this.opts;
        let receiveFailures = 0;
        while (!this.stopping) {
            await this.waitForSlot();
            if (this.stopping) break;
            const want = mode === "once" ? 1 : Math.min(this.opts.batchSize, this.opts.inflight - this.active.size);
            let messages: ReceivedMessage[];
            try {
                messages = await broker.receive(want, this.opts.receiveWaitMs, this.receiveAbort.signal);
                receiveFailures = 0;
            } catch (e) {
                // Throttling, network blips, token refresh: back off and keep the pod alive.
                receiveFailures++;
                log.warn("receive failed", { error: errorText(e), attempt: receiveFailures });
                await delay(Math.min(30_000, 250 * 2 ** Math.min(receiveFailures, 7)));
                continue;
            }
            this.stats.received += messages.length;
            for (const m of messages) this.track(m);
            if (mode === "once") break;
            if (mode === "drain" && messages.length === 0) break;
        }
        await this.finishInFlight();
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
        const abort = new AbortController();
        const entry: InFlight = { message, abort, done: Promise.resolve() };
        (entry as { done: Promise<void> }).done = this.process(message, abort.signal).finally(() => {
            this.active.delete(entry);
            this.slotFreed();
        });
        this.active.add(entry);
    }

    private async process(message: ReceivedMessage, signal: AbortSignal): Promise<void> {
        const { broker } = this.opts;
        const started = Date.now();
        const fields = { brokerId: message.brokerId, delivery: message.deliveryCount };
        const renewal = this.renewWhileWorking(message, started);
        try {
            if (message.deliveryCount > broker.maxDeliveryCount) {
                // Storage has no delivery limit of its own: a message that keeps killing workers ends here.
                return await this.deadLetter(message, "MaxDeliveryCountExceeded", `delivered ${message.deliveryCount} times, limit ${broker.maxDeliveryCount}`, started);
            }
            let work;
            try {
                work = parseWorkMessage(message.body, this.opts.maxBodyBytes);
            } catch (e) {
                const bad = e as BadMessage;
                return await this.deadLetter(message, bad.reason, bad.message, started);
            }
            try {
                const outcome = await this.opts.handler(work, { deliveryCount: message.deliveryCount, signal });
                await broker.complete(message);
                this.stats.completed++;
                if (outcome === "alreadyExists") this.stats.duplicates++;
                log.info("completed", { ...fields, id: work.id, outcome: outcome ?? "done", durationMs: Date.now() - started });
            } catch (e) {
                if (signal.aborted) {
                    await broker.release(message);
                    this.stats.released++;
                    log.info("released on shutdown", { ...fields, id: work.id, durationMs: Date.now() - started });
                } else if (message.deliveryCount >= broker.maxDeliveryCount) {
                    await this.deadLetter(message, "HandlerFailed", errorText(e), started);
                } else {
                    await broker.release(message);
                    this.stats.released++;
                    log.warn("handler failed, released for retry", { ...fields, id: work.id, error: errorText(e), durationMs: Date.now() - started });
                }
            }
        } catch (e) {
            // Settling failed (lock lost, network): the broker redelivers after the lock expires. Nothing is lost.
            this.stats.settleErrors++;
            log.warn("settle failed; the broker will redeliver", { ...fields, error: errorText(e) });
        } finally {
            clearInterval(renewal);
        }
    }

    private async deadLetter(message: ReceivedMessage, reason: string, description: string, started: number): Promise<void> {
        await this.opts.broker.deadLetter(message, reason, description);
        this.stats.deadLettered++;
        log.warn("dead-lettered", { brokerId: message.brokerId, delivery: message.deliveryCount, outcome: "deadLettered", reason, description, durationMs: Date.now() - started });
    }

    private renewWhileWorking(message: ReceivedMessage, started: number): NodeJS.Timeout {
        const timer = setInterval(() => {
            if (Date.now() - started > this.opts.maxRenewMs) return clearInterval(timer);
            this.opts.broker.renew(message).catch((e) => log.warn("lock renewal failed", { brokerId: message.brokerId, error: errorText(e) }));
        }, Math.max(500, this.opts.broker.lockDurationMs / 2));
        timer.unref();
        return timer;
    }

    private async finishInFlight(): Promise<void> {
        const all = () => Promise.all([...this.active].map((e) => e.done));
        if (!this.stopping) return void (await all());
        const finished = await Promise.race([all().then(() => true), delay(this.opts.graceMs).then(() => false)]);
        if (!finished) {
            log.warn("grace period over, releasing in-flight messages", { inFlight: this.active.size });
            for (const e of this.active) e.abort.abort(new Error("shutdown"));
            await all();
        }
    }
}
