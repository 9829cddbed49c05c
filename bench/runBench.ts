/** Runs every measurement against one Azurite, writes results JSON and (optionally) the README table. */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { startAzurite } from "../consumer/test/support/azurite";
import { runProgram } from "../test/harness/runProgram";
import { stackNames } from "../test/harness/stackConfig";
import { startLatencyProxy, viaProxy } from "./latencyProxy";
import { coldStart, memory, producer, throughput, type BenchSizes, type Env } from "./measure";
import { bundleRawLoops, bundleSingle } from "./spawn";
import { round, summarize, type Summary } from "./stats";

export interface PlanTime {
    stack: string;
    ms: Summary;
    resources: number;
}

export async function planTimes(n: number): Promise<PlanTime[]> {
    const out: PlanTime[] = [];
    for (const stack of stackNames()) {
        let resources = 0;
        const values: number[] = [];
        for (let i = 0; i < n; i++) {
            const t0 = performance.now();
            const run = await runProgram(stack);
            resources = run.resources.length;
            values.push(performance.now() - t0);
        }
        out.push({ stack, ms: summarize(values, 0), resources });
    }
    return out;
}

/** Round trip the producer comparison is also run at: a client outside the region (the seeds' laptops). */
export const REMOTE_RTT_MS = 20;

const load = () => loadavg().map((l) => round(l, 2));

/**
 * One fresh Azurite per phase: Azurite keeps every queue and blob of a run in one in-memory database and slows as it
 * grows (a first full run crawled at 3 msg/s in its last phase, Azurite at 72 % CPU, the worker at 1.5 %).
 */
async function withAzurite<T>(phase: (e: Env, queuePort: number) => Promise<T>, bundles: { raw: string; single: string }): Promise<T> {
    const azurite = await startAzurite();
    try {
        return await phase({ cs: azurite.connectionString, ...bundles }, Number(/QueueEndpoint=http:\/\/127\.0\.0\.1:(\d+)\//.exec(azurite.connectionString)![1]));
    } finally {
        await azurite.stop();
    }
}

export async function runBench(sizes: BenchSizes) {
    const loadAtStart = load();
    const [raw, single] = await Promise.all([bundleRawLoops(), bundleSingle()]);
    const bundles = { raw: raw.path, single: single.path };
    try {
        const results = {
            machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", node: process.version, date: new Date().toISOString(), loadAverage: { start: loadAtStart, end: [] as number[] } },
            sizes,
            coldStart: await withAzurite((e) => coldStart(e, sizes), bundles),
            throughput: await withAzurite((e) => throughput(e, sizes), bundles),
            producer: await withAzurite((e) => producer(e, sizes, 0), bundles),
            producerRemote: await withAzurite(async (e, port) => {
                const proxy = await startLatencyProxy(port, REMOTE_RTT_MS);
                try {
                    return await producer(e, sizes, REMOTE_RTT_MS, viaProxy(e.cs, proxy.port));
                } finally {
                    await proxy.close();
                }
            }, bundles),
            memory: await withAzurite((e) => memory(e, sizes), bundles),
            planTime: await planTimes(Math.max(1, Math.min(3, sizes.trials))),
        };
        results.machine.loadAverage.end = load();
        return results;
    } finally {
        raw.dispose();
        single.dispose();
    }
}

export type BenchResults = Awaited<ReturnType<typeof runBench>>;

/** Issue 15's targets. */
export const TARGETS = { coldStartRatio: 2, jobPeakMiB: 55, drainPeakMiB: 100, workerCpuRatio: 1.1, producerCpuRatio: 1.1 };

const fmt = (s: Summary, unit = "") => `${s.median}${unit} (${s.min}–${s.max})`;
const verdict = (ok: boolean, miss: string) => (ok ? "met" : `**missed**: ${miss}`);

/** The README table: each figure beside its baseline from the same, interleaved runs, and its target. */
export function markdownTable(r: BenchResults): string {
    const c = r.coldStart;
    const t = r.throughput.variants;
    const m = r.memory;
    const prod = (p: typeof r.producer, label: string) =>
        `| producer \`send\` ${label}, 32 lanes: msg/s; CPU ms/msg | ${fmt(p.variants.send.msgPerSec)}; ${p.variants.send.cpuMsPerMsg.median} | raw parallel loop (32 lanes) ${fmt(p.variants.rawParallel.msgPerSec)}; ${p.variants.rawParallel.cpuMsPerMsg.median} — naive loop ${fmt(p.variants.naive.msgPerSec)} | ${p.ratioVsNaive.median}× naive, ${p.ratioVsRawParallel.median} of raw parallel; CPU/msg ${fmt(p.cpuPerMsgRatioVsRawParallel)}× | CPU/msg ≤ ${TARGETS.producerCpuRatio}× raw parallel: ${verdict(p.cpuPerMsgRatioVsRawParallel.median <= TARGETS.producerCpuRatio, `${p.cpuPerMsgRatioVsRawParallel.median}×`)} |`;
    const rows = [
        `| cold start, \`work --once\` (results handler) spawn → exit, code cache | ${fmt(c.job.cached.ms, " ms")} | bare \`node -e ""\` ${fmt(c.bareNode.ms, " ms")} | ${fmt(c.ratio.cached)}× | ≤ ${TARGETS.coldStartRatio}×: ${verdict(c.ratio.cached.median <= TARGETS.coldStartRatio, `${c.ratio.cached.median}×`)} |`,
        `| … same build, code cache off | ${fmt(c.job.noCache.ms, " ms")} | | ${fmt(c.ratio.noCache)}× | |`,
        `| … single bundle (before: no split, no cache) | ${fmt(c.job.singleBundle.ms, " ms")} | | ${fmt(c.ratio.singleBundle)}× | |`,
        `| JavaScript loaded by that Job: split / single bundle | ${c.job.cached.loadedKiB} KiB / ${c.job.singleBundle.loadedKiB} KiB | | | |`,
        `| Job peak RSS (VmHWM), \`work --once\`, results handler | ${fmt(c.job.cached.peakRssMiB, " MiB")} (single bundle ${c.job.singleBundle.peakRssMiB.median}) | bare node ${fmt(c.bareNode.peakRssMiB, " MiB")} | | ≤ ${TARGETS.jobPeakMiB} MiB: ${verdict(c.job.cached.peakRssMiB.median <= TARGETS.jobPeakMiB, `${round(c.job.cached.peakRssMiB.median - TARGETS.jobPeakMiB, 1)} MiB over`)} |`,
        `| drain, worker in-flight 32 (noop handler): msg/s; CPU ms/msg | ${fmt(t.worker32.msgPerSec)}; ${fmt(t.worker32.cpuMsPerMsg)} | raw loop in-flight 32: ${fmt(t.raw32.msgPerSec)}; ${fmt(t.raw32.cpuMsPerMsg)} — raw ceiling ${fmt(t.rawCeiling.msgPerSec)}; ${t.rawCeiling.cpuMsPerMsg.median} | CPU/msg ${fmt(r.throughput.cpuPerMsgRatio32)}×; rate ${r.throughput.rateRatio32.median} of raw, ${r.throughput.rateVsCeiling32.median} of ceiling | CPU/msg ≤ ${TARGETS.workerCpuRatio}× raw: ${verdict(r.throughput.cpuPerMsgRatio32.median <= TARGETS.workerCpuRatio, `${r.throughput.cpuPerMsgRatio32.median}×`)} |`,
        `| drain, worker in-flight 1 / 8: msg/s; CPU ms/msg | ${t.worker1.msgPerSec.median} / ${t.worker8.msgPerSec.median}; ${t.worker1.cpuMsPerMsg.median} / ${t.worker8.cpuMsPerMsg.median} | | | |`,
        prod(r.producer, "loopback"),
        prod(r.producerRemote, `${r.producerRemote.rttMs} ms RTT`),
        ...m.drain.map((d) => `| drain peak RSS, in-flight 32, ${d.handler} handler, backlog ${d.backlog.toLocaleString("en")} | ${fmt(d.peakRssMiB, " MiB")}; CPU ${d.cpuMsPerMsg.median} ms/msg | | | ≤ ${TARGETS.drainPeakMiB} MiB: ${verdict(d.peakRssMiB.max <= TARGETS.drainPeakMiB, `${round(d.peakRssMiB.max - TARGETS.drainPeakMiB, 1)} MiB over`)} |`),
        `| drain peak RSS, in-flight 32, results handler, backlog ${m.drainResults.backlog.toLocaleString("en")} | ${fmt(m.drainResults.peakRssMiB, " MiB")}; CPU ${m.drainResults.cpuMsPerMsg.median} ms/msg | | | ≤ ${TARGETS.drainPeakMiB} MiB: ${verdict(m.drainResults.peakRssMiB.max <= TARGETS.drainPeakMiB, `${round(m.drainResults.peakRssMiB.max - TARGETS.drainPeakMiB, 1)} MiB over`)} |`,
        `| … same drain (backlog ${m.drainPodHeap.backlog.toLocaleString("en")}) under a 256Mi pod's heap (\`${m.drainPodHeap.heapFlags.join(" ")}\`) | ${fmt(m.drainPodHeap.peakRssMiB, " MiB")}; CPU ${m.drainPodHeap.cpuMsPerMsg.median} ms/msg | | | ≤ ${TARGETS.drainPeakMiB} MiB: ${verdict(m.drainPodHeap.peakRssMiB.max <= TARGETS.drainPeakMiB, `${round(m.drainPodHeap.peakRssMiB.max - TARGETS.drainPeakMiB, 1)} MiB over`)} |`,
        `| idle worker RSS over ${m.idle.seconds} s: first / last / max sample | ${m.idle.firstMiB} / ${m.idle.lastMiB} / ${m.idle.maxMiB} MiB | | | flat: ${verdict(m.idle.lastMiB - m.idle.firstMiB <= 2, `grew ${round(m.idle.lastMiB - m.idle.firstMiB, 1)} MiB`)} |`,
        ...r.planTime.map((p) => `| plan time, stack \`${p.stack}\` under mocks | ${fmt(p.ms, " ms")} | | ${p.resources} resources | |`),
    ];
    return [
        `Measured ${r.machine.date.slice(0, 10)} on ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}, one local Azurite, load average ${r.machine.loadAverage.start[0]} at start and ${r.machine.loadAverage.end[0]} at the end (a shared machine). Median (min–max); ${r.coldStart.trials} cold-start trials, ${r.sizes.trials} drain/producer trials of ${r.sizes.drainMessages.toLocaleString("en")} messages, variants interleaved run by run, ratios taken trial by trial. MiB = 2²⁰ bytes.`,
        "",
        "| what | kedascale | baseline, same interleaved runs | ratio | target |",
        "|---|---|---|---|---|",
        ...rows,
    ].join("\n");
}

export function writeReadmeTable(readmePath: string, table: string): void {
    const readme = readFileSync(readmePath, "utf8");
    const start = "<!-- bench:start -->";
    const end = "<!-- bench:end -->";
    const from = readme.indexOf(start);
    const to = readme.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README has no ${start} … ${end} section`);
    writeFileSync(readmePath, readme.slice(0, from + start.length) + "\n" + table + "\n" + readme.slice(to));
}
