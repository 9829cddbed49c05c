/** The load generator: stable ids, batched and concurrent sends, optional rate cap, a manifest for verify. */
import type { Broker, OutgoingMessage } from "./broker/types";
import { runManifestName, type WorkMessage } from "./message";
import type { ResultStore } from "./results";
import { sleep } from "./broker/abort";

export interface SendOptions {
    count: number;
    /** Sends in flight at once (Service Bus: batches; Storage: single messages). */
    concurrency: number;
    /** Target body size in bytes (padded with payload). */
    size: number;
    /** Cap in messages/second; default uncapped. */
    rate?: number;
    runId: string;
    /** Simulated work per message, ms. */
    workMs?: number;
    /** Messages per send call: Service Bus batches up to this; Storage sends one by one. */
    batchSize: number;
    /** Stops sending (Ctrl-C): sends already in flight finish and are counted; no new one starts. */
    signal?: AbortSignal;
}

export interface SendSummary {
    runId: string;
    sent: number;
    seconds: number;
    messagesPerSecond: number;
    /** True when `signal` stopped the run before `count` was reached; `sent` is then what the queue really got. */
    interrupted?: boolean;
}

/** A send failed: `summary.sent` counts what was enqueued before (and alongside) the failure. */
export class SendFailed extends Error {
    constructor(
        readonly error: unknown,
        readonly summary: SendSummary,
    ) {
        super(error instanceof Error ? error.message : String(error));
        this.name = "SendFailed";
    }
}

export function buildMessage(runId: string, seq: number, size: number, workMs?: number): OutgoingMessage {
    const base: WorkMessage = { id: `${runId}-${seq}`, runId, seq, ...(workMs ? { workMs } : {}), payload: "" };
    const bare = JSON.stringify(base).length;
    const body = JSON.stringify({ ...base, payload: "x".repeat(Math.max(0, size - bare)) });
    return { id: base.id, body };
}

export async function sendLoad(broker: Broker, o: SendOptions, onProgress: (sent: number) => void = () => {}): Promise<SendSummary> {
    const started = Date.now();
    const chunk = broker.kind === "serviceBus" ? o.batchSize : 1;
    let next = 0;
    let sent = 0;
    // The first failure stops every lane after its current send, so `sent` is exact when we report it.
    let failure: { error: unknown } | undefined;
    const stopped = () => Boolean(o.signal?.aborted || failure);
    const lane = async () => {
        for (;;) {
            const from = next;
            if (from >= o.count || stopped()) return;
            // This lane's range, fixed now: `next` moves on while this lane waits for its pacing slot (reading
            // `next` after the wait sent other lanes' messages again: --rate used to send duplicates).
            const to = Math.min(o.count, from + chunk);
            next = to;
            if (o.rate) {
                // Pace against the start time, so a slow call is caught up rather than lost to drift.
                const due = started + (from / o.rate) * 1000;
                const wait = due - Date.now();
                // A claimed batch is sent even if Ctrl-C came during the wait: the sent seqs stay 0..sent-1, as verify expects.
                if (wait > 0) await sleep(wait, o.signal, true);
            }
            const batch: OutgoingMessage[] = [];
            for (let seq = from; seq < to; seq++) batch.push(buildMessage(o.runId, seq, o.size, o.workMs));
            try {
                // No signal passed: a send cut off mid-call may or may not have landed, and the count must be exact.
                await broker.send(batch);
            } catch (error) {
                failure ??= { error };
                return;
            }
            sent += batch.length;
            onProgress(sent);
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, lane));
    const seconds = (Date.now() - started) / 1000;
    const summary: SendSummary = { runId: o.runId, sent, seconds, messagesPerSecond: sent / Math.max(seconds, 1e-3), ...(sent < o.count ? { interrupted: true } : {}) };
    if (failure) throw new SendFailed(failure.error, summary);
    return summary;
}


/** A run's record in the results container: what verify reconciles against. */
export interface RunManifest {
    runId: string;
    /** Messages the queue really got (while `status` is "sending": the planned count). */
    count: number;
    /** What `--count` asked for. */
    planned?: number;
    /** "sending" until send ends; a manifest left "sending" means the sender was killed mid-run. */
    status?: "sending" | "complete" | "interrupted" | "failed";
    sentAt: string;
}

/**
 * Records what a run sent, cloud-side, so verify needs no local state. Created once, before sending (a reused run id
 * is refused as "alreadyExists"), then overwritten by finishManifest with the true count.
 */
export async function writeManifest(store: ResultStore, runId: string, count: number): Promise<"written" | "alreadyExists"> {
    const manifest: RunManifest = { runId, count, planned: count, status: "sending", sentAt: new Date().toISOString() };
    return store.writeOnce(runManifestName(runId), JSON.stringify(manifest));
}

/** Rewrites the manifest with what the queue really got: after Ctrl-C or a failure, fewer than planned. */
export async function finishManifest(store: ResultStore, runId: string, planned: number, sent: number, status: "complete" | "interrupted" | "failed"): Promise<void> {
    const manifest: RunManifest = { runId, count: sent, planned, status, sentAt: new Date().toISOString() };
    const body = JSON.stringify(manifest);
    await store.container.getBlockBlobClient(runManifestName(runId)).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: "application/json" } });
}
