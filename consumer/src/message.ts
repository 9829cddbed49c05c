/** The work message contract, shared by the worker, the load generator and verify. */

export interface WorkMessage {
    /** Application id; unique per message. `send` uses `<runId>-<seq>`. */
    readonly id: string;
    /** Load-generator run this message belongs to (verify reconciles per run). */
    readonly runId?: string;
    /** Position in the run, 0-based. */
    readonly seq?: number;
    /** Simulated work time, ms (seed 004 sleeps 5 s per message); capped by the worker's --max-work-ms. */
    readonly workMs?: number;
    /** Demo/chaos knob: fail the first N deliveries; -1 fails every delivery (ends dead-lettered). */
    readonly failDeliveries?: number;
    /** Opaque payload, padding the message to a size. */
    readonly payload?: string;
}

export class BadMessage extends Error {
    constructor(
        readonly reason: "NotJson" | "SchemaViolation" | "Oversize",
        message: string,
    ) {
        super(message);
        this.name = "BadMessage";
    }
}

/**
 * Ids become blob-name path segments (`<runId>/<seq>.json`, `items/<id>.json`). A blob name is any URL-safe string up
 * to 1,024 characters, but a segment of `.` or `..` is resolved away by URL normalisation (`../0.json` lands outside
 * the run's prefix) and names ending in a dot are to be avoided ("Naming and Referencing Containers, Blobs, and
 * Metadata", learn.microsoft.com/rest/api/storageservices). So an id is 1–200 of [A-Za-z0-9._:-], starting with a
 * letter or digit (no `.`/`..`, no hidden-file names, and never the `_` of the worker's own prefixes) and not ending
 * with a dot.
 */
const ID = /^[A-Za-z0-9](?:[A-Za-z0-9._:-]{0,198}[A-Za-z0-9:-])?$/;
export const ID_RULE = "1–200 chars of [A-Za-z0-9._:-], starting with a letter or digit, not ending with '.'";

/** True when `id` is safe as a blob-name segment (see ID). */
export function isValidId(id: unknown): id is string {
    return typeof id === "string" && ID.test(id);
}

/** Parses and validates a body; throws BadMessage naming what is wrong. Never throws anything else. */
export function parseWorkMessage(body: string, maxBytes: number): WorkMessage {
    const bytes = Buffer.byteLength(body, "utf8");
    if (bytes > maxBytes) throw new BadMessage("Oversize", `body is ${bytes} bytes, limit ${maxBytes}`);
    let value: unknown;
    try {
        value = JSON.parse(body);
    } catch (e) {
        throw new BadMessage("NotJson", `body is not JSON: ${(e as Error).message}`);
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new BadMessage("SchemaViolation", "body must be a JSON object");
    const m = value as Record<string, unknown>;
    const problems: string[] = [];
    if (!isValidId(m.id)) problems.push(`id must be ${ID_RULE}`);
    if (m.runId !== undefined && !isValidId(m.runId)) problems.push(`runId must be ${ID_RULE}`);
    if (m.seq !== undefined && !(Number.isInteger(m.seq) && (m.seq as number) >= 0)) problems.push("seq must be a non-negative integer");
    if ((m.runId === undefined) !== (m.seq === undefined)) problems.push("runId and seq come together");
    if (m.workMs !== undefined && !(Number.isInteger(m.workMs) && (m.workMs as number) >= 0)) problems.push("workMs must be a non-negative integer");
    if (m.failDeliveries !== undefined && !(Number.isInteger(m.failDeliveries) && (m.failDeliveries as number) >= -1)) problems.push("failDeliveries must be an integer ≥ -1");
    if (m.payload !== undefined && typeof m.payload !== "string") problems.push("payload must be a string");
    if (problems.length) throw new BadMessage("SchemaViolation", problems.join("; "));
    return m as unknown as WorkMessage;
}

/** Where a message's result lives: per run and sequence for verify, else by id. */
export function resultBlobName(m: WorkMessage): string {
    return m.runId !== undefined && m.seq !== undefined ? `${m.runId}/${m.seq}.json` : `items/${m.id}.json`;
}

/**
 * Marker written when a message finds its result written by a different enqueued copy of itself (a `send` whose reply
 * was lost and whose retry enqueued it twice). One per extra copy, named by that copy's broker id, so verify can count
 * duplicate sends apart from duplicate results (of which create-only writes leave none).
 */
export function duplicateSendMarkerName(resultName: string, brokerId: string): string {
    return `${DUPLICATE_SENDS}/${resultName.replace(/\.json$/, "")}.${brokerId.replace(/[^A-Za-z0-9-]/g, "_")}`;
}

/** Prefix under which a run's duplicate-send markers live: `verify` counts the blobs under it. */
export function duplicateSendsPrefix(runId: string): string {
    return `${DUPLICATE_SENDS}/${runId}/`;
}

/** `_` cannot start an id, so this never collides with a run's results. */
const DUPLICATE_SENDS = "_duplicate-sends";

export function runManifestName(runId: string): string {
    return `runs/${runId}.json`;
}
