/**
 * Issue 23, "workers that wait for what is not there yet": right after `pulumi up` a worker can start before its
 * queue or container exists, or while its role assignment still propagates (403 for up to 10 minutes:
 * learn.microsoft.com/azure/role-based-access-control/troubleshooting#role-assignment-changes-are-not-being-detected).
 * Real worker processes (the bundle) against a real Azurite: a Deployment's worker waits with a named, repeated
 * warning and /healthz 503 (not ready) until everything is there, then processes every message; a Job's worker waits
 * within its receive budget, and past it exits non-zero with the named problem. The 403 comes from a loopback proxy
 * (support/storageProxy.ts) for as long as the test says. Every wait is on an event (a log line, a status), not a sleep.
 */
import { ContainerClient } from "@azure/storage-blob";
import { QueueClient } from "@azure/storage-queue";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servicePort } from "./support/faultProxy";
import { freePort, startAzurite, type Azurite } from "./support/azurite";
import { runCli, startCli, waitFor, type CliProcess } from "./support/processes";
import { startStorageProxy } from "./support/storageProxy";

let azurite: Azurite;
beforeAll(async () => {
    azurite = await startAzurite();
}, 60_000);
afterAll(() => azurite?.stop());

/** Quick retries and reminders, so the test waits seconds, not the defaults' 15 s and 30 s. */
const FAST = { KEDASCALE_STARTUP_RETRY_MAX_MS: "300", KEDASCALE_OUTAGE_LOG_EVERY_MS: "1000", KEDASCALE_WAIT_MS: "300" };

function names() {
    const id = randomBytes(3).toString("hex");
    return { id, queue: `late-${id}`, container: `late-results-${id}` };
}

const notReady = (p: CliProcess, about: string) => p.logs().filter((l) => l.level === "warn" && String(l.msg).startsWith("not ready:") && String(l.msg).includes(about));

async function health(port: number): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
    try {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    } catch {
        return undefined; // not listening yet
    }
}

async function sendAll(queue: string, id: string, count: number): Promise<void> {
    const q = new QueueClient(azurite.connectionString, queue);
    for (let seq = 1; seq <= count; seq++) await q.sendMessage(JSON.stringify({ runId: `late${id}`, seq, id: `late${id}-${seq}` }));
}

async function resultCount(container: string, id: string): Promise<number> {
    let n = 0;
    for await (const _ of new ContainerClient(azurite.connectionString, container).listBlobsFlat({ prefix: `late${id}/` })) n++;
    return n;
}

/** Everything exists and `count` messages wait, but a proxy answers 403 on the queue and its poison queue until `allow()`. */
async function behindDenyingProxy(count: number) {
    const n = names();
    await new QueueClient(azurite.connectionString, n.queue).create();
    await new QueueClient(azurite.connectionString, `${n.queue}-poison`).create();
    await new ContainerClient(azurite.connectionString, n.container).create();
    await sendAll(n.queue, n.id, count);
    const proxy = await startStorageProxy(servicePort(azurite.connectionString, "Queue"));
    proxy.deny((r) => r.path.startsWith(`/devstoreaccount1/${n.queue}`));
    return { ...n, proxy };
}

describe("a Deployment's worker (continuous) waits for what is not there yet", () => {
    it("queue, poison queue and container created after it started: waits not ready, naming each, then processes every message", async () => {
        const { id, queue, container } = names();
        const port = await freePort();
        const worker = startCli(["work", "--inflight", "4", "--health-port", String(port)], { KEDASCALE_CONNECTION_STRING: azurite.connectionString, KEDASCALE_QUEUE: queue, KEDASCALE_RESULTS_CONTAINER: container, ...FAST });
        try {
            // Named and repeated: the queue, its fix, more than once.
            await waitFor("the missing queue named twice", () => (notReady(worker, `queue '${queue}'`).length >= 2 ? true : undefined), 20_000);
            const line = notReady(worker, `queue '${queue}'`)[0];
            expect(line.msg).toContain("does not exist");
            expect(line.fix).toContain("az storage queue create");
            const waiting = await waitFor("/healthz answering", () => health(port), 10_000);
            expect(waiting.status).toBe(503);
            expect(waiting.body).toMatchObject({ status: "starting" });
            expect(String(waiting.body.waitingFor)).toContain(queue);
            expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);

            await new QueueClient(azurite.connectionString, queue).create();
            await new QueueClient(azurite.connectionString, `${queue}-poison`).create();
            await sendAll(queue, id, 20);
            // Now the container is what is missing: named at once (a new problem is not held back by the reminder pace).
            await waitFor("the missing container named", () => (notReady(worker, `results container '${container}'`).length >= 1 ? true : undefined), 20_000);
            expect((await health(port))?.status).toBe(503);

            await new ContainerClient(azurite.connectionString, container).create();
            await waitFor("all 20 results", async () => ((await resultCount(container, id)) === 20 ? true : undefined), 30_000);
            expect((await health(port))?.status).toBe(200);
            expect(worker.logs().some((l) => l.msg === "start-up check passed: starting")).toBe(true);
        } finally {
            worker.proc.kill("SIGTERM");
        }
        const exit = await worker.exit;
        expect(exit.code, worker.errLines.join("\n")).toBe(0);
        expect(JSON.parse(worker.lines.at(-1)!)).toMatchObject({ completed: 20, deadLettered: 0 });
        expect((await new QueueClient(azurite.connectionString, queue).getProperties()).approximateMessagesCount).toBe(0);
    }, 60_000);

    it("403 on its queue while its role propagates: waits not ready, naming the queue and the 403, then processes every message", async () => {
        const { id, queue, container, proxy } = await behindDenyingProxy(10);
        const port = await freePort();
        const worker = startCli(["work", "--inflight", "4", "--health-port", String(port)], {
            KEDASCALE_CONNECTION_STRING: proxy.route(azurite.connectionString, "Queue"),
            KEDASCALE_RESULTS_CONNECTION_STRING: azurite.connectionString,
            KEDASCALE_QUEUE: queue,
            KEDASCALE_RESULTS_CONTAINER: container,
            ...FAST,
        });
        try {
            await waitFor("the 403 named twice", () => (notReady(worker, `queue '${queue}'`).length >= 2 ? true : undefined), 20_000);
            expect(notReady(worker, `queue '${queue}'`)[0]).toMatchObject({ status: 403, code: "AuthorizationPermissionMismatch" });
            expect((await waitFor("/healthz answering", () => health(port), 10_000)).status).toBe(503);
            proxy.allow();
            await waitFor("all 10 results", async () => ((await resultCount(container, id)) === 10 ? true : undefined), 30_000);
            expect((await health(port))?.status).toBe(200);
        } finally {
            worker.proc.kill("SIGTERM");
            await worker.exit;
            await proxy.close();
        }
        expect(proxy.refused).toBeGreaterThanOrEqual(2);
        expect(JSON.parse(worker.lines.at(-1)!)).toMatchObject({ completed: 10, deadLettered: 0 });
    }, 60_000);
});

describe("a Job's worker (--once) waits within its receive budget", () => {
    it("a container created late, within the budget: takes its message and exits 0", async () => {
        const { id, queue, container } = names();
        await new QueueClient(azurite.connectionString, queue).create();
        await new QueueClient(azurite.connectionString, `${queue}-poison`).create();
        await sendAll(queue, id, 1);
        const job = startCli(["work", "--once"], { KEDASCALE_CONNECTION_STRING: azurite.connectionString, KEDASCALE_QUEUE: queue, KEDASCALE_RESULTS_CONTAINER: container, KEDASCALE_RECEIVE_RETRY_BUDGET_MS: "30000", ...FAST });
        await waitFor("the missing container named", () => (notReady(job, `results container '${container}'`).length >= 1 ? true : undefined), 20_000);
        await new ContainerClient(azurite.connectionString, container).create();
        const exit = await job.exit;
        expect(exit.code, job.errLines.join("\n")).toBe(0);
        expect(await resultCount(container, id)).toBe(1);
    }, 40_000);

    it("a 403 lasting past the budget: exits non-zero with the named problem, the message still on the queue", async () => {
        const { queue, container, proxy } = await behindDenyingProxy(1);
        try {
            const r = await runCli(["work", "--once"], {
                KEDASCALE_CONNECTION_STRING: proxy.route(azurite.connectionString, "Queue"),
                KEDASCALE_RESULTS_CONNECTION_STRING: azurite.connectionString,
                KEDASCALE_QUEUE: queue,
                KEDASCALE_RESULTS_CONTAINER: container,
                KEDASCALE_RECEIVE_RETRY_BUDGET_MS: "1500",
                ...FAST,
            });
            expect(r.code).toBe(1);
            const error = r.logs.find((l) => l.level === "error");
            expect(error?.msg).toMatch(/^still not ready after \d+ ms/);
            expect(error?.msg).toContain(`queue '${queue}'`);
            expect(error).toMatchObject({ status: 403, code: "AuthorizationPermissionMismatch" });
            expect(r.logs.filter((l) => String(l.msg).startsWith("not ready:")).length).toBeGreaterThanOrEqual(1);
        } finally {
            await proxy.close();
        }
        expect((await new QueueClient(azurite.connectionString, queue).getProperties()).approximateMessagesCount).toBe(1);
    }, 40_000);

    it("a queue that never appears: exits non-zero past the budget, naming the queue and how to create it", async () => {
        const { queue, container } = names();
        const r = await runCli(["work", "--drain"], { KEDASCALE_CONNECTION_STRING: azurite.connectionString, KEDASCALE_QUEUE: queue, KEDASCALE_RESULTS_CONTAINER: container, KEDASCALE_RECEIVE_RETRY_BUDGET_MS: "1000", ...FAST });
        expect(r.code).toBe(1);
        const error = r.logs.find((l) => l.level === "error");
        expect(error?.msg).toContain(`queue '${queue}'`);
        expect(error?.msg).toContain("does not exist");
        expect(error?.fix).toContain("az storage queue create");
    }, 30_000);
});
