/**
 * Deadlines and abortable waits that leave nothing behind. Every helper removes the listener it adds to a
 * long-lived signal (the worker's shutdown signal lives for the whole process): an idle worker polls an empty
 * queue tens of thousands of times a day, and one leaked listener per poll is a MaxListenersExceededWarning and
 * a heap that only grows (issue 10 point 6). `AbortSignal.any` is avoided for the same reason: on Node 20 its
 * composite signals are only released by GC, which the idle-memory test showed to lag.
 */

export class DeadlineExceeded extends Error {
    constructor(what: string, ms: number) {
        super(`${what} did not answer within ${ms} ms`);
        this.name = "DeadlineExceeded";
    }
}

export interface Deadline {
    readonly signal: AbortSignal;
    /** Clears the timer and detaches from the parent. Call in `finally`. */
    dispose(): void;
}

/**
 * The deadlines currently derived from each long-lived signal. A parent gets ONE abort listener, for its whole life,
 * that cuts every live child; a deadline joins and leaves a Set. The per-call alternative (add and remove a listener
 * on the parent for every broker call) cost a draining worker two EventTarget operations per message on the
 * shutdown signal — measurable in CPU per message (issue 15) — and, at in-flight 32, a MaxListenersExceededWarning.
 */
const children = new WeakMap<AbortSignal, Set<(reason: unknown) => void>>();

function follow(parent: AbortSignal, cut: (reason: unknown) => void): () => void {
    let live = children.get(parent);
    if (!live) {
        const set = new Set<(reason: unknown) => void>();
        live = set;
        children.set(parent, set);
        parent.addEventListener(
            "abort",
            () => {
                for (const c of [...set]) c(parent.reason);
                set.clear();
            },
            { once: true },
        );
    }
    const set = live;
    set.add(cut);
    return () => void set.delete(cut);
}

/** A signal that aborts after `ms` (reason: DeadlineExceeded) or when `parent` aborts (reason: the parent's). */
export function deadline(what: string, ms: number, parent?: AbortSignal, onCut?: (reason: Error) => void): Deadline {
    const controller = new AbortController();
    const cut = (reason: unknown) => {
        if (controller.signal.aborted) return;
        controller.abort(reason);
        onCut?.(abortReason(controller.signal));
    };
    if (parent?.aborted) {
        cut(parent.reason);
        return { signal: controller.signal, dispose: () => {} };
    }
    const unfollow = parent ? follow(parent, cut) : undefined;
    const timer = setTimeout(() => cut(new DeadlineExceeded(what, ms)), ms);
    timer.unref();
    return {
        signal: controller.signal,
        dispose() {
            clearTimeout(timer);
            unfollow?.();
        },
    };
}

/**
 * Runs `fn` under a deadline derived from `parent`, always disposing it. The result is settled by whichever comes
 * first: `fn`, or the cut (timer or parent) — raced as well as passed on, since some SDK calls (Service Bus
 * settlement) take no signal at all. The race is wired straight to the cut, not through a listener on the signal.
 */
export function withDeadline<T>(what: string, ms: number, parent: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
        let settled = false;
        let d: Deadline | undefined;
        const finish = () => ((settled = true), d?.dispose());
        // Called synchronously, before `d` exists, when the parent is already aborted: then `fn` never runs.
        d = deadline(what, ms, parent, (reason) => settled || (finish(), reject(reason)));
        if (settled) return;
        let work: Promise<T>;
        try {
            work = fn(d.signal);
        } catch (e) {
            work = Promise.reject(e);
        }
        work.then(
            (v) => settled || (finish(), resolve(v)),
            (e) => settled || (finish(), reject(e)),
        );
    });
}

/** Rejects with the signal's reason as soon as it aborts, whether or not `promise` honours the signal. */
export function raceAbort<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!signal) return promise;
    if (signal.aborted) {
        promise.catch(() => {}); // it may still reject later: never an unhandled rejection
        return Promise.reject(abortReason(signal));
    }
    return new Promise<T>((resolve, reject) => {
        const onAbort = () => {
            promise.catch(() => {});
            reject(abortReason(signal));
        };
        signal.addEventListener("abort", onAbort, { once: true });
        promise.then(
            (v) => (signal.removeEventListener("abort", onAbort), resolve(v)),
            (e) => (signal.removeEventListener("abort", onAbort), reject(e)),
        );
    });
}

function abortReason(signal: AbortSignal): Error {
    const r = signal.reason;
    if (r instanceof Error) return r;
    const e = new Error(String(r ?? "aborted"));
    e.name = "AbortError";
    return e;
}

/**
 * Waits `ms`, resolving early (never rejecting) when `signal` aborts. `hold: true` keeps the process alive while
 * waiting: the receive backoff of a worker whose broker is down must hold the event loop, or Node exits 0 in
 * the middle of an outage with nothing else to do (issue 10 point 1).
 */
export function sleep(ms: number, signal?: AbortSignal, hold = false): Promise<void> {
    return new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const onAbort = () => (clearTimeout(timer), resolve());
        const timer = setTimeout(() => (signal?.removeEventListener("abort", onAbort), resolve()), ms);
        if (!hold) timer.unref();
        signal?.addEventListener("abort", onAbort, { once: true });
    });
}

/** True for errors that say "this call was cut short by us" (deadline or shutdown), not by the service. */
export function isAbort(e: unknown): boolean {
    const name = (e as { name?: string } | undefined)?.name;
    return name === "AbortError" || name === "DeadlineExceeded" || name === "TimeoutError";
}
