/**
 * The worker's guarantees hold through the runtime (issue 22 point 6): real worker processes (the bundled CLI) against
 * a real Azurite, with real handler processes the tests write (support/runtimeHandlers.ts) that fail, hang past the
 * deadline, crash mid-request, answer 4xx, 5xx, 408 and 429 with Retry-After, start slowly or never become healthy, and
 * workers SIGTERMed and SIGKILLed mid-request. Every test ends with the same accounting (`account`):
 *   0 lost (every message acknowledged by the handler or parked, the queue empty),
 *   0 completed without a 2xx / exit 0 for that very delivery,
 *   nothing parked that the handler acknowledged.
 * Figures per test are printed at the end (docs/worker-runtime.md's table).
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, sleep, startCli, waitFor, type CliProcess } from "./support/processes";
import { act, startHttpHandler, writeExecHandler, type LedgerEntry } from "./support/runtimeHandlers";
import { storageTarget, type TargetQueue } from "./support/targets";

const target = storageTarget();
const figures: Record<string, unknown>[] = [];
const cleanups: (() => unknown)[] = [];

beforeAll(() => target.start(), 60_000);
afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    await target.stop();
    const file = join(tmpdir(), "kedascale-runtime-fault-figures.json");
    writeFileSync(file, JSON.stringify(figures, null, 2));
    console.log(`runtime fault figures (${file}):\n` + figures.map((f) => JSON.stringify(f)).join("\n"));
});

const acked = (e: LedgerEntry) => (typeof e.status === "number" && e.status >= 200 && e.status < 300) || e.exit === 0;
const logsOf = (ws: CliProcess[], msg: string) => ws.flatMap((w) => w.logs().filter((l) => l.msg === msg));

async function depth(q: TargetQueue): Promise<number> {
    const { QueueClient } = await import("@azure/storage-queue");
    return (await new QueueClient(q.env.KEDASCALE_CONNECTION_STRING, q.env.KEDASCALE_QUEUE).getProperties()).approximateMessagesCount ?? -1;
}

/**
 * The accounting every test ends with. `keys`: what was sent. Completions are matched to the handler's ledger by
 * (ce-id, delivery): a completion with no 2xx / exit 0 for that delivery is a violation.
 */
async function account(q: TargetQueue, keys: string[], ledger: LedgerEntry[], workers: CliProcess[]) {
    const parkedMessages = await q.broker.peekDeadLetters(32);
    const parked = parkedMessages.map((p) => ({ key: (JSON.parse(p.body) as { key: string }).key, reason: p.reason, description: p.description }));
    const ackedKeys = new Set(ledger.filter(acked).map((e) => e.key!));
    const completions = logsOf(workers, "completed");
    const completedWithoutAck = completions.filter((c) => !ledger.some((e) => e.id === c.id && e.delivery === c.delivery && acked(e)));
    const parkedAcked = parked.filter((p) => ackedKeys.has(p.key));
    const lost = keys.filter((k) => !ackedKeys.has(k) && !parked.some((p) => p.key === k));
    expect(await depth(q), "messages left on the queue").toBe(0);
    expect(completedWithoutAck, "completed without a 2xx / exit 0").toEqual([]);
    expect(parkedAcked, "parked although the handler acknowledged it").toEqual([]);
    expect(lost, "lost").toEqual([]);
    return { parked, ackedKeys, completions: completions.length, lost: lost.length, completedWithoutAck: completedWithoutAck.length, parkedAcked: parkedAcked.length };
}

async function send(q: TargetQueue, messages: { id: string; body: string }[]) {
    await q.broker.send(messages);
}

/** Ends continuous workers with SIGTERM once `done` holds (bounded), and waits for them. */
async function until(workers: CliProcess[], what: string, done: () => Promise<boolean> | boolean, timeoutMs: number) {
    try {
        await waitFor(what, async () => ((await done()) ? true : undefined), timeoutMs, 250);
    } catch (e) {
        throw new Error(`${(e as Error).message}\nworker logs:\n${workers.flatMap((w) => w.logs().slice(-30)).map((l) => JSON.stringify(l)).join("\n")}`);
    } finally {
        for (const w of workers) w.proc.kill("SIGTERM");
        await Promise.all(workers.map((w) => w.exit));
    }
}

const FAST = { KEDASCALE_RELEASE_BACKOFF_MS: "1000", KEDASCALE_RELEASE_BACKOFF_MAX_MS: "8000", KEDASCALE_WAIT_MS: "500" };

describe("--handler http: the guarantees through an HTTP handler", () => {
    it("every kind of answer: 2xx completes, 4xx parks with the reason, 408/429/5xx/timeouts/crashes are retried with backoff and Retry-After", async () => {
        const t0 = Date.now();
        const q = await target.queue({ maxDeliveryCount: 8 });
        const handler = await startHttpHandler();
        cleanups.push(() => handler.stop());
        const plan = [
            ...Array.from({ length: 12 }, (_, i) => act(`ok-${i}`, "ok")),
            ...Array.from({ length: 4 }, (_, i) => act(`fail-${i}`, "fail", { n: 2 })),
            ...Array.from({ length: 2 }, (_, i) => act(`e500-${i}`, "error500")),
            ...Array.from({ length: 3 }, (_, i) => act(`reject-${i}`, "reject")),
            ...Array.from({ length: 3 }, (_, i) => act(`throttle-${i}`, "throttle", { after: 3 })),
            ...Array.from({ length: 2 }, (_, i) => act(`t408-${i}`, "timeout408")),
            ...Array.from({ length: 3 }, (_, i) => act(`hang-${i}`, "hang")),
            ...Array.from({ length: 2 }, (_, i) => act(`crash-${i}`, "crash")),
        ];
        await send(q, plan);
        const env = { ...q.env, ...FAST, KEDASCALE_HANDLER_TIMEOUT_MS: "1500", KEDASCALE_HANDLER_PORT: String(handler.port) };
        const workers = [0, 1].map(() => startCli(["work", "--handler", "http", "--inflight", "4", "--batch", "4"], env));
        await until(workers, "every message settled", async () => (await depth(q)) === 0, 120_000);
        const ledger = handler.ledger();
        const a = await account(q, plan.map((p) => JSON.parse(p.body).key), ledger, workers);
        // Only the rejected ones were parked, each with the handler's status and words.
        expect(a.parked.map((p) => p.key).sort()).toEqual(["reject-0", "reject-1", "reject-2"]);
        for (const p of a.parked) expect(p).toMatchObject({ reason: "HandlerRejected", description: expect.stringMatching(new RegExp(`^HTTP 422: cannot process ${p.key}: bad input`)) });
        // Retry-After: 3 s, honoured (Storage visibility is whole seconds): the second request came ≥ 3 s after the first.
        for (const k of ["throttle-0", "throttle-1", "throttle-2"]) {
            const tries = ledger.filter((e) => e.key === k).map((e) => e.t);
            expect(tries.length, k).toBeGreaterThanOrEqual(2);
            expect(tries[1] - tries[0], k).toBeGreaterThanOrEqual(2900);
        }
        // Growing backoff: a message failing twice waited longer the second time.
        const retries = new Map<string, { delivery: number; ms: number }[]>();
        for (const l of logsOf(workers, "handler failed, released for retry")) retries.set(String(l.id), [...(retries.get(String(l.id)) ?? []), { delivery: Number(l.delivery), ms: Number(l.retryInMs) }]);
        const twice = [...retries.values()].filter((d) => d.length >= 2).map((d) => d.sort((a, b) => a.delivery - b.delivery));
        expect(twice.length).toBeGreaterThan(0);
        for (const d of twice) expect(d[1].ms, JSON.stringify(d)).toBeGreaterThan(d[0].ms);
        // Crashed requests (and the hung ones a crash cut) were seen as reset or refused, and all were done later.
        expect(handler.restarts).toBeGreaterThanOrEqual(1);
        for (const k of [...plan.map((p) => JSON.parse(p.body).key)].filter((k) => !k.startsWith("reject"))) expect(a.ackedKeys.has(k), k).toBe(true);
        figures.push({ test: "http: every kind of answer", messages: plan.length, faults: `2 5xx, 4 503, 3 422, 3 429 (Retry-After 3 s), 2 408, 3 hung, ${handler.restarts} crashes`, lost: a.lost, completedWithoutAck: a.completedWithoutAck, parkedAcked: a.parkedAcked, parked: a.parked.length, seconds: (Date.now() - t0) / 1000 });
    }, 180_000);

    it("a request past its deadline is cut and retried; a long one keeps its lock renewed and is delivered once", async () => {
        const t0 = Date.now();
        const q = await target.queue({ maxDeliveryCount: 5 });
        const handler = await startHttpHandler();
        cleanups.push(() => handler.stop());
        const env = { ...q.env, ...FAST, KEDASCALE_HANDLER_PORT: String(handler.port) };
        // Hung: cut at 1.5 s, released, answered on the next delivery.
        await send(q, [act("hung-0", "hang"), act("hung-1", "hang")]);
        const a1 = startCli(["work", "--handler", "http", "--inflight", "4", "--handler-timeout-ms", "1500"], env);
        await until([a1], "the hung ones done", async () => (await depth(q)) === 0, 60_000);
        expect(logsOf([a1], "handler failed, released for retry").filter((l) => /gave no answer within 1500 ms/.test(String(l.error)))).toHaveLength(2);
        // Long: 6 s each on a 2 s invisibility window (support/targets.ts): they live only by their renewals.
        await send(q, [act("long-0", "slow", { ms: 6000 }), act("long-1", "slow", { ms: 6000 })]);
        const a2 = startCli(["work", "--handler", "http", "--inflight", "4", "--handler-timeout-ms", "10000"], env);
        await until([a2], "the long ones done", async () => (await depth(q)) === 0, 60_000);
        const ledger = handler.ledger();
        for (const k of ["long-0", "long-1"]) expect(ledger.filter((e) => e.key === k), k).toHaveLength(1);
        const a = await account(q, ["hung-0", "hung-1", "long-0", "long-1"], ledger, [a1, a2]);
        expect(a.parked).toEqual([]);
        figures.push({ test: "http: deadline and renewal", messages: 4, faults: "2 requests hung past a 1.5 s deadline; 2 running 6 s on a 2 s lock (delivered once)", lost: a.lost, completedWithoutAck: a.completedWithoutAck, parkedAcked: a.parkedAcked, parked: 0, seconds: (Date.now() - t0) / 1000 });
    }, 120_000);

    it("a handler that starts slowly is waited for (nothing received before); one never healthy fails a Job non-zero, its message untouched", async () => {
        const t0 = Date.now();
        const q = await target.queue();
        await send(q, [act("early-0", "ok"), act("early-1", "ok")]);
        // Continuous: the handler answers its health path only after 4 s.
        const slow = await startHttpHandler({ readyAfterMs: 4000 });
        cleanups.push(() => slow.stop());
        const started = Date.now();
        const w = startCli(["work", "--handler", "http", "--inflight", "2"], { ...q.env, ...FAST, KEDASCALE_HANDLER_PORT: String(slow.port) });
        await until([w], "both done", async () => (await depth(q)) === 0, 60_000);
        const ledger = slow.ledger().filter((e) => e.key);
        expect(ledger.map((e) => e.delivery)).toEqual([1, 1]);
        expect(Math.min(...ledger.map((e) => e.t)) - started).toBeGreaterThanOrEqual(3500);
        expect(logsOf([w], "waiting for the handler before receiving")).toHaveLength(1);
        expect(logsOf([w], "handler ready")).toHaveLength(1);
        const a = await account(q, ["early-0", "early-1"], ledger, [w]);

        // Job modes: a handler never healthy fails --once and --drain within the budget, and no message is touched.
        const never = await startHttpHandler({ neverReady: true });
        cleanups.push(() => never.stop());
        await send(q, [act("never-0", "ok")]);
        for (const mode of ["--once", "--drain"]) {
            const r = await runCli(["work", mode, "--handler", "http", "--receive-retry-budget-ms", "2000"], { ...q.env, KEDASCALE_HANDLER_PORT: String(never.port) }, 30_000);
            expect(r.code, r.output).toBe(1);
            expect(r.logs.find((l) => l.level === "error")?.msg).toMatch(/the HTTP handler at http:\/\/127\.0\.0\.1:\d+\/healthz was not ready after \d+ ms .*GET \/healthz answered 503/);
            expect(r.logs.some((l) => l.msg === "completed")).toBe(false);
        }
        const { QueueClient } = await import("@azure/storage-queue");
        const peeked = await new QueueClient(q.env.KEDASCALE_CONNECTION_STRING, q.env.KEDASCALE_QUEUE).peekMessages();
        expect(peeked.peekedMessageItems.map((m) => m.dequeueCount)).toEqual([0]);
        expect(never.ledger().filter((e) => e.key)).toEqual([]);
        // Nothing listening at all is the same: refused, then non-zero.
        const none = await runCli(["work", "--once", "--handler", "http", "--receive-retry-budget-ms", "1000", "--handler-port", "9"], q.env, 30_000);
        expect(none.code).toBe(1);
        expect(none.logs.find((l) => l.level === "error")?.msg).toMatch(/ECONNREFUSED/);
        figures.push({ test: "http: handler starts in 4 s / never healthy (Job modes)", messages: 3, faults: "4 s start; health 503 forever; nothing listening", lost: a.lost, completedWithoutAck: a.completedWithoutAck, parkedAcked: a.parkedAcked, parked: 0, seconds: (Date.now() - t0) / 1000, jobExitCode: 1 });
    }, 120_000);

    it("a handler that goes down mid-run is waited for, not burned through: receiving pauses, nothing is parked", async () => {
        const t0 = Date.now();
        const q = await target.queue({ maxDeliveryCount: 3 });
        const handler = await startHttpHandler({ restart: false });
        const port = handler.port;
        const w = startCli(["work", "--handler", "http", "--inflight", "2", "--batch", "2"], { ...q.env, ...FAST, KEDASCALE_RELEASE_BACKOFF_MS: "200", KEDASCALE_HANDLER_PORT: String(port) });
        await send(q, [act("before", "ok")]);
        await waitFor("the first message", () => handler.ledger().some((e) => e.key === "before" && acked(e)) || undefined, 30_000);
        const firstLedger = handler.ledger();
        await handler.stop();
        // Down for 8 s: with a 200 ms backoff and 3 deliveries, a worker that kept receiving would park all of these.
        const keys = Array.from({ length: 6 }, (_, i) => `during-${i}`);
        await send(q, keys.map((k) => act(k, "ok")));
        await sleep(8000);
        const back = await startHttpHandler({ port });
        cleanups.push(() => back.stop());
        await until([w], "all done", async () => (await depth(q)) === 0, 60_000);
        const ledger = [...firstLedger, ...back.ledger()];
        const a = await account(q, ["before", ...keys], ledger, [w]);
        expect(a.parked).toEqual([]);
        expect(logsOf([w], "waiting for the handler before receiving").length).toBeGreaterThanOrEqual(1);
        figures.push({ test: "http: handler down 8 s mid-run (max 3 deliveries, 200 ms backoff)", messages: 7, faults: "handler process gone 8 s", lost: a.lost, completedWithoutAck: a.completedWithoutAck, parkedAcked: a.parkedAcked, parked: a.parked.length, seconds: (Date.now() - t0) / 1000 });
    }, 120_000);

    it("workers SIGTERMed and SIGKILLed mid-request lose nothing and complete nothing unacknowledged", async () => {
        const t0 = Date.now();
        const q = await target.queue({ maxDeliveryCount: 20 });
        const handler = await startHttpHandler();
        cleanups.push(() => handler.stop());
        const keys = Array.from({ length: 24 }, (_, i) => `k-${i}`);
        await send(q, keys.map((k) => act(k, "slow", { ms: 3000 })));
        const env = { ...q.env, ...FAST, KEDASCALE_HANDLER_PORT: String(handler.port), KEDASCALE_GRACE_MS: "500" };
        const args = ["work", "--handler", "http", "--inflight", "4", "--batch", "4"];
        const all: CliProcess[] = [];
        const spawnWorker = () => (all.push(startCli(args, env)), all.at(-1)!);
        const pool = [spawnWorker(), spawnWorker()];
        let terms = 0;
        let kills = 0;
        // One worker at a time is stopped 1 s after it started receiving (its 3 s requests in flight), by SIGTERM and
        // SIGKILL in turn, and replaced.
        for (let round = 0; round < 6 && (await depth(q)) > 0; round++) {
            const i = round % 2;
            await waitFor("the worker to start", () => pool[i].logs().some((l) => l.msg === "worker started") || undefined, 30_000);
            await sleep(1000);
            if (round % 2 === 0) (pool[i].proc.kill("SIGTERM"), terms++);
            else (pool[i].proc.kill("SIGKILL"), kills++);
            pool[i] = spawnWorker();
        }
        await until(pool, "all done", async () => (await depth(q)) === 0, 90_000);
        await Promise.all(all.map((w) => w.exit));
        const a = await account(q, keys, handler.ledger(), all);
        expect(a.parked).toEqual([]);
        const termed = all.filter((w) => w.proc.signalCode === null);
        for (const w of termed) expect(w.proc.exitCode, "a SIGTERMed worker exits 0").toBe(0);
        expect(logsOf(all, "released on shutdown").length).toBeGreaterThan(0);
        figures.push({ test: "http: workers SIGTERMed and SIGKILLed mid-request", messages: keys.length, faults: `${terms} SIGTERM (grace 0.5 s), ${kills} SIGKILL, requests of 3 s`, lost: a.lost, completedWithoutAck: a.completedWithoutAck, parkedAcked: a.parkedAcked, parked: 0, seconds: (Date.now() - t0) / 1000 });
    }, 150_000);
});

describe("--handler exec: the guarantees through a process per message", () => {
    it("exit 0 completes, 65 parks with stderr, other exits, crashes and hangs are retried; the whole process group is killed; output is logged, bounded", async () => {
        const t0 = Date.now();
        const q = await target.queue({ maxDeliveryCount: 6 });
        const script = writeExecHandler();
        cleanups.push(() => script.dispose());
        const plan = [
            ...Array.from({ length: 6 }, (_, i) => act(`ok-${i}`, "ok")),
            ...Array.from({ length: 3 }, (_, i) => act(`fail-${i}`, "fail", { n: 2 })),
            ...Array.from({ length: 2 }, (_, i) => act(`reject-${i}`, "reject")),
            ...Array.from({ length: 2 }, (_, i) => act(`hang-${i}`, "hang")),
            ...Array.from({ length: 2 }, (_, i) => act(`crash-${i}`, "crash")),
            act("noisy-0", "noisy"),
            act("env-0", "env"),
        ];
        await send(q, plan);
        const env = { ...q.env, ...FAST, ...script.env, KEDASCALE_HANDLER_TIMEOUT_MS: "1500" };
        const w = startCli(["work", "--handler", "exec", "--inflight", "4", "--", ...script.command], env);
        await until([w], "every message settled", async () => (await depth(q)) === 0, 90_000);
        const ledger = script.ledger();
        const a = await account(q, plan.map((p) => JSON.parse(p.body).key), ledger, [w]);
        expect(a.parked.map((p) => p.key).sort()).toEqual(["reject-0", "reject-1"]);
        for (const p of a.parked) expect(p).toMatchObject({ reason: "HandlerRejected", description: `exit 65: cannot process ${p.key}: bad input` });
        // The hung ones were killed with their grandchildren (the `sleep` each started in the background).
        expect(logsOf([w], "handler failed, released for retry").filter((l) => /did not exit within 1500 ms/.test(String(l.error)))).toHaveLength(2);
        expect(script.leftovers()).toEqual([]);
        expect(logsOf([w], "handler failed, released for retry").filter((l) => /killed by SIGKILL/.test(String(l.error)))).toHaveLength(2);
        // Output: logged line by line with the message id, bounded per message (16 KiB), the rest counted.
        const noisyId = ledger.find((e) => e.key === "noisy-0")!.id;
        const lines = w.logs().filter((l) => l.msg === "handler output" && l.id === noisyId);
        expect(lines.length).toBeGreaterThan(100);
        expect(lines.reduce((n, l) => n + Buffer.byteLength(String(l.line)) + 1, 0)).toBeLessThanOrEqual(16 * 1024);
        expect(w.logs().find((l) => l.msg === "handler output over the per-message limit was dropped" && l.id === noisyId)?.droppedBytes).toBeGreaterThan(50_000);
        // The metadata: CloudEvents attributes as CE_* variables; none of the worker's KEDASCALE_* settings.
        const seen = script.seenEnv();
        const envId = ledger.find((e) => e.key === "env-0")!.id!;
        expect(seen).toContain(`CE_ID=${envId}`);
        expect(seen).toMatch(/^CE_SOURCE=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/jobs-[0-9a-f]+$/m);
        expect(seen).toMatch(/^CE_SPECVERSION=1\.0$/m);
        expect(seen).toMatch(/^CE_TYPE=kedascale\.message$/m);
        expect(seen).toMatch(/^CE_DELIVERYCOUNT=1$/m);
        expect(seen).toMatch(/^CE_CONTENT_TYPE=application\/octet-stream$/m);
        expect(seen).toMatch(/^CE_TIME=\d{4}-\d\d-\d\dT/m);
        expect(seen).not.toMatch(/KEDASCALE_/);
        figures.push({ test: "exec: every kind of exit", messages: plan.length, faults: "3 exit 1, 2 exit 65, 2 hung past 1.5 s (group killed), 2 SIGKILLed themselves, 1 writing ~100 KB", lost: a.lost, completedWithoutAck: a.completedWithoutAck, parkedAcked: a.parkedAcked, parked: a.parked.length, seconds: (Date.now() - t0) / 1000 });
    }, 150_000);

    it("workers SIGTERMed and SIGKILLed mid-process: the group is killed on SIGTERM, nothing lost or completed unacknowledged", async () => {
        const t0 = Date.now();
        const q = await target.queue({ maxDeliveryCount: 20 });
        const script = writeExecHandler();
        cleanups.push(() => script.dispose());
        const keys = Array.from({ length: 12 }, (_, i) => `s-${i}`);
        await send(q, keys.map((k) => act(k, "slow", { n: 2 })));
        const env = { ...q.env, ...FAST, ...script.env, KEDASCALE_GRACE_MS: "300" };
        const args = ["work", "--handler", "exec", "--inflight", "3", "--batch", "3", "--", ...script.command];
        const all: CliProcess[] = [];
        const spawnWorker = () => (all.push(startCli(args, env)), all.at(-1)!);
        const pool = [spawnWorker(), spawnWorker()];
        for (let round = 0; round < 6 && (await depth(q)) > 0; round++) {
            await sleep(1000);
            pool[round % 2].proc.kill(round % 2 === 0 ? "SIGTERM" : "SIGKILL");
            pool[round % 2] = spawnWorker();
        }
        await until(pool, "all done", async () => (await depth(q)) === 0, 90_000);
        await Promise.all(all.map((w) => w.exit));
        // SIGKILLed workers' children are orphans that finish their 2 s and exit; give them the time, then count.
        await sleep(2500);
        const a = await account(q, keys, script.ledger(), all);
        expect(a.parked).toEqual([]);
        for (const w of all.filter((x) => x.proc.signalCode === null)) expect(w.proc.exitCode).toBe(0);
        figures.push({ test: "exec: workers SIGTERMed and SIGKILLed mid-process", messages: keys.length, faults: "3 SIGTERM (grace 0.3 s), 3 SIGKILL, processes of 2 s", lost: a.lost, completedWithoutAck: a.completedWithoutAck, parkedAcked: a.parkedAcked, parked: 0, seconds: (Date.now() - t0) / 1000 });
    }, 150_000);
});
