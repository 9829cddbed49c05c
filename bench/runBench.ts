/** Runs every measurement against one Azurite, writes results JSON and (optionally) the README table. */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { startAzurite } from "../consumer/test/support/azurite";
import { runProgram } from "../test/harness/runProgram";
import { stackNames } from "../test/harness/stackConfig";
import { startLatencyProxy, viaProxy } from "./latencyProxy";
import { bundleKb, coldStart, memory, producer, queuePort, throughput, type BenchSizes } from "./measure";
import { round, trials, type Summary } from "./stats";

export interface PlanTime {
    stack: string;
    ms: Summary;
    resources: number;
}

export async function planTimes(n: number): Promise<PlanTime[]> {
    const out: PlanTime[] = [];
    for (const stack of stackNames()) {
        let resources = 0;
        const ms = await trials(n, async () => {
            const t0 = performance.now();
            const run = await runProgram(stack);
            resources = run.resources.length;
            return performance.now() - t0;
        });
        out.push({ stack, ms, resources });
    }
    return out;
}

/** Round trip the producer comparison is also run at: a client outside the region (the seeds' laptops). */
export const REMOTE_RTT_MS = 20;

export async function runBench(sizes: BenchSizes) {
    const azurite = await startAzurite();
    const proxy = await startLatencyProxy(queuePort(azurite.connectionString), REMOTE_RTT_MS);
    try {
        const results = {
            machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", node: process.version, date: new Date().toISOString() },
            sizes,
            coldStart: await coldStart(azurite.connectionString, sizes),
            throughput: await throughput(azurite.connectionString, sizes),
            producer: await producer(azurite.connectionString, sizes),
            producerRemote: { rttMs: REMOTE_RTT_MS, ...(await producer(azurite.connectionString, sizes, viaProxy(azurite.connectionString, proxy.port))) },
            memory: await memory(azurite.connectionString, sizes),
            planTime: await planTimes(Math.max(1, Math.min(3, sizes.trials))),
            bundleKb: bundleKb(),
        };
        return results;
    } finally {
        await proxy.close();
        await azurite.stop();
    }
}

export type BenchResults = Awaited<ReturnType<typeof runBench>>;

const TARGETS = { coldStartRatio: 3, throughputRatio: 0.85, producerRatio: 20, rssMb: 80 };

const fmt = (s: Summary, unit = "") => `${s.median}${unit} (${s.min}–${s.max})`;
const verdict = (ok: boolean, miss: string) => (ok ? "met" : `missed: ${miss}`);

/** The README table, with each target and how far off it is. */
export function markdownTable(r: BenchResults): string {
    const t = r.throughput;
    const rows = [
        `| cold start, \`work --once\` spawn → first message done | ${fmt(r.coldStart.workerOnceMs, " ms")} | bare \`node -e ""\` ${fmt(r.coldStart.bareNodeMs, " ms")} | ${r.coldStart.ratio}× | ≤ ${TARGETS.coldStartRatio}×: ${verdict(r.coldStart.ratio <= TARGETS.coldStartRatio, `${round(r.coldStart.ratio / TARGETS.coldStartRatio)}× over`)} |`,
        `| worker throughput, in-flight 1 / 8 / 32 (msg/s) | ${t.workerMessagesPerSecond.inflight1.median} / ${t.workerMessagesPerSecond.inflight8.median} / ${fmt(t.workerMessagesPerSecond.inflight32)} | raw SDK loop ${fmt(t.rawSdkMessagesPerSecond)} | ${t.ratioAt32} at 32 | ≥ ${TARGETS.throughputRatio}: ${verdict(t.ratioAt32 >= TARGETS.throughputRatio, `${round((TARGETS.throughputRatio - t.ratioAt32) * 100, 0)} points short`)} |`,
        `| producer \`send\`, loopback (msg/s) | ${fmt(r.producer.sendMessagesPerSecond)} | naive loop ${fmt(r.producer.naiveLoopMessagesPerSecond)}; raw SDK, 128 parallel ${fmt(r.producer.sdkCeilingMessagesPerSecond)} | ${r.producer.ratioVsNaive}× naive, ${r.producer.ratioVsCeiling} of raw-parallel | ≥ ${TARGETS.producerRatio}×: ${verdict(r.producer.ratioVsNaive >= TARGETS.producerRatio, `${round(r.producer.ratioVsNaive / TARGETS.producerRatio)} of target`)} |`,
        `| producer \`send\` with ${r.producerRemote.rttMs} ms RTT injected (msg/s) | ${fmt(r.producerRemote.sendMessagesPerSecond)} | naive loop ${fmt(r.producerRemote.naiveLoopMessagesPerSecond)}; raw SDK, 128 parallel ${fmt(r.producerRemote.sdkCeilingMessagesPerSecond)} | ${r.producerRemote.ratioVsNaive}× naive, ${r.producerRemote.ratioVsCeiling} of raw-parallel | ≥ ${TARGETS.producerRatio}×: ${verdict(r.producerRemote.ratioVsNaive >= TARGETS.producerRatio, `${round(r.producerRemote.ratioVsNaive / TARGETS.producerRatio)} of target`)} |`,
        `| worker RSS, idle / ${r.memory.inflight} in flight | ${r.memory.idleRssMb} / ${r.memory.loadedPeakRssMb} MB | | | ≤ ${TARGETS.rssMb} MB: ${verdict(r.memory.loadedPeakRssMb <= TARGETS.rssMb, `${round(r.memory.loadedPeakRssMb - TARGETS.rssMb, 1)} MB over`)} |`,
        ...r.planTime.map((p) => `| plan time, stack \`${p.stack}\` under mocks | ${fmt(p.ms, " ms")} | | ${p.resources} resources | |`),
        `| bundled worker | ${r.bundleKb} KB | | | |`,
    ];
    return [
        `Measured ${r.machine.date.slice(0, 10)} on ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}, against one local Azurite; median (min–max) of ${r.sizes.trials} trials.`,
        "",
        "| what | kedascale | baseline, same run | ratio | target |",
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
