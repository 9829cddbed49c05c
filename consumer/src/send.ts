/** The load generator: stable ids, batched and concurrent sends, optional rate cap, a manifest for verify. */
import type { Broker, OutgoingMessage } from "./broker/types";
import { runManifestName, type WorkMessage } from "./message";
import type { ResultStore } from "./results";

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
}

export interface SendSummary {
    runId: string;
    sent: number;
    seconds: number;
    messagesPerSecond: number;
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
    const lane = async () => {
        for (;;) {
            const from = next;
            if (from >= o.count) return;
            next = Math.min(o.count, from + chunk);
            if (o.rate) {
                // Pace against the start time, so a slow call is caught up rather than lost to drift.
                const due = started + (from / o.rate) * 1000;
                const wait = due - Date.now();
                if (wait > 0) await new Promise((r) => setTimeout(r, wait));
            }
            const batch: OutgoingMessage[] = [];
            for (let seq = from; seq < next; seq++) batch.push(buildMessage(o.runId, seq, o.size, o.workMs));
            await broker.send(batch);
            sent += batch.length;
            onProgress(sent);
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, lane));
    const seconds = (Date.now() - started) / 1000;
    return { runId: o.runId, sent, seconds, messagesPerSecond: sent / Math.max(seconds, 1e-3) };
}

/** Records what a run sent, cloud-side, so verify needs no local state. */
export async function writeManifest(store: ResultStore, runId: string, count: number): Promise<void> {
    await store.writeOnce(runManifestName(runId), JSON.stringify({ runId, count, sentAt: new Date().toISOString() }));
}
