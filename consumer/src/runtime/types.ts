/**
 * The worker as a runtime for handlers in any language (issue 22): what a runtime handler is given for one message
 * and what its answer means. The worker keeps every guarantee (lease renewal while the handler runs, deadlines,
 * growing backoff, parking, clean shutdown); the handler — an HTTP server beside the worker (http.ts) or a process per
 * message (exec.ts) — only does the business logic. Contract for teams: docs/worker-runtime.md.
 */
import type { MessageLease } from "../broker/lease";
import type { ReceivedMessage } from "../broker/types";
import type { Settler } from "../settle";

/** One message as the handler sees it: CloudEvents attributes and the body's bytes, unparsed. */
export interface Delivery {
    /** CloudEvents `id`: the broker's message id, the idempotency key (a redelivery carries the same). */
    readonly id: string;
    /** CloudEvents `source`: the queue, as a URI without credentials. */
    readonly source: string;
    /** CloudEvents `time`: when the broker enqueued the message (RFC 3339), when known. */
    readonly time?: string;
    /** The producer's content type, or application/octet-stream when the broker carries none (Storage). */
    readonly contentType: string;
    /** 1 on first delivery (CloudEvents extension `deliverycount`). */
    readonly deliveryCount: number;
    readonly body: Buffer;
}

/** The handler's answer. */
export type Verdict =
    /** 2xx, exit 0: the work is done; the message is completed. */
    | { readonly kind: "complete"; readonly detail: string }
    /** 4xx other than 408/429, the park exit code: the message itself is bad; parked with this reason. */
    | { readonly kind: "park"; readonly description: string }
    /** Anything else (408, 429, 5xx, other exits, a timeout, no connection): released with the growing backoff. */
    | { readonly kind: "retry"; readonly error: string; readonly retryAfterMs?: number };

/** The shutdown's cut of one message (the worker's HandlerCut): a callback, not an AbortSignal, to keep a message cheap. */
export interface Cut {
    readonly aborted: boolean;
    /** Calls `cb` when the grace runs out (at once if it has); returns the unsubscribe. */
    onAbort(cb: (reason: Error) => void): () => void;
}

/** What the worker hands over for one received message (deliver.ts settles it by the handler's verdict). */
export interface RuntimeMessage {
    message: ReceivedMessage;
    lease: MessageLease;
    settle: Settler;
    cut: Cut;
    source: string;
    maxBodyBytes: number;
    maxDeliveryCount: number;
    started: number;
    releaseOnShutdownMs: number;
}

export interface RuntimeHandler {
    readonly runtime: "http" | "exec";
    /**
     * Hands one message to the handler under the handler deadline. Resolves with the verdict, also for failures; rejects
     * only when `cut` aborted (the shutdown's grace ran out): then the message is released at once.
     */
    deliver(d: Delivery, cut: Cut): Promise<Verdict>;
    /**
     * Delivers one received message and settles it by the verdict (deliver.ts). On the handler, so that the worker
     * imports none of it: a Job with a built-in handler loads no runtime code.
     */
    process(m: RuntimeMessage): Promise<void>;
    /**
     * Resolves once the handler can take messages (its health path answers 2xx; the command exists). Called before
     * the first receive and again after a delivery found the handler down. In continuous mode it waits for as long as
     * it takes (saying so); in Job modes it rejects past the budget. Resolves early when `signal` aborts (shutdown).
     */
    ready(signal: AbortSignal): Promise<void>;
    /** True after a delivery found the handler down (connection refused): the worker calls ready() before receiving more. */
    readonly down: boolean;
    /** Frees sockets and kills what is still running (the worker is exiting). */
    close(): void;
}

export function isRuntimeHandler(h: unknown): h is RuntimeHandler {
    return typeof h === "object" && h !== null && "runtime" in h;
}

/** Reason a message is parked under when the handler rejected it (4xx, exit 65). */
export const REJECTED = "HandlerRejected";
