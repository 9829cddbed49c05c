/**
 * Builds a parked (poison) message that always fits the queue's size limit (issue 10 point 3). The reason, the
 * description and the delivery count always fit; the body is kept whole when it fits, else it is stored aside
 * (the results container, `_parked/<queue>/<brokerId>`) and the parked message carries a reference, its original
 * size and a preview. If storing aside fails too, the preview alone is parked with the original size recorded:
 * the operator still sees what arrived, how big it was and why it was parked.
 */
import { errorText } from "../log";

export interface BodyStore {
    /** Stores `content` under `name` (overwriting: a re-park of the same message writes the same bytes). */
    put(name: string, content: string, signal?: AbortSignal): Promise<void>;
}

export interface ParkInput {
    reason: string;
    description: string;
    deliveryCount: number;
    brokerId: string;
    body: string;
}

/** Bytes kept of a body that does not fit, as a preview. JSON escaping can grow it up to 6× (\u0000), still far below the limit. */
export const PREVIEW_BYTES = 2048;
/** Longest description kept (an error text can be arbitrarily long). */
export const DESCRIPTION_CHARS = 1024;
/** Head-room under the broker's limit for the XML/JSON framing the SDK and service add around the text. */
const MARGIN_BYTES = 1024;

/**
 * Blob holding a parked body that did not fit the queue. `_` cannot start an id (message.ts), so this prefix never
 * collides with a run's results (`<runId>/…`).
 */
export function parkedBodyName(queue: string, brokerId: string): string {
    return `_parked/${queue}/${brokerId}`;
}

const bytes = (s: string) => Buffer.byteLength(s, "utf8");

/** The longest prefix of `s` whose UTF-8 encoding is at most `max` bytes, cut on a character boundary. */
export function truncateUtf8(s: string, max: number): string {
    if (bytes(s) <= max) return s;
    const buf = Buffer.from(s, "utf8").subarray(0, max);
    // A cut through a multi-byte character decodes to U+FFFD at the end: drop it.
    return buf.toString("utf8").replace(/\uFFFD+$/, "");
}

export async function parkEnvelope(p: ParkInput, o: { maxBytes: number; store?: BodyStore; refName: string; signal?: AbortSignal }): Promise<string> {
    const head = { reason: truncateUtf8(p.reason, 256), description: p.description.slice(0, DESCRIPTION_CHARS), deliveryCount: p.deliveryCount, brokerId: p.brokerId };
    const whole = JSON.stringify({ ...head, body: p.body });
    if (bytes(whole) <= o.maxBytes - MARGIN_BYTES) return whole;

    const originalBytes = bytes(p.body);
    let bodyRef: string | undefined;
    let storeError: string | undefined;
    if (o.store) {
        try {
            await o.store.put(o.refName, p.body, o.signal);
            bodyRef = o.refName;
        } catch (e) {
            storeError = errorText(e).slice(0, 512);
        }
    }
    return JSON.stringify({
        ...head,
        bodyPreview: truncateUtf8(p.body, PREVIEW_BYTES),
        truncated: true,
        originalBytes,
        ...(bodyRef ? { bodyRef } : { bodyStoreError: storeError ?? "no store for oversize bodies configured" }),
    });
}
