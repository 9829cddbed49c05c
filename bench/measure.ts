/**
 * The measurements behind `npm run bench`. Every figure comes from processes spawned the same way (bench/spawn.ts) and
 * measuring themselves (bench/probe.cjs); every comparison is interleaved run by run against its baseline on the same
 * Azurite (stats.ts), so ratios hold on a shared, noisy machine. Sizes come from the caller: the full bench, or the
 * test suite's smoke run.
 */
import { ContainerClient } from "@azure/storage-blob";
import { QueueClient } from "@azure/storage-queue";
import { buildMessage } from "../consumer/src/send";
import { BUNDLE } from "../consumer/test/support/processes";
import { startQueueStandIn } from "./queueStandIn";
import { ok, runProbed, type Sample } from "./spawn";
import { interleaved, ratioOf, round, summarize, type Summary } from "./stats";

export interface BenchSizes {
    /** Cold-start trials (each runs bare node and the three worker builds). */
    coldStartTrials: number;
    /** Drain and producer trials (each runs every variant once). */
    trials: number;
    drainMessages: number;
    producerMessages: number;
    naiveMessages: number;
    /** Messages and trials of the steady-state drain on the queue stand-in (start-up amortised: CPU per message). */
    standInMessages: number;
    standInTrials: number;
    /** Backlogs the in-flight-32 drain's peak memory is measured at (bench/memory.ts), and trials per backlog. */
    memoryBacklogs: number[];
    memoryTrials: number;
    /** How long an idle worker's memory is watched. */
    idleSeconds: number;
    /** Build the last commit's worker (bench/baseline.ts) for the runtime phase's before/after Job cold start. */
    jobBaseline: boolean;
}

export const FULL: BenchSizes = { coldStartTrials: 8, trials: 3, drainMessages: 1000, standInMessages: 10_000, standInTrials: 5, producerMessages: 1000, naiveMessages: 200, memoryBacklogs: [2000, 10_000], memoryTrials: 2, idleSeconds: 20, jobBaseline: true };
export const SMOKE: BenchSizes = { coldStartTrials: 1, trials: 1, drainMessages: 40, standInMessages: 200, standInTrials: 1, producerMessages: 40, naiveMessages: 10, memoryBacklogs: [40, 80], memoryTrials: 1, idleSeconds: 3, jobBaseline: false };

export interface Env {
    cs: string;
    /** bench/raw.ts bundled (spawn.ts). */
    raw: string;
    /** The worker built as one bundle, as before issue 15. */
    single: string;
}

let queueCounter = 0;
/** A fresh queue (+ poison queue, + results container of the same name) and the env a worker process needs for it. */
export async function freshQueue(cs: string, queueCs = cs): Promise<{ env: Record<string, string>; client: QueueClient }> {
    const name = `bench-${process.pid}-${queueCounter++}`;
    await Promise.all([new QueueClient(cs, name).create(), new QueueClient(cs, `${name}-poison`).create(), new ContainerClient(cs, name).create()]);
    return { env: { KEDASCALE_BROKER: "storageQueue", KEDASCALE_QUEUE: name, KEDASCALE_CONNECTION_STRING: queueCs, KEDASCALE_RESULTS_CONNECTION_STRING: cs, KEDASCALE_RESULTS_CONTAINER: name }, client: new QueueClient(cs, name) };
}

export async function fill(client: QueueClient, count: number): Promise<void> {
    let next = 0;
    await Promise.all(
        Array.from({ length: 32 }, async () => {
            while (next < count) await client.sendMessage(buildMessage("bench", next++, 256).body);
        }),
    );
}

const perMessage = (s: Sample, n: number) => ({ msgPerSec: n / (s.ms / 1000), cpuMsPerMsg: s.cpuMs / n });
const fig = (values: number[], digits = 2) => summarize(values, digits);

/** The worker's drain, receiving batches of 32; the noop handler does the raw loop's work (receive, parse, delete). */
export const workerDrainArgs = (inflight: number, o: { waitMs?: number; handler?: "noop" | "results" | "http" | "exec"; extra?: string[] } = {}) =>
    ["work", "--drain", "--handler", o.handler ?? "noop", "--inflight", String(inflight), "--batch", "32", "--wait-ms", String(o.waitMs ?? 1000), "--quiet", ...(o.extra ?? [])];

/** One run of `script args` draining `n` messages from a fresh queue stand-in; fails unless every message was taken. */
export async function standInDrain(n: number, script: string, args: string[], nodeArgs: string[] = []): Promise<Sample> {
    const queue = "backlog";
    const standIn = await startQueueStandIn(queue, Array.from({ length: n }, (_, i) => buildMessage("bench", i, 256).body));
    try {
        const s = ok(await runProbed(script, args, { env: { KEDASCALE_BROKER: "storageQueue", KEDASCALE_QUEUE: queue, KEDASCALE_CONNECTION_STRING: standIn.connectionString }, nodeArgs }), `${script} ${args.join(" ")}`);
        if (standIn.depth() !== 0) throw new Error(`${args.join(" ")} left ${standIn.depth()} of ${n} messages`);
        return s;
    } finally {
        await standIn.close();
    }
}

const drainFigure = (xs: Sample[], n: number): DrainFigure => ({
    msgPerSec: fig(xs.map((x) => perMessage(x, n).msgPerSec), 1),
    cpuMsPerMsg: fig(xs.map((x) => perMessage(x, n).cpuMsPerMsg), 3),
    peakRssMiB: fig(xs.map((x) => x.peakRssMiB), 1),
});

// ---------------------------------------------------------------------------------------------------------------- cold start

export interface ColdStart {
    trials: number;
    /** spawn → exit, ms; peak RSS (VmHWM), MiB; bytes of JavaScript loaded. */
    bareNode: { ms: Summary; peakRssMiB: Summary };
    job: Record<"cached" | "noCache" | "singleBundle", { ms: Summary; peakRssMiB: Summary; cpuMs: Summary; loadedKiB: number }>;
    /** Per-trial ratios to bare node. */
    ratio: Record<"cached" | "noCache" | "singleBundle", Summary>;
}

/**
 * `work --once` with the results handler (what a ScaledJob pod runs), spawn → exit with its one message done, against
 * bare `node -e ""` spawned and timed the same way. Three builds of the worker: today's (split per broker, code cache),
 * the same without its cache (KEDASCALE_CODE_CACHE=off), and the single bundle of before.
 */
export async function coldStart(e: Env, sizes: BenchSizes): Promise<ColdStart> {
    const q = await freshQueue(e.cs);
    await fill(q.client, sizes.coldStartTrials * 3);
    const job = (script: string, env: Record<string, string> = {}) => async () => {
        const s = ok(await runProbed(script, ["work", "--once", "--handler", "results", "--wait-ms", "5000", "--quiet"], { env: { ...q.env, ...env } }), "work --once");
        if (!/"completed":1/.test(s.stdout)) throw new Error(`work --once did not complete a message: ${s.stdout}`);
        return s;
    };
    const r = await interleaved(sizes.coldStartTrials, {
        bareNode: async () => ok(await runProbed("", []), "bare node"),
        cached: job(BUNDLE),
        noCache: job(BUNDLE, { KEDASCALE_CODE_CACHE: "off" }),
        singleBundle: job(e.single),
    });
    const describe = (xs: Sample[]) => ({ ms: fig(xs.map((x) => x.ms), 1), peakRssMiB: fig(xs.map((x) => x.peakRssMiB), 1), cpuMs: fig(xs.map((x) => x.cpuMs), 1), loadedKiB: round(xs[0].loadedBytes / 1024, 0) });
    return {
        trials: sizes.coldStartTrials,
        bareNode: { ms: fig(r.bareNode.map((x) => x.ms), 1), peakRssMiB: fig(r.bareNode.map((x) => x.peakRssMiB), 1) },
        job: { cached: describe(r.cached), noCache: describe(r.noCache), singleBundle: describe(r.singleBundle) },
        ratio: { cached: ratioOf(r.cached, r.bareNode, (x) => x.ms), noCache: ratioOf(r.noCache, r.bareNode, (x) => x.ms), singleBundle: ratioOf(r.singleBundle, r.bareNode, (x) => x.ms) },
    };
}

// ---------------------------------------------------------------------------------------------------------------- drain

export interface DrainFigure {
    msgPerSec: Summary;
    cpuMsPerMsg: Summary;
    peakRssMiB: Summary;
}

export interface Throughput {
    messages: number;
    variants: Record<"worker1" | "worker8" | "worker32" | "raw32" | "rawCeiling", DrainFigure>;
    /** worker in-flight 32 ÷ raw loop at in-flight 32, trial by trial. */
    cpuPerMsgRatio32: Summary;
    rateRatio32: Summary;
    rateVsCeiling32: Summary;
}

/**
 * Drains of the same backlog (fresh queue each run, filled untimed), spawn → exit: the worker (noop handler, so the
 * work is the same as the raw loop's: receive, parse, delete) at in-flight 1, 8, 32; the raw loop at in-flight 32;
 * the raw ceiling. msg/s includes each process's start-up (both sides have one); CPU per message is user+sys ÷ messages.
 */
export async function throughput(e: Env, sizes: BenchSizes): Promise<Throughput> {
    const n = sizes.drainMessages;
    const drain = (script: string, args: string[]) => async () => {
        const q = await freshQueue(e.cs);
        await fill(q.client, n);
        const s = ok(await runProbed(script, args, { env: q.env }), `${script} ${args.join(" ")}`);
        const left = (await q.client.getProperties()).approximateMessagesCount;
        if (left !== 0) throw new Error(`${args.join(" ")} left ${left} of ${n} messages`);
        return s;
    };
    const worker = (inflight: number) => drain(BUNDLE, workerDrainArgs(inflight));
    const r = await interleaved(sizes.trials, {
        worker1: worker(1),
        worker8: worker(8),
        worker32: worker(32),
        raw32: drain(e.raw, ["drain", "32"]),
        rawCeiling: drain(e.raw, ["ceiling"]),
    });
    return {
        messages: n,
        variants: { worker1: drainFigure(r.worker1, n), worker8: drainFigure(r.worker8, n), worker32: drainFigure(r.worker32, n), raw32: drainFigure(r.raw32, n), rawCeiling: drainFigure(r.rawCeiling, n) },
        cpuPerMsgRatio32: ratioOf(r.worker32, r.raw32, (x) => x.cpuMs),
        rateRatio32: ratioOf(r.raw32, r.worker32, (x) => x.ms),
        rateVsCeiling32: ratioOf(r.rawCeiling, r.worker32, (x) => x.ms),
    };
}

export interface SteadyState {
    messages: number;
    variants: Record<"worker32" | "raw32" | "rawDeadlines32" | "rawCeiling", DrainFigure>;
    /** worker in-flight 32 ÷ raw loop at in-flight 32, CPU per message, trial by trial (issue 15's target). */
    cpuPerMsgRatio32: Summary;
    /** The raw loop with a 30 s abort signal on every call (what issue 10's deadlines cost by themselves) ÷ the raw loop. */
    deadlinesCpuRatio32: Summary;
    rateRatio32: Summary;
}

/**
 * The same drains at 10,000 messages from the queue stand-in (bench/queueStandIn.ts), which answers in O(1) where
 * Azurite slows with depth: the client, not the service, is what limits msg/s here, and each process's start-up is
 * amortised over ten times the messages, so CPU per message is the steady-state cost of a message.
 */
export async function steadyState(sizes: BenchSizes, raw: string): Promise<SteadyState> {
    const n = sizes.standInMessages;
    const r = await interleaved(sizes.standInTrials, {
        worker32: () => standInDrain(n, BUNDLE, workerDrainArgs(32)),
        raw32: () => standInDrain(n, raw, ["drain", "32"]),
        rawDeadlines32: () => standInDrain(n, raw, ["drain-deadlines", "32"]),
        rawCeiling: () => standInDrain(n, raw, ["ceiling"]),
    });
    return {
        messages: n,
        variants: { worker32: drainFigure(r.worker32, n), raw32: drainFigure(r.raw32, n), rawDeadlines32: drainFigure(r.rawDeadlines32, n), rawCeiling: drainFigure(r.rawCeiling, n) },
        cpuPerMsgRatio32: ratioOf(r.worker32, r.raw32, (x) => x.cpuMs),
        deadlinesCpuRatio32: ratioOf(r.rawDeadlines32, r.raw32, (x) => x.cpuMs),
        rateRatio32: ratioOf(r.raw32, r.worker32, (x) => x.ms),
    };
}

// ---------------------------------------------------------------------------------------------------------------- producer

export interface Producer {
    rttMs: number;
    variants: Record<"send" | "rawParallel" | "naive", { msgPerSec: Summary; cpuMsPerMsg: Summary }>;
    ratioVsNaive: Summary;
    ratioVsRawParallel: Summary;
    cpuPerMsgRatioVsRawParallel: Summary;
}

/**
 * `send` (32 lanes, no manifest) against the raw parallel loop (32 lanes: same concurrency, same bodies) and the naive
 * sequential loop, through `queueCs` (loopback, or the latency proxy), interleaved.
 */
export async function producer(e: Env, sizes: BenchSizes, rttMs: number, queueCs: string = e.cs): Promise<Producer> {
    const run = (script: string, args: string[], n: number) => async () => {
        const q = await freshQueue(e.cs, queueCs);
        const s = ok(await runProbed(script, args, { env: q.env }), `${script} ${args.join(" ")}`);
        const got = (await q.client.getProperties()).approximateMessagesCount;
        if (got !== n) throw new Error(`${args.join(" ")} enqueued ${got} of ${n}`);
        return { s, n };
    };
    const n = sizes.producerMessages;
    const r = await interleaved(sizes.trials, {
        send: run(BUNDLE, ["send", "--count", String(n), "--concurrency", "32", "--size", "256", "--no-manifest"], n),
        rawParallel: run(e.raw, ["send", "32", String(n)], n),
        naive: run(e.raw, ["send", "1", String(sizes.naiveMessages)], sizes.naiveMessages),
    });
    const describe = (xs: { s: Sample; n: number }[]) => ({ msgPerSec: fig(xs.map((x) => perMessage(x.s, x.n).msgPerSec), 1), cpuMsPerMsg: fig(xs.map((x) => perMessage(x.s, x.n).cpuMsPerMsg), 3) });
    const rate = (x: { s: Sample; n: number }) => x.n / x.s.ms;
    return {
        rttMs,
        variants: { send: describe(r.send), rawParallel: describe(r.rawParallel), naive: describe(r.naive) },
        ratioVsNaive: ratioOf(r.send, r.naive, rate),
        ratioVsRawParallel: ratioOf(r.send, r.rawParallel, rate),
        cpuPerMsgRatioVsRawParallel: ratioOf(r.send, r.rawParallel, (x) => x.s.cpuMs / x.n),
    };
}
