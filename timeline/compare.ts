/**
 * Checks a simulation against a run of the local emulation (issue 16) where both apply: the emulation runs KEDA's
 * arithmetic over real workers but has no nodes, so only the queue, the Jobs/replicas and the marks that do not
 * involve nodes are compared. Simulate the same burst with nodes out of the way for a fair comparison:
 * `--set nodeProvisionMedianSeconds=0 --set podStartSeconds=<the emulation's worker start>`.
 */
import { keyMoments, type MarkName, type Sample, type Timeline } from "./samples";

export interface Comparison {
    /** Marks both timelines have, with the emulation's minus the simulation's time (s). */
    readonly marks: Partial<Record<MarkName, { simulate: number; emulation: number; diff: number }>>;
    /** Root-mean-square difference of queue depth, as a fraction of the burst, over the common time span. */
    readonly queueRmse: number;
    /** Root-mean-square difference of Jobs/replicas running, as a fraction of the larger peak. */
    readonly runningRmse: number;
    /** Lines naming each difference beyond tolerance; empty when the two agree. */
    readonly disagreements: readonly string[];
}

export interface Tolerance {
    /** Seconds a mark may differ by. */
    readonly markSeconds: number;
    /** Largest RMS difference of a series, as a fraction. */
    readonly seriesFraction: number;
}

/** The value a step series holds at t (the last sample at or before t). */
export function valueAt(samples: readonly Sample[], t: number, value: (s: Sample) => number | null | undefined): number | undefined {
    let v: number | undefined;
    for (const s of samples) {
        if (s.t > t) break;
        const x = value(s);
        if (x !== null && x !== undefined) v = x;
    }
    return v;
}

function rmse(a: readonly Sample[], b: readonly Sample[], value: (s: Sample) => number | null | undefined, scale: number, end: number): number {
    let sum = 0;
    let n = 0;
    for (let t = 0; t <= end; t += 1) {
        const x = valueAt(a, t, value);
        const y = valueAt(b, t, value);
        if (x === undefined || y === undefined) continue;
        sum += ((x - y) / scale) ** 2;
        n++;
    }
    return n ? Math.sqrt(sum / n) : 0;
}

export function compareTimelines(sim: Timeline, emu: Timeline, tol: Tolerance = { markSeconds: 10, seriesFraction: 0.1 }): Comparison {
    if (sim.workload.kind !== emu.workload.kind) throw new Error(`cannot compare a ${sim.workload.kind} with a ${emu.workload.kind} workload`);
    const a = keyMoments(sim);
    const b = keyMoments(emu);
    const marks: Comparison["marks"] = {};
    const disagreements: string[] = [];
    // peakNodes needs nodes; the emulation has none.
    for (const k of ["firstJob", "allJobsCreated", "drained"] as const) {
        if (a[k] === undefined || b[k] === undefined) continue;
        const diff = b[k]! - a[k]!;
        marks[k] = { simulate: a[k]!, emulation: b[k]!, diff };
        if (Math.abs(diff) > tol.markSeconds) disagreements.push(`${k}: emulation ${b[k]} s, simulate ${a[k]} s (${diff > 0 ? "+" : ""}${diff.toFixed(1)} s)`);
    }
    const end = Math.min(sim.samples.at(-1)!.t, emu.samples.at(-1)!.t);
    const burst = Math.max(1, emu.messages ?? sim.messages ?? Math.max(...emu.samples.map((s) => s.queueDepth ?? 0)));
    const peak = Math.max(1, ...[...sim.samples, ...emu.samples].map((s) => s.running ?? 0));
    const queueRmse = rmse(sim.samples, emu.samples, (s) => s.queueDepth, burst, end);
    const runningRmse = rmse(sim.samples, emu.samples, (s) => s.running, peak, end);
    if (queueRmse > tol.seriesFraction) disagreements.push(`queue depth differs by ${(queueRmse * 100).toFixed(1)} % of the burst (RMS)`);
    if (runningRmse > tol.seriesFraction) disagreements.push(`Jobs/replicas differ by ${(runningRmse * 100).toFixed(1)} % of the peak (RMS)`);
    return { marks, queueRmse, runningRmse, disagreements };
}
