/** Reconciles a run's results against its manifest: missing, duplicated and extra results, and duplicate sends. */
import { duplicateSendsPrefix, runManifestName } from "./message";
import type { ResultStore } from "./results";
import type { RunManifest } from "./send";

export interface VerifyReport {
    runId: string;
    expected: number;
    found: number;
    missing: number;
    /** Up to 20 missing sequence numbers, to look up in logs. */
    missingSample: number[];
    /** Results whose content claims a message another result also claims, or a different one than its name. */
    duplicates: number;
    /** Results that no sent message accounts for. */
    extra: number;
    /**
     * Extra enqueued copies of a message (a send whose reply was lost and was retried), each found by the worker and
     * recorded as a marker (handler.ts). Harmless (each message still has one result), so not a failure; reported
     * apart from `duplicates`, which are results written twice and are one.
     */
    duplicateSends: number;
    /**
     * How the send ended, from the manifest: "complete", "interrupted" (Ctrl-C) or "failed" (then `expected` is what
     * the queue really got), or "sending" (the sender was killed: `expected` is only the planned count).
     */
    sendStatus?: RunManifest["status"];
    /** What --count asked for, when the run sent fewer. */
    planned?: number;
    ok: boolean;
}

export interface VerifyOptions {
    /** Result blobs read at once. */
    concurrency?: number;
    /** Called after each result is checked: (checked, total). */
    onProgress?: (checked: number, total: number) => void;
}

/** The run has no manifest: never sent, sent with --no-manifest, or sent to another results container. */
export class ManifestMissing extends Error {
    constructor(readonly runId: string) {
        super(`run '${runId}' has no manifest`);
        this.name = "ManifestMissing";
    }
}

export async function verifyRun(store: ResultStore, runId: string, o: VerifyOptions = {}): Promise<VerifyReport> {
    const concurrency = o.concurrency ?? 32;
    let manifest: RunManifest;
    try {
        manifest = JSON.parse(await store.read(runManifestName(runId))) as RunManifest;
    } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404 && (e as { details?: { errorCode?: string } }).details?.errorCode === "BlobNotFound") throw new ManifestMissing(runId);
        throw e;
    }
    const names: string[] = [];
    for await (const name of store.list(`${runId}/`)) names.push(name);
    let checked = 0;
    o.onProgress?.(0, names.length);

    const seen = new Map<number, number>();
    let extra = 0;
    let duplicates = 0;
    const claimedIds = new Set<string>();
    let i = 0;
    const lane = async () => {
        while (i < names.length) {
            const name = names[i++];
            const seq = Number(/^[^/]+\/(\d+)\.json$/.exec(name)?.[1] ?? NaN);
            if (!Number.isInteger(seq) || seq >= manifest.count) {
                extra++;
            } else {
                const content = JSON.parse(await store.read(name)) as { id: string; seq: number };
                if (content.seq !== seq || claimedIds.has(content.id)) duplicates++;
                claimedIds.add(content.id);
                seen.set(seq, (seen.get(seq) ?? 0) + 1);
            }
            o.onProgress?.(++checked, names.length);
        }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    let duplicateSends = 0;
    for await (const _ of store.list(duplicateSendsPrefix(runId))) duplicateSends++;
    const missingSeqs: number[] = [];
    for (let s = 0; s < manifest.count; s++) if (!seen.has(s)) missingSeqs.push(s);
    return {
        runId,
        expected: manifest.count,
        found: names.length - extra,
        missing: missingSeqs.length,
        missingSample: missingSeqs.slice(0, 20),
        duplicates,
        extra,
        duplicateSends,
        ...(manifest.status ? { sendStatus: manifest.status } : {}),
        ...(manifest.planned !== undefined && manifest.planned !== manifest.count ? { planned: manifest.planned } : {}),
        ok: missingSeqs.length === 0 && duplicates === 0 && extra === 0,
    };
}
