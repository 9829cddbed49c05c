/**
 * `--handler http`: each message is POSTed to a handler on loopback (a second container in the pod) as a CloudEvent in
 * HTTP binary content mode (cloudEvent.ts), the body unchanged. The status decides (issue 22 point 2):
 *
 * - 2xx: done, completed;
 * - 4xx other than 408 and 429: the message is bad, parked with the status and the start of the response body;
 * - 408, 429, 5xx, any other status, no answer within `--handler-timeout-ms`, a refused or reset connection: released
 *   with the growing backoff, and not before the response's `Retry-After` (RFC 9110 §10.2.3: seconds or an HTTP date),
 *   up to `--release-backoff-max-ms`.
 *
 * node:http with one keep-alive agent, up to `--inflight` sockets: a connection per message would cost a TCP handshake
 * and a socket per message (measured: docs/worker-runtime.md). A request that fails on a reused socket before any
 * answer (the handler closed the idle connection as it was reused: ECONNRESET) is sent again once at once on a new
 * connection, as Node's docs advise for `request.reusedSocket`; at-least-once already allows a second delivery.
 * Loaded only by `--handler http` (a dynamic import in cli.ts): a Job with a built-in handler never loads this file.
 */
import { Agent, request, type IncomingMessage } from "node:http";
import { httpHeaders } from "./cloudEvent";
import { deliverToRuntime } from "./deliver";
import { waitForHandler } from "./ready";
import type { Cut, Delivery, RuntimeHandler, Verdict } from "./types";

export interface HttpHandlerOptions {
    port: number;
    /** Path messages are POSTed to. */
    path: string;
    /** Path answering 2xx once the handler can take messages. */
    healthPath: string;
    /** Deadline of one request, answer included. */
    timeoutMs: number;
    /** Sockets kept (= the worker's --inflight). */
    inflight: number;
    mode: "continuous" | "once" | "drain";
    /** Job modes: how long to wait for the health path (--receive-retry-budget-ms). */
    readyBudgetMs: number;
    logEveryMs: number;
    /** Longest Retry-After honoured (--release-backoff-max-ms). */
    retryAfterMaxMs: number;
}

/** Bytes of a rejecting response's body kept as the parking reason (the description is cut at 1,024 characters anyway). */
const REASON_BYTES = 1024;
/** Deadline of one health probe. */
const PROBE_TIMEOUT_MS = 2000;

/** Retry-After as ms from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
    const v = Array.isArray(value) ? value[0] : value;
    if (!v) return undefined;
    if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
    const at = Date.parse(v);
    return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** What a status means (issue 22 point 2). */
export function verdictOf(status: number, reason: string, retryAfter: number | undefined, maxRetryAfterMs: number): Verdict {
    const line = `HTTP ${status}${reason ? `: ${reason}` : ""}`;
    if (status >= 200 && status < 300) return { kind: "complete", detail: `HTTP ${status}` };
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) return { kind: "park", description: line };
    return { kind: "retry", error: line, ...(retryAfter !== undefined ? { retryAfterMs: Math.min(retryAfter, maxRetryAfterMs) } : {}) };
}

export function httpHandler(o: HttpHandlerOptions): RuntimeHandler {
    const agent = new Agent({ keepAlive: true, maxSockets: o.inflight, maxFreeSockets: o.inflight });
    const base = `http://127.0.0.1:${o.port}`;
    let down = false;

    /** One POST; rejects only with the request's error (the caller sorts it). */
    const post = (d: Delivery, cut: Cut, timeoutMs: number) =>
        new Promise<{ res: IncomingMessage; reason: string }>((resolve, reject) => {
            // Headers as [name, value] pairs: Node writes them as they are (they are valid by construction, cloudEvent.ts)
            // instead of validating each through setHeader, a few µs per message.
            const headers = Object.entries({ host: `127.0.0.1:${o.port}`, ...httpHeaders(d) });
            const req = request({ host: "127.0.0.1", port: o.port, path: o.path, method: "POST", agent, headers: headers as unknown as Record<string, string> }, (res) => {
                const status = res.statusCode ?? 0;
                if (status >= 200 && status < 300) {
                    // Decided: the body is not needed, only read to the end so the connection is reused.
                    res.resume();
                    return resolve({ res, reason: "" });
                }
                const chunks: Buffer[] = [];
                let kept = 0;
                res.on("data", (c: Buffer) => {
                    if (kept < REASON_BYTES) (chunks.push(c.subarray(0, REASON_BYTES - kept)), (kept += Math.min(c.length, REASON_BYTES - kept)));
                });
                const done = () => resolve({ res, reason: (Buffer.concat(chunks).toString("utf8").trim() || res.statusMessage || "").replace(/\s+/g, " ") });
                res.once("end", done);
                res.on("error", done);
                res.once("aborted", done);
            });
            const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "HANDLER_TIMEOUT" })), timeoutMs);
            const unsubscribe = cut.onAbort((reason) => req.destroy(reason));
            const cleanup = () => (clearTimeout(timer), unsubscribe());
            req.once("close", cleanup);
            req.on("error", (e) => (cleanup(), reject(Object.assign(e, { reused: req.reusedSocket }))));
            // As a Latin-1 string (bytes 0–255 map one to one, so any body goes through unchanged): Node then sends the
            // headers and the body in one write, where a Buffer body costs a second write(2) per message (profiled: the
            // loopback writes are most of the worker's CPU per message here).
            req.end(d.body.toString("latin1"), "latin1");
        });

    const handler: RuntimeHandler = {
        runtime: "http",
        get down() {
            return down;
        },
        process: (m) => deliverToRuntime(handler, m),
        async deliver(d, cut) {
            const started = Date.now();
            for (let attempt = 1; ; attempt++) {
                if (cut.aborted) throw new Error("shutdown: grace period over");
                try {
                    const { res, reason } = await post(d, cut, Math.max(1, o.timeoutMs - (Date.now() - started)));
                    down = false;
                    return verdictOf(res.statusCode ?? 0, reason, retryAfterMs(res.headers["retry-after"]), o.retryAfterMaxMs);
                } catch (e) {
                    if (cut.aborted) throw e;
                    const err = e as NodeJS.ErrnoException & { reused?: boolean };
                    if (attempt === 1 && err.reused && (err.code === "ECONNRESET" || err.code === "EPIPE")) continue;
                    if (err.code === "HANDLER_TIMEOUT") return { kind: "retry", error: `the handler gave no answer within ${o.timeoutMs} ms` };
                    // Nothing listens: the handler is down, not this message bad; the worker waits for it before receiving more.
                    if (err.code === "ECONNREFUSED") down = true;
                    return { kind: "retry", error: `POST ${base}${o.path} failed: ${err.message}${err.code && !err.message.includes(err.code) ? ` (${err.code})` : ""}` };
                }
            }
        },
        ready(signal) {
            const url = `${base}${o.healthPath}`;
            return waitForHandler(
                (s) => probe(o.port, o.healthPath, s),
                {
                    what: `the HTTP handler at ${url}`,
                    mode: o.mode,
                    budgetMs: o.readyBudgetMs,
                    logEveryMs: o.logEveryMs,
                    fix: `start the handler so that GET ${url} answers 2xx (in the pod: its container listens on 127.0.0.1:${o.port}); or point --handler-port / --handler-health-path at it; a slow start needs a longer --receive-retry-budget-ms`,
                },
                signal,
            ).then(() => void (down = false));
        },
        close() {
            agent.destroy();
        },
    };
    return handler;
}

/** GET the health path on a fresh connection: undefined when 2xx, else what came back. */
function probe(port: number, path: string, signal: AbortSignal): Promise<string | undefined> {
    return new Promise((resolve) => {
        const req = request({ host: "127.0.0.1", port, path, method: "GET", agent: false, timeout: PROBE_TIMEOUT_MS }, (res) => {
            res.resume();
            const s = res.statusCode ?? 0;
            resolve(s >= 200 && s < 300 ? undefined : `GET ${path} answered ${s}`);
        });
        const onAbort = () => req.destroy();
        signal.addEventListener("abort", onAbort, { once: true });
        req.once("close", () => signal.removeEventListener("abort", onAbort));
        req.once("timeout", () => req.destroy(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)));
        req.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ? `${e.code}` : e.message));
        req.end();
    });
}
