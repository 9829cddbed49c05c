/**
 * One received message through a runtime handler (issue 22), from the worker's side: what it hands over and how the
 * answer settles the message. The rules that keep the guarantees:
 *
 * - completed only on the handler's 2xx / exit 0, never otherwise;
 * - parked on the handler's rejection (4xx / exit 65), on an oversize body, or when out of deliveries and the last
 *   try failed too — never without asking the handler: past the delivery limit the message is handed over once more,
 *   and the handler's idempotent answer (it knows the id) decides. A 2xx whose completion failed is therefore
 *   completed on its redelivery, not parked. (The worker runs none of the handler's code, so a message cannot crash
 *   it: the extra try cannot loop.)
 * - released with the growing backoff, not before Retry-After, on any other answer or none;
 * - released at once when the shutdown's grace ran out mid-delivery.
 */
import type { ReceivedMessage } from "../broker/types";
import { errorText } from "../log";
import { REJECTED, type Delivery, type RuntimeHandler, type RuntimeMessage, type Verdict } from "./types";

/** A content type Node can send as a header: printable ASCII (and spaces) only; else the bytes are just bytes. */
const HEADER_SAFE = /^[\x20-\x7e]{1,256}$/;

export function deliveryOf(message: ReceivedMessage, source: string): Delivery {
    return {
        id: message.messageId ?? message.brokerId,
        source,
        time: message.enqueuedAt && !Number.isNaN(message.enqueuedAt.getTime()) ? message.enqueuedAt.toISOString() : undefined,
        contentType: message.contentType && HEADER_SAFE.test(message.contentType) ? message.contentType : "application/octet-stream",
        deliveryCount: message.deliveryCount,
        body: message.bytes ?? Buffer.from(message.body, "utf8"),
    };
}

export async function deliverToRuntime(handler: RuntimeHandler, o: RuntimeMessage): Promise<void> {
    const { message, lease, settle, started } = o;
    const d = deliveryOf(message, o.source);
    const fields = { brokerId: message.brokerId, delivery: message.deliveryCount, id: d.id };
    if (d.body.length > o.maxBodyBytes) return settle.park(lease, message, "Oversize", `body is ${d.body.length} bytes, limit ${o.maxBodyBytes}`, started);
    let verdict: Verdict;
    try {
        verdict = await handler.deliver(d, o.cut);
    } catch (e) {
        if (!o.cut.aborted) verdict = { kind: "retry", error: errorText(e) };
        else return settle.release(lease, message, 0, "released on shutdown", { ...fields, durationMs: Date.now() - started }, o.releaseOnShutdownMs);
    }
    const durationMs = () => Date.now() - started;
    if (verdict.kind === "complete") {
        await settle.complete(lease, message, { ...fields, outcome: verdict.detail, durationMs: durationMs() });
        return;
    }
    if (verdict.kind === "park") return settle.park(lease, message, REJECTED, verdict.description, started);
    if (o.cut.aborted) return settle.release(lease, message, 0, "released on shutdown", { ...fields, error: verdict.error, durationMs: durationMs() }, o.releaseOnShutdownMs);
    if (message.deliveryCount > o.maxDeliveryCount) {
        return settle.park(lease, message, "MaxDeliveryCountExceeded", `delivered ${message.deliveryCount} times, limit ${o.maxDeliveryCount}; last try: ${verdict.error}`, started);
    }
    if (message.deliveryCount === o.maxDeliveryCount) return settle.park(lease, message, "HandlerFailed", verdict.error, started);
    const retryInMs = settle.retryDelay(message, verdict.retryAfterMs);
    await settle.release(lease, message, retryInMs, "handler failed, released for retry", { ...fields, error: verdict.error, retryInMs, ...(verdict.retryAfterMs !== undefined ? { retryAfterMs: verdict.retryAfterMs } : {}), durationMs: durationMs() });
}
