/** Handlers do the work for one valid message. Pluggable: the worker takes any function of this shape. */
import { resultBlobName, type WorkMessage } from "./message";
import type { ResultStore, WriteOutcome } from "./results";

export interface HandlerContext {
    readonly deliveryCount: number;
    /** Aborted when the worker must give the message back (shutdown grace ran out). */
    readonly signal: AbortSignal;
}

export type Handler = (message: WorkMessage, ctx: HandlerContext) => Promise<WriteOutcome | void>;

export class SimulatedFailure extends Error {
    constructor(delivery: number) {
        super(`simulated failure on delivery ${delivery} (failDeliveries)`);
        this.name = "SimulatedFailure";
    }
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const t = setTimeout(() => (signal.removeEventListener("abort", onAbort), resolve()), ms);
        const onAbort = () => (clearTimeout(t), reject(signal.reason));
        signal.addEventListener("abort", onAbort, { once: true });
    });
}

/**
 * The default handler: optional simulated work, then a result blob named after the message. The result's
 * content depends on the message only, so every delivery would write the same bytes.
 */
export function resultWritingHandler(store: ResultStore, opts: { maxWorkMs: number }): Handler {
    return async (message, ctx) => {
        const fail = message.failDeliveries ?? 0;
        if (fail === -1 || ctx.deliveryCount <= fail) throw new SimulatedFailure(ctx.deliveryCount);
        if (message.workMs) await abortableSleep(Math.min(message.workMs, opts.maxWorkMs), ctx.signal);
        const result = JSON.stringify({ id: message.id, runId: message.runId, seq: message.seq, payloadBytes: message.payload?.length ?? 0 });
        return store.writeOnce(resultBlobName(message), result);
    };
}

/** No side effects: honours a message's simulated work (capped at 5 min), writes nothing. For benchmarks and demos. */
export const noopHandler: Handler = async (message, ctx) => {
    if (message.workMs) await abortableSleep(Math.min(message.workMs, 300_000), ctx.signal);
};
