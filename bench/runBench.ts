/** Runs every measurement against one Azurite, writes results JSON and (optionally) the bench table in docs/benchmarks.md. */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { startAzurite } from "../consumer/test/support/azurite";
import { runProgram } from "../test/harness/runProgram";
import { stackNames } from "../test/harness/stackConfig";
import { startLatencyProxy, viaProxy } from "./latencyProxy";
import { coldStart, producer, steadyState, throughput, type BenchSizes, type Env } from "./measure";
import { buildBaseline } from "./baseline";
import { memory, type DrainMemory } from "./memory";
import { runtimeCost, type RuntimeCost } from "./runtime";
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
            // Timed: a fresh run every time, never one the test run already recorded (test/harness/planCache.ts).
            const run = await runProgram(stack, {}, { reuse: false });
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
 * One fresh Azurite per phase: Azurite keeps every queue and blob of a run in one database and slows as it grows (a
 * first full run crawled at 3 msg/s in its last phase, Azurite at 72 % CPU, the worker at 1.5 %). On disk, not
 * `--inMemoryPersistence`: in memory, Azurite 3.35 stopped answering for 30 s at a time, about once per 10,000 messages
 * (the worker cut those calls at their deadline and redelivered, as it should), with this build and the previous alike.
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
            steadyState: await steadyState(sizes, raw.path),
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
            runtime: await runtimePhase(sizes, bundles),
            planTime: await planTimes(Math.max(1, Math.min(3, sizes.trials))),
        };
        results.machine.loadAverage.end = load();
        return results;
    } finally {
        raw.dispose();
        single.dispose();
    }
}

/**
 * The runtime handlers' cost (bench/runtime.ts), with a committed worker as the Job's "before" when asked: the last
 * commit, or KEDASCALE_BENCH_BASELINE_REV (e.g. the commit before a change has landed, once it has).
 */
export async function runtimePhase(sizes: BenchSizes, bundles: { raw: string; single: string }): Promise<RuntimeCost> {
    const baseline = sizes.jobBaseline ? buildBaseline(process.env.KEDASCALE_BENCH_BASELINE_REV || "HEAD") : undefined;
    try {
        const cost = await withAzurite((e) => runtimeCost({ ...e, baseline: baseline?.bundle }, sizes), bundles);
        if (cost.jobColdStart && baseline) cost.jobColdStart.baselineRev = baseline.rev;
        return cost;
    } finally {
        baseline?.dispose();
    }
}

export type BenchResults = Awaited<ReturnType<typeof runBench>>;

/** Issue 15's targets. */
export const TARGETS = { coldStartRatio: 2, jobPeakMiB: 55, drainPeakMiB: 100, workerCpuRatio: 1.1, producerCpuRatio: 1.1, backlogGrowthMiB: 5, runtimeExtraCpuMs: 0.15, runtimeThroughputRatio: 0.9 };

const fmt = (s: Summary, unit = "") => `${s.median}${unit} (${s.min}–${s.max})`;
const verdict = (ok: boolean, miss: string) => (ok ? "met" : `**missed**: ${miss}`);

/** Peak growth from the first backlog to the last, same service/handler/heap: does drain memory depend on the backlog? */
function backlogGrowth(drains: DrainMemory[], heap: DrainMemory["heap"]): { from: DrainMemory; to: DrainMemory } | undefined {
    const same = drains.filter((d) => d.service === "stand-in" && d.handler === "noop" && d.heap === heap).sort((a, b) => a.backlog - b.backlog);
    return same.length >= 2 ? { from: same[0], to: same.at(-1)! } : undefined;
}

/** The bench table (docs/benchmarks.md): each figure beside its baseline from the same, interleaved runs, and its target. */
export function markdownTable(r: BenchResults): string {
    const c = r.coldStart;
    const t = r.throughput.variants;
    const ss = r.steadyState;
    const m = r.memory;
    const n = (x: number) => x.toLocaleString("en");
    const prod = (p: typeof r.producer, label: string) =>
        `| producer \`send\` ${label}, 32 lanes: msg/s; CPU ms/msg | ${fmt(p.variants.send.msgPerSec)}; ${p.variants.send.cpuMsPerMsg.median} | raw parallel loop (32 lanes) ${fmt(p.variants.rawParallel.msgPerSec)}; ${p.variants.rawParallel.cpuMsPerMsg.median} — naive loop ${fmt(p.variants.naive.msgPerSec)} | ${p.ratioVsNaive.median}× naive, ${p.ratioVsRawParallel.median} of raw parallel; CPU/msg ${fmt(p.cpuPerMsgRatioVsRawParallel)}× | CPU/msg ≤ ${TARGETS.producerCpuRatio}× raw parallel: ${verdict(p.cpuPerMsgRatioVsRawParallel.median <= TARGETS.producerCpuRatio, `${p.cpuPerMsgRatioVsRawParallel.median}×`)} |`;
    const drainRow = (d: DrainMemory) =>
        `| drain peak RSS, in-flight 32, ${d.handler} handler, backlog ${n(d.backlog)}, ${d.service}, ${d.heap === "pod" ? "the dev pod's heap (192Mi limit)" : "this machine's default heap"} | ${fmt(d.peakRssMiB, " MiB")}; CPU ${d.cpuMsPerMsg.median} ms/msg | | | ≤ ${TARGETS.drainPeakMiB} MiB: ${verdict(d.peakRssMiB.max <= TARGETS.drainPeakMiB, `${round(d.peakRssMiB.max - TARGETS.drainPeakMiB, 1)} MiB over`)} |`;
    const growthRow = (heap: DrainMemory["heap"]) => {
        const g = backlogGrowth(m.drains, heap);
        if (!g) return [];
        const delta = round(g.to.peakRssMiB.median - g.from.peakRssMiB.median, 1);
        return [`| … peak growth from backlog ${n(g.from.backlog)} to ${n(g.to.backlog)}, ${heap} heap | ${delta >= 0 ? "+" : ""}${delta} MiB | | | independent of backlog (within ${TARGETS.backlogGrowthMiB} MiB): ${verdict(Math.abs(delta) <= TARGETS.backlogGrowthMiB, `${delta} MiB`)} |`];
    };
    const rows = [
        `| cold start, \`work --once\` (results handler) spawn → exit, code cache | ${fmt(c.job.cached.ms, " ms")} | bare \`node -e ""\` ${fmt(c.bareNode.ms, " ms")} | ${fmt(c.ratio.cached)}× | ≤ ${TARGETS.coldStartRatio}×: ${verdict(c.ratio.cached.median <= TARGETS.coldStartRatio, `${c.ratio.cached.median}×`)} |`,
        `| … same build, code cache off | ${fmt(c.job.noCache.ms, " ms")} | | ${fmt(c.ratio.noCache)}× | |`,
        `| … single bundle (before: no split, no cache) | ${fmt(c.job.singleBundle.ms, " ms")} | | ${fmt(c.ratio.singleBundle)}× | |`,
        `| JavaScript loaded by that Job: split / single bundle | ${c.job.cached.loadedKiB} KiB / ${c.job.singleBundle.loadedKiB} KiB | | | |`,
        `| Job peak RSS (VmHWM), \`work --once\`, results handler | ${fmt(c.job.cached.peakRssMiB, " MiB")} (single bundle ${c.job.singleBundle.peakRssMiB.median}) | bare node ${fmt(c.bareNode.peakRssMiB, " MiB")} | | ≤ ${TARGETS.jobPeakMiB} MiB: ${verdict(c.job.cached.peakRssMiB.median <= TARGETS.jobPeakMiB, `${round(c.job.cached.peakRssMiB.median - TARGETS.jobPeakMiB, 1)} MiB over`)} |`,
        `| drain of ${n(r.throughput.messages)} from Azurite, worker in-flight 32 (noop handler): msg/s; CPU ms/msg incl. start-up | ${fmt(t.worker32.msgPerSec)}; ${fmt(t.worker32.cpuMsPerMsg)} | raw loop in-flight 32: ${fmt(t.raw32.msgPerSec)}; ${fmt(t.raw32.cpuMsPerMsg)} — raw ceiling ${fmt(t.rawCeiling.msgPerSec)}; ${t.rawCeiling.cpuMsPerMsg.median} | CPU/msg ${fmt(r.throughput.cpuPerMsgRatio32)}×; rate ${r.throughput.rateRatio32.median} of raw, ${r.throughput.rateVsCeiling32.median} of ceiling | (Azurite-bound; start-up included) |`,
        `| … worker in-flight 1 / 8: msg/s; CPU ms/msg | ${t.worker1.msgPerSec.median} / ${t.worker8.msgPerSec.median}; ${t.worker1.cpuMsPerMsg.median} / ${t.worker8.cpuMsPerMsg.median} | | | |`,
        `| steady-state drain of ${n(ss.messages)} from the queue stand-in, in-flight 32 (noop handler): msg/s; CPU ms/msg | ${fmt(ss.variants.worker32.msgPerSec)}; ${fmt(ss.variants.worker32.cpuMsPerMsg)} | raw loop in-flight 32: ${fmt(ss.variants.raw32.msgPerSec)}; ${fmt(ss.variants.raw32.cpuMsPerMsg)} — raw ceiling ${fmt(ss.variants.rawCeiling.msgPerSec)}; ${ss.variants.rawCeiling.cpuMsPerMsg.median} | CPU/msg ${fmt(ss.cpuPerMsgRatio32)}×; rate ${ss.rateRatio32.median} of raw | CPU/msg ≤ ${TARGETS.workerCpuRatio}× raw: ${verdict(ss.cpuPerMsgRatio32.median <= TARGETS.workerCpuRatio, `${ss.cpuPerMsgRatio32.median}×`)} |`,
        `| … the raw loop with a 30 s abort signal on every call (the worker's deadlines alone) | ${fmt(ss.variants.rawDeadlines32.cpuMsPerMsg)} ms/msg | raw loop ${ss.variants.raw32.cpuMsPerMsg.median} | CPU/msg ${fmt(ss.deadlinesCpuRatio32)}× | |`,
        prod(r.producer, "loopback"),
        prod(r.producerRemote, `${r.producerRemote.rttMs} ms RTT`),
        ...m.drains.map(drainRow),
        ...growthRow("default"),
        ...growthRow("pod"),
        `| idle worker RSS over ${m.idle.seconds} s: first / last / max sample | ${m.idle.firstMiB} / ${m.idle.lastMiB} / ${m.idle.maxMiB} MiB | | | flat: ${verdict(m.idle.lastMiB - m.idle.firstMiB <= 2, `grew ${round(m.idle.lastMiB - m.idle.firstMiB, 1)} MiB`)} |`,
        ...runtimeRows(r.runtime),
        ...r.planTime.map((p) => `| plan time, stack \`${p.stack}\` under mocks | ${fmt(p.ms, " ms")} | | ${p.resources} resources | |`),
    ];
    return [
        `Measured ${r.machine.date.slice(0, 10)} on ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}, load average ${r.machine.loadAverage.start[0]} at start and ${r.machine.loadAverage.end[0]} at the end (a shared machine). Median (min–max); ${r.coldStart.trials} cold-start trials, ${r.sizes.trials} drain/producer trials of ${n(r.sizes.drainMessages)} messages on Azurite, ${r.sizes.standInTrials} steady-state trials of ${n(r.sizes.standInMessages)} on the queue stand-in (bench/queueStandIn.ts: Azurite's cost per call grows with queue depth), variants interleaved run by run, ratios taken trial by trial. MiB = 2²⁰ bytes.`,
        "",
        "| what | kedascale | baseline, same interleaved runs | ratio | target |",
        "|---|---|---|---|---|",
        ...rows,
    ].join("\n");
}

/** Issue 22's rows: the runtime handlers against the in-process handler, same work, same in-flight. */
function runtimeRows(rt: RuntimeCost | undefined): string[] {
    if (!rt) return [];
    const s = rt.standIn;
    const [inp, http] = [s.variants.inProcess, s.variants.http];
    const az = rt.azurite;
    const ka = rt.keepAlive;
    const rows = [
        `| runtime, \`--handler http\` vs in-process (\`noop\`), same trivial work, in-flight 32, ${s.messages.toLocaleString("en")} from the stand-in: msg/s; worker CPU ms/msg; pod (worker + handler) CPU ms/msg | ${fmt(http.msgPerSec)}; ${fmt(http.workerCpuMsPerMsg)}; ${fmt(http.podCpuMsPerMsg)} | in-process ${fmt(inp.msgPerSec)}; ${fmt(inp.workerCpuMsPerMsg)} | rate ${fmt(s.throughputRatio)}×; worker CPU +${s.extraWorkerCpuMsPerMsg.median} ms/msg, pod +${s.extraPodCpuMsPerMsg.median} | ≥ ${TARGETS.runtimeThroughputRatio}× rate: ${verdict(s.throughputRatio.median >= TARGETS.runtimeThroughputRatio, `${s.throughputRatio.median}×`)}; ≤ +${TARGETS.runtimeExtraCpuMs} ms worker CPU: ${verdict(s.extraWorkerCpuMsPerMsg.median <= TARGETS.runtimeExtraCpuMs, `+${s.extraWorkerCpuMsPerMsg.median} ms`)} |`,
        `| … same drain: peak RSS worker / handler / pod (sum) | ${http.workerPeakRssMiB.median} / ${http.handlerPeakRssMiB?.median} / ${http.podPeakRssMiB.median} MiB | in-process worker ${inp.workerPeakRssMiB.median} MiB | | |`,
        `| … ${az.messages.toLocaleString("en")} from Azurite: msg/s; worker CPU ms/msg | ${fmt(az.variants.http.msgPerSec)}; ${az.variants.http.workerCpuMsPerMsg.median} | in-process ${fmt(az.variants.inProcess.msgPerSec)}; ${az.variants.inProcess.workerCpuMsPerMsg.median} | rate ${fmt(az.throughputRatio)}×; worker CPU +${az.extraWorkerCpuMsPerMsg.median} ms/msg | (Azurite-bound) |`,
        `| … \`--handler exec -- /bin/true\`, a process per message, ${rt.exec.messages.toLocaleString("en")} from the stand-in: msg/s; worker CPU ms/msg | ${rt.exec.variant.msgPerSec.median}; ${rt.exec.variant.workerCpuMsPerMsg.median} | | | (for scale: a fork and exec per message) |`,
        `| … node:http keep-alive agent vs a connection per request, ${ka.requests.toLocaleString("en")} POSTs at 32 in flight: req/s; client + handler CPU ms/req | ${ka.keepAlive.reqPerSec.median}; ${round(ka.keepAlive.clientCpuMsPerReq.median + ka.keepAlive.handlerCpuMsPerReq.median, 4)} | per-request connection ${ka.perRequestConnection.reqPerSec.median}; ${round(ka.perRequestConnection.clientCpuMsPerReq.median + ka.perRequestConnection.handlerCpuMsPerReq.median, 4)} | | |`,
    ];
    const j = rt.jobColdStart;
    if (j) {
        rows.push(
            `| Job cold start, \`work --once\` (results handler), this tree vs the worker at ${j.baselineRev ?? "the last commit"} | ${fmt(j.after.ms, " ms")}; peak ${j.after.peakRssMiB.median} MiB; ${j.after.loadedKiB} KiB loaded | before ${fmt(j.before.ms, " ms")}; peak ${j.before.peakRssMiB.median} MiB; ${j.before.loadedKiB} KiB — bare node ${j.bareNodeMs.median} ms | ${fmt(j.ratio)}× | no regression: ${verdict(j.ratio.median <= 1.05 && j.after.peakRssMiB.median <= j.before.peakRssMiB.median + 0.5, `${j.ratio.median}×, ${round(j.after.peakRssMiB.median - j.before.peakRssMiB.median, 1)} MiB`)} |`,
        );
    }
    return rows;
}

export function writeReadmeTable(readmePath: string, table: string): void {
    const readme = readFileSync(readmePath, "utf8");
    const start = "<!-- bench:start -->";
    const end = "<!-- bench:end -->";
    const from = readme.indexOf(start);
    const to = readme.indexOf(end);
    if (from < 0 || to < from) throw new Error(`${readmePath} has no ${start} … ${end} section`);
    writeFileSync(readmePath, readme.slice(0, from + start.length) + "\n" + table + "\n" + readme.slice(to));
}
