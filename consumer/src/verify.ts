/** Reconciles a run's results against its manifest: missing, duplicated and extra results. */
import { runManifestName } from "./message";
import type { ResultStore } from "./results";

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
    ok: boolean;
}

export async function verifyRun(store: ResultStore, runId: string, concurrency = 32): Promise<VerifyReport> {
    const manifest = JSON.parse(await store.read(runManifestName(runId))) as { count: number };
    const names: string[] = [];
    for await (const name of store.list(`${runId}/`)) names.push(name);

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
                continue;
            }
            const content = JSON.parse(await store.read(name)) as { id: string; seq: number };
            if (content.seq !== seq || claimedIds.has(content.id)) duplicates++;
            claimedIds.add(content.id);
            seen.set(seq, (seen.get(seq) ?? 0) + 1);
        }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
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
        ok: missingSeqs.length === 0 && duplicates === 0 && extra === 0,
    };
}
