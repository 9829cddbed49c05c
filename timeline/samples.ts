/**
 * The burst timeline's data: one JSON format written by `watch` (a real cluster), the local emulation (issue 16) and
 * `simulate`, read by the one renderer. Pure: types, a validating loader and the key moments.
 *
 * Format `kedascale-timeline/1` (a file is one object):
 *   source      "watch" | "emulation" | "simulate"
 *   stack       stack name (Pulumi.<stack>.yaml)
 *   workload    { name, kind: "job" | "deployment" }: which ScaledJob or ScaledObject the samples follow
 *   messages?   messages in the burst, when known
 *   startedAt?  ISO-8601 wall-clock time of t = 0 (watch, emulation)
 *   samples     [{ t, queueDepth, running, created?, done?, readyNodes?, nodesByPool? }], t ascending:
 *       t           seconds since the start of the run
 *       queueDepth  messages on the queue as KEDA's scaler counts them: Service Bus activeMessageCount, Storage
 *                   approximateMessagesCount — both include messages locked/invisible while being worked on (FACTS §9)
 *       running     Jobs not finished (ScaledJob) or replicas (ScaledObject) at t
 *       created?    Jobs created so far (ScaledJob; cumulative)
 *       done?       messages completed so far (cumulative)
 *       readyNodes? Ready nodes in the workload's pool(s); absent where there are no nodes (the emulation)
 *       nodesByPool? Ready nodes per agent pool (label kubernetes.azure.com/agentpool)
 *   marks?      exact key moments a source knows better than its samples (e.g. a Job's creationTimestamp), seconds
 *   notes?      lines a reader needs (assumptions of a simulation, what a source cannot see)
 * `null` in a sample means "not measured at this instant" (a failed queue read), not zero.
 */

export const TIMELINE_FORMAT = "kedascale-timeline/1";

export type TimelineSource = "watch" | "emulation" | "simulate";

export interface Sample {
    readonly t: number;
    readonly queueDepth: number | null;
    readonly running: number | null;
    readonly created?: number;
    readonly done?: number;
    readonly readyNodes?: number | null;
    readonly nodesByPool?: Readonly<Record<string, number>>;
}

export type MarkName = "firstJob" | "allJobsCreated" | "peakNodes" | "drained";
export type Marks = Partial<Record<MarkName, number>>;

export interface Timeline {
    readonly format: typeof TIMELINE_FORMAT;
    readonly source: TimelineSource;
    readonly stack: string;
    readonly workload: { readonly name: string; readonly kind: "job" | "deployment" };
    readonly messages?: number;
    readonly startedAt?: string;
    readonly samples: readonly Sample[];
    readonly marks?: Marks;
    readonly notes?: readonly string[];
}

/** Human labels of the marks; for a ScaledObject "Jobs" are replicas. */
export function markLabel(mark: MarkName, kind: "job" | "deployment"): string {
    switch (mark) {
        case "firstJob":
            return kind === "job" ? "first Job" : "first replica";
        case "allJobsCreated":
            return kind === "job" ? "all Jobs created" : "peak replicas";
        case "peakNodes":
            return "peak nodes";
        case "drained":
            return "drained";
    }
}

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;
const SOURCES: readonly TimelineSource[] = ["watch", "emulation", "simulate"];
const MARKS: readonly MarkName[] = ["firstJob", "allJobsCreated", "peakNodes", "drained"];

/**
 * Validates a parsed JSON value as a timeline; throws one error listing every problem with its path, so a producer
 * (the emulation, written later) learns all of what it got wrong at once.
 */
export function parseTimeline(value: unknown): Timeline {
    const problems: string[] = [];
    const v = value as Record<string, any>;
    if (!v || typeof v !== "object") throw new Error("timeline: expected a JSON object");
    if (v.format !== TIMELINE_FORMAT) problems.push(`format: expected "${TIMELINE_FORMAT}", got ${JSON.stringify(v.format)}`);
    if (!SOURCES.includes(v.source)) problems.push(`source: expected one of ${SOURCES.join(", ")}, got ${JSON.stringify(v.source)}`);
    if (typeof v.stack !== "string" || !v.stack) problems.push("stack: expected a stack name");
    if (!v.workload || typeof v.workload.name !== "string" || !["job", "deployment"].includes(v.workload.kind)) problems.push('workload: expected { name, kind: "job" | "deployment" }');
    if (v.messages !== undefined && !isCount(v.messages)) problems.push("messages: expected a count");
    if (!Array.isArray(v.samples) || v.samples.length === 0) problems.push("samples: expected a non-empty array");
    else {
        let last = -Infinity;
        v.samples.forEach((s: Record<string, unknown>, i: number) => {
            const at = `samples[${i}]`;
            if (typeof s?.t !== "number" || !Number.isFinite(s.t)) problems.push(`${at}.t: expected seconds`);
            else if (s.t < last) problems.push(`${at}.t: ${s.t} is before the previous sample (${last}); samples must be in time order`);
            else last = s.t;
            for (const k of ["queueDepth", "running"] as const) if (s?.[k] !== null && !isCount(s?.[k])) problems.push(`${at}.${k}: expected a count or null`);
            for (const k of ["created", "done"] as const) if (s?.[k] !== undefined && !isCount(s[k])) problems.push(`${at}.${k}: expected a count`);
            if (s?.readyNodes !== undefined && s.readyNodes !== null && !isCount(s.readyNodes)) problems.push(`${at}.readyNodes: expected a count or null`);
        });
    }
    for (const [k, t] of Object.entries(v.marks ?? {})) {
        if (!MARKS.includes(k as MarkName)) problems.push(`marks.${k}: unknown mark (${MARKS.join(", ")})`);
        else if (typeof t !== "number" || !Number.isFinite(t)) problems.push(`marks.${k}: expected seconds`);
    }
    if (problems.length) throw new Error(`timeline: ${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
    return v as Timeline;
}

/** Reads a samples JSON file (what `watch`, `simulate` and the emulation write). */
export async function loadTimeline(path: string): Promise<Timeline> {
    const { readFile } = await import("node:fs/promises");
    const text = await readFile(path, "utf8");
    try {
        return parseTimeline(JSON.parse(text));
    } catch (e) {
        throw new Error(`${path}: ${(e as Error).message}`);
    }
}

/**
 * The key moments, from the samples (explicit `marks` win):
 *   firstJob        first t with a Job created or running (a replica, for a ScaledObject)
 *   allJobsCreated  first t at which `created` (else `running`) reaches its maximum
 *   peakNodes       first t at which readyNodes reaches its maximum (absent without nodes)
 *   drained         first t after which the queue stays empty (and, for a ScaledJob, no Job is left), once there was work
 */
export function keyMoments(tl: Timeline): Marks {
    const s = tl.samples;
    const marks: Marks = {};
    const started = (x: Sample) => (x.created ?? 0) > 0 || (x.running ?? 0) > 0;
    const first = s.find(started);
    if (first) marks.firstJob = first.t;
    const hasCreated = s.some((x) => x.created !== undefined);
    const level = (x: Sample) => (hasCreated ? (x.created ?? 0) : (x.running ?? 0));
    const peak = Math.max(...s.map(level));
    if (peak > 0) marks.allJobsCreated = s.find((x) => level(x) === peak)!.t;
    const nodes = s.filter((x) => typeof x.readyNodes === "number");
    if (nodes.length) {
        const most = Math.max(...nodes.map((x) => x.readyNodes as number));
        marks.peakNodes = nodes.find((x) => x.readyNodes === most)!.t;
    }
    // A ScaledObject's replicas stay up until cooldownPeriod on purpose: for it, drained means the queue is empty.
    const jobs = tl.workload.kind === "job";
    const busy = (x: Sample) => (x.queueDepth ?? 0) > 0 || (jobs && (x.running ?? 0) > 0);
    let lastBusy = -1;
    s.forEach((x, i) => {
        if (busy(x)) lastBusy = i;
    });
    const idleAfter = lastBusy >= 0 ? s.slice(lastBusy + 1).find((x) => x.queueDepth === 0 && (!jobs || (x.running ?? 0) === 0)) : undefined;
    if (idleAfter) marks.drained = idleAfter.t;
    return { ...marks, ...(tl.marks ?? {}) };
}
