/** Pure: successive readings of a real run → the timeline samples (the same format simulate and the emulation write). */
import { TIMELINE_FORMAT, type Sample, type Timeline } from "../samples";
import type { KubeCounts } from "./kube";

export interface Reading {
    /** Wall clock of the reading, ms since epoch. */
    readonly at: number;
    /** undefined: the queue could not be read this time (drawn as a gap, not as 0). */
    readonly queueDepth?: number;
    readonly kube: KubeCounts;
}

export class Recorder {
    private readonly samples: Sample[] = [];
    private startedAt?: number;
    private firstCreatedAt?: number;

    constructor(
        private readonly meta: { stack: string; workload: { name: string; kind: "job" | "deployment" }; messages?: number },
        private readonly notes: string[] = [],
    ) {}

    add(r: Reading): void {
        this.startedAt ??= r.at;
        if (r.kube.firstCreatedAt !== undefined && r.kube.firstCreatedAt >= this.startedAt) this.firstCreatedAt ??= r.kube.firstCreatedAt;
        this.samples.push({
            t: Math.round((r.at - this.startedAt) / 100) / 10,
            queueDepth: r.queueDepth ?? null,
            running: r.kube.running,
            ...(r.kube.created !== undefined ? { created: r.kube.created } : {}),
            readyNodes: r.kube.readyNodes,
            nodesByPool: { ...r.kube.nodesByPool },
        });
    }

    note(line: string): void {
        this.notes.push(line);
    }

    timeline(): Timeline | undefined {
        if (this.samples.length === 0 || this.startedAt === undefined) return undefined;
        return {
            format: TIMELINE_FORMAT,
            source: "watch",
            stack: this.meta.stack,
            workload: this.meta.workload,
            ...(this.meta.messages !== undefined ? { messages: this.meta.messages } : {}),
            startedAt: new Date(this.startedAt).toISOString(),
            samples: [...this.samples],
            // The first Job's own creationTimestamp is more exact than the first sample that saw it.
            ...(this.firstCreatedAt !== undefined ? { marks: { firstJob: Math.round((this.firstCreatedAt - this.startedAt) / 100) / 10 } } : {}),
            notes: [...this.notes],
        };
    }
}
