/**
 * The worker under faults, as real processes of the bundled CLI (consumer/dist/worker.cjs) against a real Azurite,
 * with a TCP fault proxy (support/faultProxy.ts) between them: outages, black-holed links, slow links, lost replies,
 * large bad messages, a results store that goes away. Each test records its figures (messages, faults injected,
 * lost, duplicate results, parked, seconds), printed at the end for the README's guarantees section.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StorageQueueBroker } from "../src/broker/storageQueue";
import { duplicateSendsPrefix } from "../src/message";
import { buildMessage, sendLoad } from "../src/send";
import { startFaultProxy, servicePort, viaProxy, type FaultProxy } from "./support/faultProxy";
import { runCli, sleep, startCli, waitFor, type CliProcess } from "./support/processes";
import { storageTarget, type TargetQueue } from "./support/targets";

const target = storageTarget();
const proxies: FaultProxy[] = [];
const figures: Record<string, unknown>[] = [];

beforeAll(() => target.start(), 60_000);
afterAll(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await target.stop();
    const file = join(tmpdir(), "kedascale-fault-figures.json");
    writeFileSync(file, JSON.stringify(figures, null, 2));
    console.log(`fault figures (${file}):\n` + figures.map((f) => JSON.stringify(f)).join("\n"));
});

async function proxyFor(q: TargetQueue, service: "Queue" | "Blob"): Promise<FaultProxy> {
    const p = await startFaultProxy(servicePort(q.env.KEDASCALE_CONNECTION_STRING, service));
    proxies.push(p);
    return p;
}

async function count(q: TargetQueue, prefix: string): Promise<number> {
    let n = 0;
    for await (const _ of q.results.list(prefix)) n++;
    return n;
}

async function verify(env: Record<string, string>, runId: string) {
    const r = await runCli(["verify", "--run-id", runId], env);
    const line = r.lines.find((l) => l.includes('"expected"'));
    expect(line, r.lines.concat(r.errLines ?? []).join("\n")).toBeDefined();
    return JSON.parse(line!) as { expected: number; found: number; missing: number; duplicates: number; duplicateSends: number; extra: number; ok: boolean };
}

async function sendRun(q: TargetQueue, runId: string, n: number, extra: string[] = []) {
    const r = await runCli(["send", "--count", String(n), "--run-id", runId, "--concurrency", "16", ...extra], q.env);
    expect(r.code, r.lines.concat(r.errLines ?? []).join("\n")).toBe(0);
}

const stopAll = async (ws: CliProcess[]) => {
    for (const w of ws) w.proc.kill("SIGTERM");
    return Promise.all(ws.map((w) => w.exit));
};
/** Fails with the worker's log attached, so a fault test's failure says what the worker saw. */
async function withLogs<T>(w: CliProcess, p: Promise<T>): Promise<T> {
    try {
        return await p;
    } catch (e) {
        throw new Error(`${(e as Error).message}\nworker log:\n${w.logs().slice(-60).map((l) => JSON.stringify(l)).join("\n")}`);
    }
}
const msgs = (w: CliProcess, msg: string) => w.logs().filter((l) => l.msg === msg);
const parked = async (q: TargetQueue) => (await q.broker.peekDeadLetters(32)).length;

describe("Storage queue (Azurite) behind a fault proxy", () => {
    it("outage: a continuous worker survives a 15 s broker outage, says so, recovers and loses nothing", async () => {
        const t0 = Date.now();
        const q = await target.queue();
        const proxy = await proxyFor(q, "Queue");
        const env = { ...q.env, KEDASCALE_CONNECTION_STRING: viaProxy(q.env.KEDASCALE_CONNECTION_STRING, "Queue", proxy.port), KEDASCALE_OUTAGE_LOG_EVERY_MS: "4000" };
        const w = startCli(["work", "--wait-ms", "500", "--inflight", "8"], env);
        await waitFor("the worker to start", () => w.logs().some((l) => l.msg === "worker started") || undefined, 20_000);
        const outage = proxy.window("reset", 15_000);
        await sendRun(q, "outage", 300); // sent straight to Azurite while the worker cannot reach it
        await outage;
        expect(w.proc.exitCode, "the worker exited during the outage").toBeNull();
        await withLogs(w, waitFor("all results", async () => ((await count(q, "outage/")) === 300 ? true : undefined), 60_000, 250));
        const [exit] = await stopAll([w]);
        expect(exit.code).toBe(0);
        expect(msgs(w, "receive failed; retrying until the broker answers")).toHaveLength(1);
        expect(msgs(w, "broker still unreachable").length).toBeGreaterThanOrEqual(2);
        expect(msgs(w, "broker reachable again")).toHaveLength(1);
        const v = await verify(q.env, "outage");
        expect(v).toMatchObject({ expected: 300, missing: 0, duplicates: 0, extra: 0, ok: true });
        expect(await parked(q)).toBe(0);
        figures.push({ test: "broker outage 15 s (continuous)", messages: 300, faults: `${proxy.counts.resets} connections reset`, lost: v.missing, duplicates: v.duplicates, parked: 0, seconds: (Date.now() - t0) / 1000 });
    }, 120_000);

    it("job modes: --once and --drain exit non-zero when the broker stays unreachable, and --drain rides out a short outage", async () => {
        const t0 = Date.now();
        const q = await target.queue();
        await sendRun(q, "jobs", 50);
        const proxy = await proxyFor(q, "Queue");
        const env = { ...q.env, KEDASCALE_CONNECTION_STRING: viaProxy(q.env.KEDASCALE_CONNECTION_STRING, "Queue", proxy.port), KEDASCALE_RECEIVE_RETRY_BUDGET_MS: "3000" };
        // Down from the start: whether the start-up check or the receive loop notices, the Job must fail so Kubernetes retries it.
        proxy.setMode("reset");
        for (const mode of ["--once", "--drain"]) {
            const r = await runCli(["work", mode, "--wait-ms", "1000"], env, 60_000);
            expect(r.code, `${mode}: ${r.errLines?.join("\n")}`).not.toBe(0);
            expect(r.signal).toBeNull();
            expect(r.logs.filter((l) => l.msg === "completed")).toEqual([]);
        }
        // Up at start, then a 2 s outage in the middle of the drain: within the budget (20 s), so exit 0, all done.
        proxy.setMode("pass");
        const drain = startCli(["work", "--drain", "--wait-ms", "3000", "--inflight", "2", "--batch", "2"], { ...env, KEDASCALE_RECEIVE_RETRY_BUDGET_MS: "20000" });
        await waitFor("first completion", () => msgs(drain, "completed").length > 0 || undefined, 20_000);
        await proxy.window("reset", 2000);
        const exit = await drain.exit;
        expect(exit.code, drain.errLines.join("\n")).toBe(0);
        const v = await verify(q.env, "jobs");
        expect(v).toMatchObject({ expected: 50, missing: 0, duplicates: 0, ok: true });
        figures.push({ test: "job modes: broker down / 2 s outage mid-drain", messages: 50, faults: `${proxy.counts.resets} connections reset`, lost: v.missing, duplicates: v.duplicates, parked: await parked(q), seconds: (Date.now() - t0) / 1000 });
    }, 120_000);

    it("stalled link: a black-holed connection neither hangs a worker nor its SIGTERM; the stalled message is redelivered and done", async () => {
        const t0 = Date.now();
        const q = await target.queue();
        const proxy = await proxyFor(q, "Queue");
        const env = { ...q.env, KEDASCALE_CONNECTION_STRING: viaProxy(q.env.KEDASCALE_CONNECTION_STRING, "Queue", proxy.port), KEDASCALE_CALL_TIMEOUT_MS: "2000" };
        await q.broker.send([buildMessage("stall", 0, 128, 1500), buildMessage("stall", 1, 128, 0)]);
        const w = startCli(["work", "--grace-ms", "1000", "--wait-ms", "500", "--inflight", "1", "--batch", "1"], env);
        await waitFor("a message in flight", () => w.logs().some((l) => l.msg === "worker started") || undefined, 20_000);
        await sleep(700); // the first message is being worked on (1.5 s)
        proxy.setMode("blackhole"); // its completion, renewals and the next receives all stall
        await sleep(4000);
        expect(w.proc.exitCode, "the worker hung up on a stall").toBeNull();
        w.proc.kill("SIGTERM");
        // Bounded by grace + release budget + hard exit (1 + 3 + 5 s): the 30 s kill below is only a backstop.
        const killer = setTimeout(() => w.proc.kill("SIGKILL"), 30_000);
        const exit = await w.exit;
        clearTimeout(killer);
        expect(exit.signal, "the worker ignored SIGTERM on a stalled link and had to be killed").toBeNull();
        proxy.setMode("pass");
        // Another worker, straight to Azurite, gets both back (the stalled one after its 2 s invisibility).
        const r = await runCli(["work", "--drain", "--wait-ms", "4000"], q.env, 60_000);
        expect(r.code).toBe(0);
        expect(await count(q, "stall/")).toBe(2);
        expect(await parked(q)).toBe(0);
        figures.push({ test: "black-holed link + SIGTERM", messages: 2, faults: `${proxy.counts.stalled} connections stalled`, lost: 0, duplicates: 0, parked: 0, seconds: (Date.now() - t0) / 1000, exitCode: exit.code });
    }, 120_000);

    it("slow link: 300 ms each way with renewals racing completions parks no done work and loses nothing", async () => {
        const t0 = Date.now();
        const q = await target.queue({ maxDeliveryCount: 3 });
        const proxy = await proxyFor(q, "Queue");
        proxy.setLatency(300);
        // 3 s invisibility: renewals every 1.5 s, each a ~0.6 s round trip; work of 1.4 s ends while one is in flight.
        const env = { ...q.env, KEDASCALE_CONNECTION_STRING: viaProxy(q.env.KEDASCALE_CONNECTION_STRING, "Queue", proxy.port), KEDASCALE_VISIBILITY_TIMEOUT: "3" };
        await sendRun(q, "slow", 60, ["--work-ms", "1400"]);
        const workers = Array.from({ length: 2 }, () => startCli(["work", "--drain", "--wait-ms", "6000", "--inflight", "10", "--batch", "10", "--quiet"], env));
        const exits = await Promise.all(workers.map((w) => w.exit));
        expect(exits.map((e) => e.code)).toEqual([0, 0]);
        const v = await verify(q.env, "slow");
        expect(v).toMatchObject({ expected: 60, missing: 0, duplicates: 0, extra: 0, ok: true });
        expect(await parked(q)).toBe(0);
        const settleErrors = workers.flatMap((w) => w.logs()).filter((l) => /failed; the broker will redeliver/.test(String(l.msg))).length;
        figures.push({ test: "slow link 300 ms each way", messages: 60, faults: `${proxy.counts.connections} connections delayed; ${settleErrors} settlement errors`, lost: v.missing, duplicates: v.duplicates, parked: 0, seconds: (Date.now() - t0) / 1000 });
    }, 180_000);

    it("large bad messages: a 40 KiB non-JSON body and a 60 KiB oversize one are parked within the 64 KiB limit, whole bodies kept aside", async () => {
        const t0 = Date.now();
        const q = await target.queue();
        // Both fit a queue message (< 64 KiB) but not once wrapped: JSON escaping doubles every `"` and `\\`.
        const big = "<" + '"'.repeat(40 * 1024); // not JSON, 40 KiB, ~80 KiB escaped
        const oversize = JSON.stringify({ id: "huge", payload: "\\".repeat(30 * 1024) }); // 60 KiB, over --max-body-bytes
        await q.broker.send([{ id: "big", body: big }, { id: "huge", body: oversize }, buildMessage("large", 0, 128)]);
        const r = await runCli(["work", "--drain", "--wait-ms", "2000", "--max-body-bytes", "50000"], q.env);
        expect(r.code).toBe(0);
        const dead = await q.broker.peekDeadLetters(10);
        expect(dead.map((d) => d.reason).sort()).toEqual(["NotJson", "Oversize"]);
        for (const d of dead) {
            expect(d.truncated).toBe(true);
            expect(d.bodyRef).toMatch(/^_parked\//);
            expect(await q.results.read(d.bodyRef!)).toBe(d.reason === "NotJson" ? big : oversize);
        }
        expect(dead.find((d) => d.reason === "NotJson")!.originalBytes).toBe(Buffer.byteLength(big));
        expect(await count(q, "large/")).toBe(1);
        figures.push({ test: "large bad messages", messages: 3, faults: "2 bad bodies of 40–60 KiB (80–120 KiB once escaped)", lost: 0, duplicates: 0, parked: dead.length, seconds: (Date.now() - t0) / 1000 });
    }, 60_000);

    it("parking failure is visible and loses nothing: with the poison queue gone the message stays, and is parked once it is back", async () => {
        const q = await target.queue();
        const poison = new QueueClient(q.env.KEDASCALE_CONNECTION_STRING, `${q.env.KEDASCALE_QUEUE}-poison`);
        const w = startCli(["work", "--wait-ms", "500"], { ...q.env, KEDASCALE_RELEASE_BACKOFF_MS: "500" });
        await waitFor("the worker to start", () => w.logs().some((l) => l.msg === "worker started") || undefined, 20_000);
        await poison.delete(); // after the start-up check
        await q.broker.send([{ id: "bad", body: "{not json" }]);
        await withLogs(w, waitFor("a failed parking", () => msgs(w, "dead-lettering failed; the message stays on the queue").length > 0 || undefined, 20_000));
        await poison.create();
        await withLogs(w, waitFor("the message parked", async () => ((await q.broker.peekDeadLetters(5)).length === 1 ? true : undefined), 30_000));
        await stopAll([w]);
        expect((await q.broker.peekDeadLetters(5))[0]).toMatchObject({ reason: "NotJson", body: "{not json" });
        expect(await q.broker.receive(1, 500)).toEqual([]);
    }, 90_000);

    it("results store outage: a 6 s blob outage parks nothing; failed messages come back after growing delays and are done", async () => {
        const t0 = Date.now();
        const q = await target.queue({ maxDeliveryCount: 5 });
        const proxy = await proxyFor(q, "Blob");
        const env = { ...q.env, KEDASCALE_RESULTS_CONNECTION_STRING: viaProxy(q.env.KEDASCALE_CONNECTION_STRING, "Blob", proxy.port), KEDASCALE_CALL_TIMEOUT_MS: "2000" };
        await sendRun(q, "blobdown", 100);
        const w = startCli(["work", "--wait-ms", "500", "--inflight", "8", "--batch", "8"], env);
        await waitFor("the worker to start", () => w.logs().some((l) => l.msg === "worker started") || undefined, 20_000);
        await proxy.window("reset", 6000);
        await withLogs(w, waitFor("all results", async () => ((await count(q, "blobdown/")) === 100 ? true : undefined), 90_000, 250));
        await stopAll([w]);
        const v = await verify(q.env, "blobdown");
        expect(v).toMatchObject({ expected: 100, missing: 0, duplicates: 0, ok: true });
        expect(await parked(q)).toBe(0);
        // Growing backoff: a message that failed more than once waited longer each time.
        const retries = new Map<string, number[]>();
        for (const l of msgs(w, "handler failed, released for retry")) retries.set(String(l.id), [...(retries.get(String(l.id)) ?? []), Number(l.retryInMs)]);
        expect(retries.size).toBeGreaterThan(0);
        for (const delays of retries.values()) for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1]);
        figures.push({ test: "results store outage 6 s", messages: 100, faults: `${proxy.counts.resets} connections reset; ${[...retries.values()].flat().length} retries`, lost: v.missing, duplicates: v.duplicates, parked: 0, seconds: (Date.now() - t0) / 1000 });
    }, 150_000);

    it("lost send replies: duplicate sends are harmless (one result each) and counted exactly apart from results", async () => {
        const t0 = Date.now();
        const q = await target.queue();
        const proxy = await proxyFor(q, "Queue");
        // Every 2nd connection loses its first reply after Azurite enqueued the message: the SDK retries (on a new
        // connection, which may lose its reply too), and each lost reply enqueues one extra copy.
        const cs = viaProxy(q.env.KEDASCALE_CONNECTION_STRING, "Queue", proxy.port);
        const retry = { retryOptions: { maxTries: 12, retryDelayInMs: 20, maxRetryDelayInMs: 50 } };
        const sender = new StorageQueueBroker({ queue: new QueueClient(cs, q.env.KEDASCALE_QUEUE, retry), poisonQueue: new QueueClient(cs, `${q.env.KEDASCALE_QUEUE}-poison`, retry), visibilityTimeoutSeconds: 2, maxDequeueCount: 5 });
        proxy.setMode("dropReplies", { dropEvery: 2 });
        await q.results.writeOnce("runs/lost.json", JSON.stringify({ runId: "lost", count: 300, status: "complete", sentAt: new Date().toISOString() }));
        const summary = await sendLoad(sender, { count: 300, concurrency: 8, size: 128, runId: "lost", batchSize: 1 });
        proxy.setMode("pass");
        expect(summary.sent).toBe(300);
        const dropped = proxy.counts.droppedReplies;
        expect(dropped).toBeGreaterThan(0);
        const workers = Array.from({ length: 2 }, () => startCli(["work", "--drain", "--wait-ms", "2000", "--inflight", "16"], q.env));
        await Promise.all(workers.map((w) => w.exit));
        const v = await verify(q.env, "lost");
        expect(v).toMatchObject({ expected: 300, found: 300, missing: 0, duplicates: 0, extra: 0, ok: true });
        const completed = workers.flatMap((w) => msgs(w, "completed")).length;
        const markers = await count(q, duplicateSendsPrefix("lost"));
        expect(completed).toBe(300 + dropped);
        expect(markers).toBe(dropped);
        // verify reports them apart from duplicate results, and they do not fail the run (every message has one result).
        expect(v).toMatchObject({ duplicateSends: dropped, duplicates: 0, ok: true });
        figures.push({ test: "send with replies lost (every 2nd connection)", messages: 300, faults: `${dropped} replies lost → ${dropped} extra copies enqueued`, lost: v.missing, duplicates: v.duplicates, duplicateSendsReported: markers, parked: await parked(q), seconds: (Date.now() - t0) / 1000 });
    }, 120_000);

    it("--once honours SIGTERM: the in-flight message is released at the end of the grace and the next Job does it", async () => {
        const q = await target.queue();
        await q.broker.send([buildMessage("oncesig", 0, 128, 6000)]);
        const w = startCli(["work", "--once", "--grace-ms", "500", "--wait-ms", "5000"], q.env);
        await waitFor("the message to be received", () => w.logs().some((l) => l.msg === "worker started") || undefined, 20_000);
        await sleep(1500);
        w.proc.kill("SIGTERM");
        const exit = await w.exit;
        expect(exit.code).toBe(0);
        expect(msgs(w, "released on shutdown")).toHaveLength(1);
        const next = await runCli(["work", "--once", "--wait-ms", "5000"], q.env);
        expect(next.logs.find((l) => l.msg === "completed")).toMatchObject({ id: "oncesig-0", delivery: 2 });
    }, 60_000);
});
