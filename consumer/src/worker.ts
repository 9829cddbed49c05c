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
import { deadline, sleep, withDeadline } from "./broker/abort";
import { MessageLease } from "./broker/lease";
import type { Broker, ReceivedMessage } from "./broker/types";
import type { Handler } from "./handler";
import { errorText, log } from "./log";
import { BadMessage, parseWorkMessage, type WorkMessage } from "./message";
import { isRuntimeHandler, type Cut, type RuntimeHandler } from "./runtime/types";
import { emptyStats, Settler, type WorkerStats } from "./settle";

export { releaseDelayMs, type WorkerStats } from "./settle";

export interface WorkerOptions {
    broker: Broker;
    /** A built-in handler (JSON work messages), or a runtime handler: any body, to an HTTP server or a process (runtime/). */
    handler: Handler | RuntimeHandler;
    /** continuous: until stopped (Deployments). once: one message then exit. drain: until the queue is empty. */
    mode: "continuous" | "once" | "drain";
    /** Messages processed at once. Default WORKER_DEFAULTS. */
    inflight?: number;
    /** Messages asked for per receive (≤ free in-flight slots). Default WORKER_DEFAULTS. */
    batchSize?: number;
    /** How long one receive waits for a first message; in once/drain mode, how long an empty queue is waited on. Default WORKER_DEFAULTS. */
    receiveWaitMs?: number;
    /** Bodies above this are dead-lettered as Oversize. Default WORKER_DEFAULTS. */
    maxBodyBytes?: number;
    /** Lock renewal stops after this long, so a stuck handler cannot hold a message forever. Default WORKER_DEFAULTS. */
    maxRenewMs?: number;
    /** On SIGTERM: how long in-flight work may finish before it is released. Keep below terminationGracePeriodSeconds. Default WORKER_DEFAULTS. */
    graceMs?: number;
    /** Deadline of one broker or results call (a receive gets receiveWaitMs on top). Default WORKER_DEFAULTS (30 s). */
    callTimeoutMs?: number;
    /** First retry delay of a failed message; doubles per delivery. Default WORKER_DEFAULTS (2 s). */
    releaseBackoffMs?: number;
    /** Longest retry delay. Default WORKER_DEFAULTS (5 min); Service Bus caps it at the lock (see its adapter). */
    releaseBackoffMaxMs?: number;
    /** once/drain: how long receives may keep failing before the process gives up non-zero. Default WORKER_DEFAULTS (60 s). */
    receiveRetryBudgetMs?: number;
    /** While the broker is unreachable, a reminder is logged this often. Default WORKER_DEFAULTS (30 s). */
    outageLogEveryMs?: number;
    /** After stop(): exit the process this long after the grace period if it is still alive (a hung close, a handler deaf to its signal). Default WORKER_DEFAULTS (5 s); 0 = never (tests). */
    hardExitAfterGraceMs?: number;
}

/**
 * The worker's defaults, the one place they live: options.ts gives them to the flags (and so to the KEDASCALE_*
 * variables, `--help` and docs/worker.md), in-process callers (tests, the bench) get them by leaving a field out.
 */
export const WORKER_DEFAULTS = {
    inflight: 8,
    batchSize: 32,
    receiveWaitMs: 5_000,
    maxBodyBytes: 256 * 1024,
    maxRenewMs: 600_000,
    graceMs: 20_000,
    callTimeoutMs: 30_000,
    releaseBackoffMs: 2_000,
    releaseBackoffMaxMs: 300_000,
    receiveRetryBudgetMs: 60_000,
    outageLogEveryMs: 30_000,
    hardExitAfterGraceMs: 5_000,
} as const;

/** Time the grace-expired releases get before every call is cut (the hard stop). */
const RELEASE_ON_SHUTDOWN_MS = 3000;

/** Receive retry delay: 250 ms doubling to 15 s. */
const receiveBackoffMs = (attempt: number) => Math.min(15_000, 250 * 2 ** Math.min(attempt - 1, 6));

/**
 * The handler's abort signal, made on first use: most handlers never look at it (noop; the results handler only
 * once it writes), and a draining worker would otherwise build an AbortController per message for nothing.
 */
class HandlerCut implements Cut {
    private controller?: AbortController;
    private reason?: Error;
    private callbacks?: Set<(reason: Error) => void>;
    /** A plain callback, no AbortController: what a runtime handler's request or process uses (cheaper per message). */
    onAbort(cb: (reason: Error) => void): () => void {
        if (this.reason) {
            cb(this.reason);
            return () => {};
        }
        (this.callbacks ??= new Set()).add(cb);
        return () => void this.callbacks?.delete(cb);
    }
    get signal(): AbortSignal {
        if (!this.controller) {
            this.controller = new AbortController();
            if (this.reason) this.controller.abort(this.reason);
        }
        return this.controller.signal;
    }
    get aborted(): boolean {
        return this.reason !== undefined;
    }
    abort(reason: Error): void {
        this.reason ??= reason;
        this.controller?.abort(reason);
        for (const cb of this.callbacks ?? []) cb(this.reason);
        this.callbacks?.clear();
    }
}

interface InFlight {
    readonly message: ReceivedMessage;
    /** Aborted when the grace period ran out: the handler must give up, the message is released. */
    readonly abort: HandlerCut;
    done: Promise<void>;
}

type Resolved = Omit<WorkerOptions, keyof typeof WORKER_DEFAULTS> & { -readonly [K in keyof typeof WORKER_DEFAULTS]: number };

export class Worker {
    readonly stats: WorkerStats = emptyStats();
    private readonly active = new Set<InFlight>();
    private readonly receiveAbort = new AbortController();
    /** Cuts every broker call and ends the wait for in-flight work: grace + release budget are over. */
    private readonly hardStop = new AbortController();
    private stopping = false;
    private handlerWait = false;
    private graceTimer?: NodeJS.Timeout;
    private slotFreed: () => void = () => {};
    private readonly opts: Resolved;
    private readonly settle: Settler;

    constructor(options: WorkerOptions) {
        // A field left out (or undefined) takes its default.
        const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
        this.opts = { ...WORKER_DEFAULTS, ...given } as Resolved;
        this.settle = new Settler({
            broker: this.opts.broker,
            isDone: isRuntimeHandler(this.opts.handler) ? undefined : this.opts.handler.isDone,
            stats: this.stats,
            callTimeoutMs: this.opts.callTimeoutMs,
            backoffMs: this.opts.releaseBackoffMs,
            backoffMaxMs: this.opts.releaseBackoffMaxMs,
            hardStop: this.hardStop.signal,
        });
    }

    get inFlight(): number {
        return this.active.size;
    }

    get isStopping(): boolean {
        return this.stopping;
    }

    /** True while receiving waits for a runtime handler to become ready (before the first receive, or after it was found down). */
    get waitingForHandler(): boolean {
        return this.handlerWait;
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
        const hardExit = this.opts.hardExitAfterGraceMs;
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
        let handlerFailed: unknown;
        let handlerReady = false;
        while (!this.stopping) {
            await this.waitForSlot();
            if (this.stopping) break;
            // A runtime handler must answer before anything is received: no message spends a delivery on a handler not there.
            const runtime = this.opts.handler;
            if (isRuntimeHandler(runtime) && (!handlerReady || runtime.down)) {
                this.handlerWait = true;
                try {
                    await runtime.ready(this.receiveAbort.signal);
                } catch (e) {
                    handlerFailed = e;
                    break;
                } finally {
                    this.handlerWait = false;
                }
                handlerReady = true;
                if (this.stopping) break;
            }
            const want = mode === "once" ? 1 : Math.min(this.opts.batchSize, this.opts.inflight - this.active.size);
            let messages: ReceivedMessage[];
            try {
                messages = await withDeadline("receive", this.opts.receiveWaitMs + this.opts.callTimeoutMs, this.receiveAbort.signal, (s) =>
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
                } else if (now - outage.loggedAt >= this.opts.outageLogEveryMs) {
                    outage.loggedAt = now;
                    log.warn("broker still unreachable", fields);
                }
                if (mode !== "continuous" && now - outage.since >= this.opts.receiveRetryBudgetMs) {
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
            if (mode === "drain" && messages.length === 0 && this.active.size === 0 && Date.now() >= this.settle.retriesDueBy + 2000) break;
        }
        await this.finishInFlight();
        clearTimeout(this.graceTimer);
        if (handlerFailed) throw handlerFailed;
        if (gaveUp) {
            const e = new Error(
                `could not receive from the ${broker.kind} queue for ${Date.now() - gaveUp.since} ms (${gaveUp.attempts} attempts; budget ${this.opts.receiveRetryBudgetMs} ms): ${errorText(gaveUp.error)}`,
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
        const entry: InFlight = { message, abort: new HandlerCut(), done: Promise.resolve() };
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
            callTimeoutMs: this.opts.callTimeoutMs,
            maxRenewMs: this.opts.maxRenewMs,
            hardStop: this.hardStop.signal,
            onRenewError: (e) => {
                this.stats.renewFailures++;
                log.warn("lock renewal failed", { ...fields, error: errorText(e), errorClass: broker.classify(e) });
            },
        });
        try {
            if (isRuntimeHandler(handler)) {
                const { maxBodyBytes } = this.opts;
                const source = broker.source ?? `${broker.kind}:unknown`;
                return await handler.process({ message, lease, settle: this.settle, cut: entry.abort, source, maxBodyBytes, maxDeliveryCount: broker.maxDeliveryCount, started, releaseOnShutdownMs: RELEASE_ON_SHUTDOWN_MS });
            }
            let work: WorkMessage;
            try {
                work = parseWorkMessage(message.body, this.opts.maxBodyBytes);
            } catch (e) {
                const bad = e as BadMessage;
                return await this.settle.park(lease, message, bad.reason, bad.message, started);
            }
            const id = work.id;
            if (message.deliveryCount > broker.maxDeliveryCount) {
                // Storage has no delivery limit of its own: a message that keeps killing workers ends here, unless its work is done.
                return await this.settle.parkUnlessDone(lease, message, work, "MaxDeliveryCountExceeded", `delivered ${message.deliveryCount} times, limit ${broker.maxDeliveryCount}`, started);
            }
            let outcome;
            try {
                const cut = entry.abort;
                outcome = await handler(work, {
                    deliveryCount: message.deliveryCount,
                    brokerId: message.brokerId,
                    get signal() {
                        return cut.signal;
                    },
                    callTimeoutMs: this.opts.callTimeoutMs,
                });
            } catch (e) {
                if (entry.abort.aborted) {
                    await this.settle.release(lease, message, 0, "released on shutdown", { ...fields, id, durationMs: Date.now() - started }, RELEASE_ON_SHUTDOWN_MS);
                } else if (message.deliveryCount >= broker.maxDeliveryCount) {
                    await this.settle.parkUnlessDone(lease, message, work, "HandlerFailed", errorText(e), started);
                } else {
                    const retryInMs = this.settle.retryDelay(message);
                    await this.settle.release(lease, message, retryInMs, "handler failed, released for retry", { ...fields, id, error: errorText(e), retryInMs, durationMs: Date.now() - started });
                }
                return;
            }
            await this.settle.complete(lease, message, { ...fields, id, outcome: outcome ?? "done", durationMs: Date.now() - started });
            if (outcome === "alreadyExists") this.stats.duplicates++;
        } finally {
            lease.end();
        }
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
