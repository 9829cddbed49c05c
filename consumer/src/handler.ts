/** Handlers do the work for one valid message. Pluggable: the worker takes any function of this shape. */
import { withDeadline } from "./broker/abort";
import { errorText, log } from "./log";
import { duplicateSendMarkerName, resultBlobName, type WorkMessage } from "./message";
import type { ResultStore, WriteOutcome } from "./results";

export interface HandlerContext {
    readonly deliveryCount: number;
    /** The broker's id of this enqueued copy (differs between copies of a message sent twice). */
    readonly brokerId: string;
    /** Aborted when the worker must give the message back (shutdown grace ran out). */
    readonly signal: AbortSignal;
    /** Deadline the handler should give each call it makes to a remote service. */
    readonly callTimeoutMs: number;
}

export interface Handler {
    (message: WorkMessage, ctx: HandlerContext): Promise<WriteOutcome | void>;
    /**
     * Whether this message's work is already done (its result exists). The worker asks before parking a message
     * that ran out of deliveries: work that was done, but whose completion failed, is completed, never parked.
     */
    isDone?(message: WorkMessage, signal: AbortSignal): Promise<boolean>;
}

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
    const handler: Handler = async (message, ctx) => {
        const fail = message.failDeliveries ?? 0;
        if (fail === -1 || ctx.deliveryCount <= fail) throw new SimulatedFailure(ctx.deliveryCount);
        if (message.workMs) await abortableSleep(Math.min(message.workMs, opts.maxWorkMs), ctx.signal);
        const result = JSON.stringify({ id: message.id, runId: message.runId, seq: message.seq, payloadBytes: message.payload?.length ?? 0 });
        const name = resultBlobName(message);
        const outcome = await withDeadline("write result", ctx.callTimeoutMs, ctx.signal, (s) => store.writeOnce(name, result, { signal: s, writtenBy: ctx.brokerId }));
        if (outcome === "alreadyExists") await recordDuplicateSend(store, name, ctx);
        return outcome;
    };
    handler.isDone = (message, signal) => store.exists(resultBlobName(message), signal);
    return handler;
}

/**
 * A result written by another enqueued copy of this message means the message was sent twice (a lost reply and a
 * retried send), not redelivered: leave a marker so verify can report it. Best effort: the result is right either way.
 */
async function recordDuplicateSend(store: ResultStore, name: string, ctx: HandlerContext): Promise<void> {
    try {
        const writer = await withDeadline("read result metadata", ctx.callTimeoutMs, ctx.signal, (s) => store.writtenBy(name, s));
        if (writer === undefined || writer === ctx.brokerId) return;
        const marker = duplicateSendMarkerName(name, ctx.brokerId);
        await withDeadline("write duplicate marker", ctx.callTimeoutMs, ctx.signal, (s) =>
            store.writeOnce(marker, JSON.stringify({ result: name, brokerId: ctx.brokerId, resultWrittenBy: writer }), { signal: s }),
        );
        log.warn("duplicate send: another copy of this message already wrote its result", { result: name, brokerId: ctx.brokerId, writtenBy: writer });
    } catch (e) {
        log.warn("could not record a duplicate send", { result: name, error: errorText(e) });
    }
}

/** No side effects: honours a message's simulated work (capped at 5 min), writes nothing. For benchmarks and demos. */
export const noopHandler: Handler = async (message, ctx) => {
    if (message.workMs) await abortableSleep(Math.min(message.workMs, 300_000), ctx.signal);
};
