/**
 * The live terminal chart `watch` redraws: one sparkline row per series over the whole run so far (bucketed to the
 * terminal's width, each bucket showing its maximum), the current values and the key moments reached. Plain ANSI.
 */
import { keyMoments, markLabel, type MarkName, type Sample, type Timeline } from "../samples";

const BLOCKS = " ▁▂▃▄▅▆▇█";
const COLOR = { queue: "\x1b[34m", workers: "\x1b[33m", nodes: "\x1b[32m", reset: "\x1b[0m", dim: "\x1b[2m" };

/** Max of each of `width` equal time buckets; undefined where a bucket has no measured value. */
export function bucketMax(samples: readonly Sample[], value: (s: Sample) => number | null | undefined, width: number): (number | undefined)[] {
    const out: (number | undefined)[] = new Array(width).fill(undefined);
    if (samples.length === 0) return out;
    const t0 = samples[0].t;
    const span = Math.max(1e-9, samples[samples.length - 1].t - t0);
    for (const s of samples) {
        const v = value(s);
        if (v === null || v === undefined) continue;
        const i = Math.min(width - 1, Math.floor(((s.t - t0) / span) * width));
        out[i] = Math.max(out[i] ?? 0, v);
    }
    return out;
}

export function sparkline(values: readonly (number | undefined)[], max: number): string {
    return values.map((v) => (v === undefined ? "·" : BLOCKS[Math.round((Math.min(v, max) / Math.max(1, max)) * (BLOCKS.length - 1))])).join("");
}

/** The chart as text (with ANSI colours unless `color` is false). */
export function renderTerminal(tl: Timeline, width = 72, color = true): string {
    const c = (k: keyof typeof COLOR) => (color ? COLOR[k] : "");
    const s = tl.samples;
    const last = s[s.length - 1];
    const rows: [keyof typeof COLOR, string, (x: Sample) => number | null | undefined][] = [
        ["queue", "queue ", (x) => x.queueDepth],
        ["workers", tl.workload.kind === "job" ? "Jobs  " : "repl. ", (x) => x.running],
        ["nodes", "nodes ", (x) => x.readyNodes],
    ];
    const lines = [`${c("dim")}${tl.source} · ${tl.stack} · ${tl.workload.name} · t = ${last ? Math.round(last.t) : 0} s${c("reset")}`];
    for (const [key, label, value] of rows) {
        const values = bucketMax(s, value, width);
        const max = Math.max(0, ...values.filter((v): v is number => v !== undefined));
        const now = last ? value(last) : undefined;
        lines.push(`${c(key)}${label}${sparkline(values, max)}${c("reset")} ${now ?? "–"} (max ${max})`);
    }
    const marks = keyMoments(tl);
    const reached = (Object.keys(marks) as MarkName[]).sort((a, b) => marks[a]! - marks[b]!);
    lines.push(reached.length ? reached.map((k) => `${markLabel(k, tl.workload.kind)} ${Math.round(marks[k]!)} s`).join(" · ") : "waiting for the first Job…");
    return lines.join("\n");
}
