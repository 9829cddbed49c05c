/**
 * Memory of the worker (issue 15 point 4): idle over time, and the peak over whole drains at two backlogs.
 *
 * Peaks are VmHWM (bench/probe.cjs), over the whole life of the process. Each drain runs twice: on this machine's
 * default heap, and under the heap Node gives the dev stack's pod (POD_HEAP).
 * Backlogs are served by bench/queueStandIn.ts (Azurite's cost per call grows with the queue's depth: see there);
 * the first backlog is also drained from Azurite, with the noop and the results handler, to show the stand-in
 * measures the worker the same way.
 */
import { performance } from "node:perf_hooks";
import { startAzurite } from "../consumer/test/support/azurite";
import { BUNDLE } from "../consumer/test/support/processes";
import { fill, freshQueue, standInDrain, workerDrainArgs, type BenchSizes, type Env } from "./measure";
import { ok, rssMiB, runProbed, type Sample } from "./spawn";
import { interleaved, round, summarize, type Summary } from "./stats";

/**
 * The V8 heap Node gives the dev stack's worker pod (memory limit 192Mi, Pulumi.dev.yaml). Node sizes the heap from
 * the cgroup's memory limit (uv_get_constrained_memory, nodejs/node#27508), to about the limit itself: 262 MiB of
 * heap_size_limit in a 256 MiB container, Node 20–26, as reported in nodejs/node#64646 (not checkable here). This machine has no cgroup limit to show,
 * so `--max-heap-size` sets the same limit, from which V8 derives the same young/old split (a small young generation
 * is what keeps the peak down; with the host's memory V8 lets the young generation grow to 16 MiB semi-spaces).
 */
export const POD_HEAP = ["--max-heap-size=192"];

export interface DrainMemory {
    backlog: number;
    handler: "noop" | "results";
    service: "stand-in" | "Azurite";
    heap: "default" | "pod";
    peakRssMiB: Summary;
    cpuMsPerMsg: Summary;
}

export interface Memory {
    /** A continuous worker on an empty queue: RSS sampled once a second. */
    idle: { seconds: number; firstMiB: number; lastMiB: number; maxMiB: number; peakRssMiB: number };
    /** `work --drain --inflight 32`, peak RSS per backlog, service, handler and heap. */
    drains: DrainMemory[];
}

/** In-flight 32, ending at the first empty receive, with `handler`. */
const drainArgs = (handler: "noop" | "results") => workerDrainArgs(32, { waitMs: 0, handler });

/** One drain of `backlog` messages from a fresh Azurite of its own (a shared one slows as earlier drains' blobs pile up). */
async function azuriteDrain(backlog: number, handler: "noop" | "results", nodeArgs: string[]): Promise<Sample> {
    const azurite = await startAzurite();
    try {
        const q = await freshQueue(azurite.connectionString);
        await fill(q.client, backlog);
        const s = ok(await runProbed(BUNDLE, drainArgs(handler), { env: q.env, nodeArgs }), `drain ${backlog} (Azurite, ${handler})`);
        const left = (await q.client.getProperties()).approximateMessagesCount;
        if (left !== 0) throw new Error(`drain of ${backlog} (Azurite, ${handler}) left ${left} messages; the worker's summary: ${s.stdout.trim()}`);
        return s;
    } finally {
        await azurite.stop();
    }
}

export async function memory(e: Env, sizes: BenchSizes): Promise<Memory> {
    // Idle: the cost a Deployment pays between bursts, and whether it creeps.
    const q = await freshQueue(e.cs);
    const samples: number[] = [];
    let pid = 0;
    const idleRun = runProbed(BUNDLE, ["work", "--handler", "results", "--wait-ms", "1000", "--quiet"], { env: q.env, onSpawn: (p) => (pid = p) });
    await new Promise((r) => setTimeout(r, 2000));
    const until = performance.now() + sizes.idleSeconds * 1000;
    while (performance.now() < until) {
        const v = rssMiB(pid);
        if (v !== undefined) samples.push(v);
        await new Promise((r) => setTimeout(r, 1000));
    }
    process.kill(pid, "SIGTERM");
    const idle = ok(await idleRun, "idle worker");

    const plan: (Omit<DrainMemory, "peakRssMiB" | "cpuMsPerMsg"> & { run: () => Promise<Sample> })[] = [];
    for (const backlog of sizes.memoryBacklogs) {
        for (const heap of ["default", "pod"] as const) {
            const nodeArgs = heap === "pod" ? POD_HEAP : [];
            plan.push({ backlog, handler: "noop", service: "stand-in", heap, run: () => standInDrain(backlog, BUNDLE, drainArgs("noop"), nodeArgs) });
        }
    }
    const first = sizes.memoryBacklogs[0];
    plan.push({ backlog: first, handler: "noop", service: "Azurite", heap: "default", run: () => azuriteDrain(first, "noop", []) });
    for (const heap of ["default", "pod"] as const) {
        plan.push({ backlog: first, handler: "results", service: "Azurite", heap, run: () => azuriteDrain(first, "results", heap === "pod" ? POD_HEAP : []) });
    }
    const r = await interleaved(sizes.memoryTrials, Object.fromEntries(plan.map((p, i) => [String(i), p.run])));
    return {
        idle: { seconds: sizes.idleSeconds, firstMiB: round(samples[0] ?? NaN, 1), lastMiB: round(samples.at(-1) ?? NaN, 1), maxMiB: round(Math.max(...samples), 1), peakRssMiB: round(idle.peakRssMiB, 1) },
        drains: plan.map(({ run: _run, ...p }, i) => ({
            ...p,
            peakRssMiB: summarize(r[String(i)].map((s) => s.peakRssMiB), 1),
            cpuMsPerMsg: summarize(r[String(i)].map((s) => s.cpuMs / p.backlog), 3),
        })),
    };
}
