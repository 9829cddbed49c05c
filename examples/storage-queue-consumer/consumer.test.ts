/**
 * The Storage-queue example (consumer.py) against a real Azurite, run as a process the way a ScaledJob's pod runs it:
 * with Debian's python3 and Azure SDK (examples/support/python.ts), the worker's own `send` feeding it and `verify`
 * checking its results. Its config rules and helpers are unit-tested in test_config.py, run at the end.
 */
import { QueueClient } from "@azure/storage-queue";
import { ContainerClient } from "@azure/storage-blob";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type Azurite } from "../../consumer/test/support/azurite";
import { BUNDLE, startCli } from "../../consumer/test/support/processes";
import { ensurePythonAzure, INSTALL_TIMEOUT_MS, run, start, unittest } from "../support/python";

const DIR = __dirname;
let azurite: Azurite;

beforeAll(async () => {
    ensurePythonAzure();
    azurite = await startAzurite();
}, INSTALL_TIMEOUT_MS);
afterAll(async () => azurite?.stop());

/** A fresh queue, its poison queue and a results container: each test owns its own. */
async function fixture() {
    const name = `q${randomUUID().slice(0, 8)}`;
    const q = new QueueClient(azurite.connectionString, name);
    const poison = new QueueClient(azurite.connectionString, `${name}-poison`);
    const container = new ContainerClient(azurite.connectionString, `res-${name}`);
    await Promise.all([q.create(), poison.create(), container.create()]);
    const env = {
        KEDASCALE_BROKER: "storageQueue",
        KEDASCALE_QUEUE: name,
        KEDASCALE_CONNECTION_STRING: azurite.connectionString,
        KEDASCALE_RESULTS_CONNECTION_STRING: azurite.connectionString,
        KEDASCALE_RESULTS_CONTAINER: `res-${name}`,
        RECEIVE_WAIT_MS: "300",
    };
    return { name, queue: q, poison, container, env };
}

const consumer = (env: Record<string, string>) => run(["consumer.py"], { cwd: DIR, env });

async function depth(q: QueueClient): Promise<number> {
    return (await q.getProperties()).approximateMessagesCount ?? 0;
}

async function parked(poison: QueueClient): Promise<Record<string, any>[]> {
    const r = await poison.peekMessages({ numberOfMessages: 32 });
    return r.peekedMessageItems.map((m) => JSON.parse(m.messageText));
}

/** Waits until a message put back with a delay is visible again (bounded). */
async function visibleAgain(q: QueueClient, withinMs = 15_000): Promise<void> {
    const until = Date.now() + withinMs;
    while (Date.now() < until) {
        if ((await q.peekMessages()).peekedMessageItems.length > 0) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no visible message within ${withinMs} ms`);
}

describe("storage-queue-consumer: one message per run against Azurite", () => {
    it("takes exactly one message per run, stores its result create-only and deletes it; kedascale verify accepts the results", async () => {
        const f = await fixture();
        const send = startCli(["send", "--count", "3", "--run-id", "py1", "--queue", f.name, "--connection-string", azurite.connectionString,
            "--results-connection-string", azurite.connectionString, "--results-container", f.env.KEDASCALE_RESULTS_CONTAINER], {}, BUNDLE);
        expect((await send.exit).code).toBe(0);
        for (const left of [2, 1, 0]) {
            const r = await consumer(f.env);
            expect(r.code, r.stdout + r.stderr).toBe(0);
            expect(r.logs.filter((l) => l.msg === "completed")).toHaveLength(1);
            expect(await depth(f.queue)).toBe(left);
        }
        const empty = await consumer(f.env);
        expect(empty.code).toBe(0);
        expect(empty.logs.some((l) => l.msg === "no message")).toBe(true);
        const verify = startCli(["verify", "--run-id", "py1", "--connection-string", azurite.connectionString, "--results-connection-string", azurite.connectionString,
            "--results-container", f.env.KEDASCALE_RESULTS_CONTAINER, "--queue", f.name], {}, BUNDLE);
        const v = await verify.exit;
        expect(v.code, verify.lines.join("\n") + verify.errLines.join("\n")).toBe(0);
        expect(JSON.parse(verify.lines.join("\n"))).toMatchObject({ expected: 3, found: 3, missing: 0, duplicates: 0, ok: true });
        expect(await parked(f.poison)).toEqual([]);
    });

    it("parks a message that is not JSON at once, with its reason and body, and exits 0", async () => {
        const f = await fixture();
        await f.queue.sendMessage("this is not json {");
        const r = await consumer(f.env);
        expect(r.code, r.stdout).toBe(0);
        expect(await depth(f.queue)).toBe(0);
        const [p] = await parked(f.poison);
        expect(p).toMatchObject({ reason: "NotJson", deliveryCount: 1, body: "this is not json {" });
        expect(p.description).toMatch(/not JSON/);
    });

    it("parks a JSON message that breaks the schema, naming every problem", async () => {
        const f = await fixture();
        await f.queue.sendMessage(JSON.stringify({ id: "../x", workMs: -1 }));
        expect((await consumer(f.env)).code).toBe(0);
        const [p] = await parked(f.poison);
        expect(p.reason).toBe("SchemaViolation");
        expect(p.description).toMatch(/id must be/);
        expect(p.description).toMatch(/workMs must be/);
    });

    it("a body too big to park whole is kept in the results container and the parked copy points at it", async () => {
        const f = await fixture();
        // 40,000 quotes: 40 KB on the queue, 80 KB once JSON-escaped inside the parked envelope (over 64 KiB).
        const body = '"'.repeat(40_000);
        await f.queue.sendMessage(body);
        expect((await consumer(f.env)).code).toBe(0);
        const [p] = await parked(f.poison);
        expect(p).toMatchObject({ reason: "NotJson", truncated: true, originalBytes: 40_000, bodyRef: `_parked/${f.name}/${p.brokerId}` });
        expect((await f.container.getBlobClient(p.bodyRef).downloadToBuffer()).toString()).toBe(body);
    });

    it("a failing message is put back with a delay, then parked once its deliveries run out", async () => {
        const f = await fixture();
        const env = { ...f.env, KEDASCALE_MAX_DELIVERY_COUNT: "2" };
        await f.queue.sendMessage(JSON.stringify({ id: "always-fails", failDeliveries: -1 }));
        const first = await consumer(env);
        expect(first.code).toBe(0);
        expect(first.logs.find((l) => l.msg === "work failed: message put back")).toMatchObject({ deliveryCount: 1, retryInS: 1 });
        expect(await parked(f.poison)).toEqual([]);
        expect(await depth(f.queue)).toBe(1);
        await visibleAgain(f.queue);
        expect((await consumer(env)).code).toBe(0);
        expect(await depth(f.queue)).toBe(0);
        const [p] = await parked(f.poison);
        expect(p).toMatchObject({ reason: "MaxDeliveryCountExceeded", deliveryCount: 2 });
        expect(p.description).toMatch(/delivery 2 of 2 failed: TransientFailure/);
    });

    it("a message already received more times than allowed (runs that crashed) is parked before any work", async () => {
        const f = await fixture();
        await f.queue.sendMessage(JSON.stringify({ id: "crashed", workMs: 600_000 }));
        // Two receives that never settle: the deliveries of two pods killed mid-work.
        for (let i = 0; i < 2; i++) {
            await f.queue.receiveMessages({ visibilityTimeout: 1 });
            await visibleAgain(f.queue);
        }
        const r = await consumer({ ...f.env, KEDASCALE_MAX_DELIVERY_COUNT: "2" });
        expect(r.code).toBe(0);
        const [p] = await parked(f.poison);
        expect(p).toMatchObject({ reason: "MaxDeliveryCountExceeded", deliveryCount: 3 });
    });

    it("keeps the message invisible while the work outlasts the visibility timeout, then completes it", async () => {
        const f = await fixture();
        await f.queue.sendMessage(JSON.stringify({ id: "slow", workMs: 4_500 }));
        const p = start(["consumer.py"], { cwd: DIR, env: { ...f.env, KEDASCALE_LOCK_DURATION_MS: "2000" } });
        await p.waitForLog((l) => l.msg === "received");
        // Past two visibility windows, another consumer still finds nothing: the lease was renewed.
        await new Promise((r) => setTimeout(r, 3_500));
        expect((await f.queue.receiveMessages({ visibilityTimeout: 1 })).receivedMessageItems).toEqual([]);
        expect((await p.exit).code).toBe(0);
        expect(p.logs().some((l) => l.msg === "completed")).toBe(true);
        expect(await depth(f.queue)).toBe(0);
        expect(await f.container.getBlobClient("items/slow.json").exists()).toBe(true);
    });

    it("SIGTERM mid-work: finishes within the grace, else puts the message back at once and exits 143", async () => {
        const f = await fixture();
        await f.queue.sendMessage(JSON.stringify({ id: "finishes", workMs: 1_000 }));
        const finishing = start(["consumer.py"], { cwd: DIR, env: { ...f.env, KEDASCALE_GRACE_MS: "20000" } });
        await finishing.waitForLog((l) => l.msg === "received");
        finishing.proc.kill("SIGTERM");
        expect((await finishing.exit).code).toBe(0);
        expect(await depth(f.queue)).toBe(0);
        expect(await f.container.getBlobClient("items/finishes.json").exists()).toBe(true);

        await f.queue.sendMessage(JSON.stringify({ id: "too-slow", workMs: 600_000 }));
        const cut = start(["consumer.py"], { cwd: DIR, env: { ...f.env, KEDASCALE_GRACE_MS: "300", KEDASCALE_LOCK_DURATION_MS: "600000" } });
        await cut.waitForLog((l) => l.msg === "received");
        cut.proc.kill("SIGTERM");
        expect((await cut.exit).code).toBe(143);
        // Put back at once (visibility 0), not after the 600 s window: the next Job gets it now.
        const again = await f.queue.receiveMessages({ visibilityTimeout: 1 });
        expect(again.receivedMessageItems.map((m) => JSON.parse(m.messageText).id)).toEqual(["too-slow"]);
        expect(await f.container.getBlobClient("items/too-slow.json").exists()).toBe(false);
    });

    it("a queue that does not exist: exits 1 saying what to check, no traceback", async () => {
        const f = await fixture();
        const r = await consumer({ ...f.env, KEDASCALE_QUEUE: "no-such-queue" });
        expect(r.code).toBe(1);
        expect(r.logs.find((l) => l.level === "error")).toMatchObject({ queue: "no-such-queue", fix: expect.stringMatching(/roles/) });
        expect(r.stderr).not.toMatch(/Traceback/);
    });

    it("bad configuration: exit 2 before touching the queue, every problem named at once", async () => {
        const r = await consumer({ KEDASCALE_QUEUE: "Bad_Name", KEDASCALE_CONNECTION_STRING: "DefaultEndpointsProtocol=https;AccountName=prodacct;AccountKey=abc=", KEDASCALE_MAX_DELIVERY_COUNT: "0" });
        expect(r.code).toBe(2);
        const errors = r.logs.filter((l) => l.level === "error").map((l) => l.msg).join("\n");
        expect(errors).toMatch(/KEDASCALE_QUEUE='Bad_Name'/);
        expect(errors).toMatch(/KEDASCALE_CONNECTION_STRING .*real account/);
        expect(errors).toMatch(/KEDASCALE_MAX_DELIVERY_COUNT='0'/);
    });

    it("its Python unit tests pass (test_config.py)", async () => {
        const r = await unittest(DIR);
        expect(r.code, r.output).toBe(0);
        expect(r.output).toMatch(/^OK/m);
        expect(Number(/Ran (\d+) tests/.exec(r.output)?.[1])).toBeGreaterThanOrEqual(16);
    });
});
