/**
 * The measurements behind `npm run bench`, each against a baseline run in the same process tree and the same
 * Azurite, so ratios hold on any machine. Sizes come from the caller: the full bench and the test suite's smoke run.
 */
import { spawn } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { QueueClient } from "@azure/storage-queue";
import { connectBroker, type ConnectionOptions } from "../consumer/src/connect";
import { noopHandler } from "../consumer/src/handler";
import { buildMessage, sendLoad } from "../consumer/src/send";
import { Worker } from "../consumer/src/worker";
import { setQuiet } from "../consumer/src/log";
import { BUNDLE } from "../consumer/test/support/processes";
import { round, trials, type Summary } from "./stats";

export interface BenchSizes {
    trials: number;
    coldStartMessages: number;
    throughputMessages: number;
    producerMessages: number;
    naiveMessages: number;
    memoryInflight: number;
}

export const FULL: BenchSizes = { trials: 5, coldStartMessages: 10, throughputMessages: 2000, producerMessages: 2000, naiveMessages: 300, memoryInflight: 32 };
export const SMOKE: BenchSizes = { trials: 1, coldStartMessages: 1, throughputMessages: 40, producerMessages: 40, naiveMessages: 10, memoryInflight: 4 };

let queueCounter = 0;
export async function freshQueue(connectionString: string): Promise<{ env: Record<string, string>; options: ConnectionOptions; client: QueueClient }> {
    const name = `bench-${process.pid}-${queueCounter++}`;
    const client = new QueueClient(connectionString, name);
    await client.create();
    await new QueueClient(connectionString, `${name}-poison`).create();
    const options: ConnectionOptions = { broker: "storageQueue", queue: name, connectionString, resultsContainer: "unused", lockDurationMs: 60_000, visibilityTimeoutSeconds: 30, maxDeliveryCount: 5 };
    return { env: { KEDASCALE_BROKER: "storageQueue", KEDASCALE_QUEUE: name, KEDASCALE_CONNECTION_STRING: connectionString }, options, client };
}

async function fill(client: QueueClient, count: number, workMs?: number): Promise<void> {
    const lanes = 32;
    let next = 0;
    await Promise.all(
        Array.from({ length: lanes }, async () => {
            while (next < count) await client.sendMessage(buildMessage("bench", next++, 256, workMs).body);
        }),
    );
}

/** Spawn → the first line matching `until` on stdout or stderr (or exit), in ms. */
function timeSpawn(args: string[], env: Record<string, string>, until?: RegExp): Promise<number> {
    return new Promise((resolve, reject) => {
        const t0 = performance.now();
        // The CLI logs on stderr (its summaries go to stdout): watch both.
        const proc = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let done = false;
        const onData = (c: Buffer) => {
            out += c.toString();
            if (!done && until?.test(out)) {
                done = true;
                resolve(performance.now() - t0);
            }
        };
        proc.stdout.on("data", onData);
        proc.stderr.on("data", onData);
        proc.once("error", reject);
        proc.once("exit", (code) => {
            if (done) return;
            if (code !== 0 || until) reject(new Error(`exited ${code} before ${until ?? "end"}: ${out.slice(0, 500)}`));
            else resolve(performance.now() - t0);
        });
    });
}

export interface ColdStart {
    workerOnceMs: Summary;
    bareNodeMs: Summary;
    ratio: number;
}

/** `work --once` from spawn to its first message completed, against spawning bare `node -e ""`. */
export async function coldStart(cs: string, sizes: BenchSizes): Promise<ColdStart> {
    const q = await freshQueue(cs);
    await fill(q.client, sizes.trials * sizes.coldStartMessages);
    const bareNodeMs = await trials(sizes.trials, () => timeSpawn(["-e", ""], {}));
    const workerOnceMs = await trials(sizes.trials, () => timeSpawn([BUNDLE, "work", "--once", "--handler", "noop", "--wait-ms", "5000"], q.env, /"msg":"completed"/));
    return { workerOnceMs, bareNodeMs, ratio: round(workerOnceMs.median / bareNodeMs.median) };
}

/** Drains `count` messages with the Worker (noop handler) at a given in-flight limit; messages/s. */
async function workerRate(cs: string, count: number, inflight: number): Promise<number> {
    const q = await freshQueue(cs);
    await fill(q.client, count);
    const broker = await connectBroker(q.options);
    const worker = new Worker({ broker, handler: noopHandler, mode: "drain", inflight, batchSize: 32, receiveWaitMs: 0, maxBodyBytes: 1 << 20, maxRenewMs: 60_000, graceMs: 1000 });
    const t0 = performance.now();
    const stats = await worker.run();
    const seconds = (performance.now() - t0) / 1000;
    await broker.close();
    if (stats.completed !== count) throw new Error(`worker completed ${stats.completed} of ${count}`);
    return count / seconds;
}

/** The fastest plain-SDK drain: 4 receive loops of 32, deletes in parallel, no framework. */
async function rawSdkRate(cs: string, count: number): Promise<number> {
    const q = await freshQueue(cs);
    await fill(q.client, count);
    let deleted = 0;
    const t0 = performance.now();
    await Promise.all(
        Array.from({ length: 4 }, async () => {
            for (;;) {
                const { receivedMessageItems: items } = await q.client.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 30 });
                if (items.length === 0) return;
                await Promise.all(items.map((m) => q.client.deleteMessage(m.messageId, m.popReceipt)));
                deleted += items.length;
            }
        }),
    );
    const seconds = (performance.now() - t0) / 1000;
    if (deleted !== count) throw new Error(`raw loop deleted ${deleted} of ${count}`);
    return count / seconds;
}

export interface Throughput {
    workerMessagesPerSecond: Record<"inflight1" | "inflight8" | "inflight32", Summary>;
    rawSdkMessagesPerSecond: Summary;
    ratioAt32: number;
}

export async function throughput(cs: string, sizes: BenchSizes): Promise<Throughput> {
    setQuiet(true);
    const n = sizes.throughputMessages;
    const workerMessagesPerSecond = {
        inflight1: await trials(sizes.trials, () => workerRate(cs, Math.max(10, Math.floor(n / 8)), 1)),
        inflight8: await trials(sizes.trials, () => workerRate(cs, n, 8)),
        inflight32: await trials(sizes.trials, () => workerRate(cs, n, 32)),
    };
    const rawSdkMessagesPerSecond = await trials(sizes.trials, () => rawSdkRate(cs, n));
    return { workerMessagesPerSecond, rawSdkMessagesPerSecond, ratioAt32: round(workerMessagesPerSecond.inflight32.median / rawSdkMessagesPerSecond.median) };
}

/** The queue port of an Azurite connection string. */
export function queuePort(connectionString: string): number {
    return Number(/QueueEndpoint=http:\/\/127\.0\.0\.1:(\d+)\//.exec(connectionString)![1]);
}

export interface Producer {
    sendMessagesPerSecond: Summary;
    naiveLoopMessagesPerSecond: Summary;
    sdkCeilingMessagesPerSecond: Summary;
    ratioVsNaive: number;
    ratioVsCeiling: number;
}

/** `send` (32 lanes) vs the seeds' sequential `await send()` loop vs 128 raw parallel SDK sends; through `queueCs` (e.g. a latency proxy) when given. */
export async function producer(cs: string, sizes: BenchSizes, queueCs: string = cs): Promise<Producer> {
    const throughProxy = async () => {
        const q = await freshQueue(cs);
        return { ...q, options: { ...q.options, connectionString: queueCs }, client: new QueueClient(queueCs, q.options.queue) };
    };
    const viaSend = async () => {
        const q = await throughProxy();
        const broker = await connectBroker(q.options);
        const s = await sendLoad(broker, { count: sizes.producerMessages, concurrency: 32, size: 256, runId: "p", batchSize: 100 });
        return s.messagesPerSecond;
    };
    const naive = async () => {
        const q = await throughProxy();
        const t0 = performance.now();
        for (let i = 0; i < sizes.naiveMessages; i++) await q.client.sendMessage(buildMessage("n", i, 256).body);
        return sizes.naiveMessages / ((performance.now() - t0) / 1000);
    };
    const ceiling = async () => {
        const q = await throughProxy();
        let next = 0;
        const t0 = performance.now();
        await Promise.all(
            Array.from({ length: 128 }, async () => {
                while (next < sizes.producerMessages) await q.client.sendMessage(buildMessage("c", next++, 256).body);
            }),
        );
        return sizes.producerMessages / ((performance.now() - t0) / 1000);
    };
    const sendMessagesPerSecond = await trials(sizes.trials, viaSend);
    const naiveLoopMessagesPerSecond = await trials(sizes.trials, naive);
    const sdkCeilingMessagesPerSecond = await trials(sizes.trials, ceiling);
    return {
        sendMessagesPerSecond,
        naiveLoopMessagesPerSecond,
        sdkCeilingMessagesPerSecond,
        ratioVsNaive: round(sendMessagesPerSecond.median / naiveLoopMessagesPerSecond.median),
        ratioVsCeiling: round(sendMessagesPerSecond.median / sdkCeilingMessagesPerSecond.median),
    };
}

function rssMb(pid: number): number {
    const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!;
    return Number(line.replace(/\D+/g, "")) / 1024;
}

export interface Memory {
    idleRssMb: number;
    loadedPeakRssMb: number;
    inflight: number;
}

/** RSS of a real worker process: idle on an empty queue, then peak with `inflight` slow messages in flight. */
export async function memory(cs: string, sizes: BenchSizes): Promise<Memory> {
    const q = await freshQueue(cs);
    const proc = spawn(process.execPath, [BUNDLE, "work", "--inflight", String(sizes.memoryInflight), "--wait-ms", "1000", "--handler", "noop", "--quiet"], { env: { ...process.env, ...q.env }, stdio: "ignore" });
    try {
        await new Promise((r) => setTimeout(r, 2500));
        const idleRssMb = rssMb(proc.pid!);
        // Messages that take 1.5 s each keep every slot busy while we sample.
        await fill(q.client, sizes.memoryInflight * 4, 1500);
        let peak = idleRssMb;
        const until = Date.now() + 5000;
        while (Date.now() < until) {
            peak = Math.max(peak, rssMb(proc.pid!));
            await new Promise((r) => setTimeout(r, 100));
        }
        return { idleRssMb: round(idleRssMb, 1), loadedPeakRssMb: round(peak, 1), inflight: sizes.memoryInflight };
    } finally {
        proc.kill("SIGKILL");
    }
}

export function bundleKb(): number {
    return round(statSync(BUNDLE).size / 1024, 0);
}
