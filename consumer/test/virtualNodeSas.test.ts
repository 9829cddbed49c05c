/**
 * A virtual-node (ACI) pod has no identity: its Storage credentials are service SAS tokens, one per queue and one for
 * the results container, as the program issues them (components/azure/virtualNodeCredential.ts) — the queue `rup`,
 * the poison queue `a`, the results container `rcw` (no `l`), HTTPS only, expiring at the rotation window's end.
 * The worker runs here with exactly those (support/stackCredentials.ts, on Azurite over HTTPS, which enforces them)
 * with the args the stack renders (workload.ts: a Deployment runs `work --inflight N`, a ScaledJob `work --once`),
 * and must receive, renew, release, complete, park and write results with them — needing nothing more (issue 23
 * point 1: its start-up check used to list the container, which `rcw` refuses).
 */
import { ContainerClient } from "@azure/storage-blob";
import { QueueClient } from "@azure/storage-queue";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAS_PERMISSIONS } from "../../components/plan/virtualNodes";
import { startAzurite, type Azurite } from "./support/azurite";
import { runCli, startCli, waitFor } from "./support/processes";
import { selfSignedCert, stackExpiry, trustInThisProcess, VALIDITY_DAYS, virtualNodeStorageEnv, type Cert } from "./support/stackCredentials";

let azurite: Azurite;
let cert: Cert;
/** The worker trusts Azurite's certificate as a pod trusts Azure's. */
let tlsEnv: Record<string, string>;
beforeAll(async () => {
    cert = selfSignedCert();
    trustInThisProcess(cert);
    tlsEnv = { NODE_EXTRA_CA_CERTS: cert.certPath };
    azurite = await startAzurite({ tls: cert });
}, 60_000);
afterAll(async () => {
    await azurite?.stop();
    cert?.remove();
});

// The test's own clients (setting up, checking) use the account key over HTTPS with the same certificate.
const admin = () => azurite.connectionString;

async function workload(): Promise<{ queue: string; container: string; id: string }> {
    const id = randomBytes(3).toString("hex");
    const names = { queue: `vn-${id}`, container: `vn-results-${id}`, id };
    const { QueueClient: Q } = await import("@azure/storage-queue");
    await new Q(admin(), names.queue).create();
    await new Q(admin(), `${names.queue}-poison`).create();
    await new ContainerClient(admin(), names.container).create();
    return names;
}

const errorLine = (logs: Record<string, any>[]) => logs.find((l) => l.level === "error");

describe("virtual-node credentials: the stack's SAS tokens, nothing broader", () => {
    it("the SAS env is what the stack renders: per-resource permissions, HTTPS only, the rotation window's expiry", async () => {
        const env = virtualNodeStorageEnv(azurite, { queue: "jobs", container: "results" });
        const sp = (cs: string) => new URLSearchParams(cs.split("SharedAccessSignature=")[1]);
        expect(sp(env.KEDASCALE_CONNECTION_STRING).get("sp")).toBe(SAS_PERMISSIONS.queue);
        expect(sp(env.KEDASCALE_POISON_CONNECTION_STRING).get("sp")).toBe(SAS_PERMISSIONS.poisonQueue);
        expect(sp(env.KEDASCALE_RESULTS_CONNECTION_STRING).get("sp")).toBe(SAS_PERMISSIONS.resultsContainer);
        expect(sp(env.KEDASCALE_RESULTS_CONNECTION_STRING).get("sp")).not.toContain("l");
        expect(sp(env.KEDASCALE_RESULTS_CONNECTION_STRING).get("sr")).toBe("c");
        for (const cs of [env.KEDASCALE_CONNECTION_STRING, env.KEDASCALE_POISON_CONNECTION_STRING, env.KEDASCALE_RESULTS_CONNECTION_STRING]) {
            expect(sp(cs).get("spr")).toBe("https");
            expect(new Date(sp(cs).get("se")!).getTime()).toBe(stackExpiry().getTime());
        }
    });

    it("a Deployment's worker (continuous) receives, renews, releases, completes, parks and writes results with them", async () => {
        const { queue, container, id } = await workload();
        const q = new QueueClient(admin(), queue);
        await q.sendMessage("this is not JSON");
        // Longer than the visibility window: renewed with Update Message (u).
        await q.sendMessage(JSON.stringify({ runId: `vn${id}`, seq: 1, id: `vn${id}-1`, workMs: 2500 }));
        // Fails once: released with a backoff (Update Message), then completed.
        await q.sendMessage(JSON.stringify({ runId: `vn${id}`, seq: 2, id: `vn${id}-2`, failDeliveries: 1 }));
        await q.sendMessage(JSON.stringify({ runId: `vn${id}`, seq: 3, id: `vn${id}-3` }));
        const env = { ...tlsEnv, ...virtualNodeStorageEnv(azurite, { queue, container }, { validityDays: VALIDITY_DAYS.min }), KEDASCALE_WAIT_MS: "300", KEDASCALE_VISIBILITY_TIMEOUT: "1", KEDASCALE_RELEASE_BACKOFF_MS: "200" };
        const worker = startCli(["work", "--inflight", "4"], env);
        try {
            const results = new ContainerClient(admin(), container);
            const names = async () => {
                const found: string[] = [];
                for await (const b of results.listBlobsFlat({ prefix: `vn${id}/` })) found.push(b.name);
                return found.length === 3 ? found : undefined;
            };
            await waitFor("three results", names, 30_000);
            await waitFor("the bad message parked", async () => ((await new QueueClient(admin(), `${queue}-poison`).peekMessages({ numberOfMessages: 32 })).peekedMessageItems.length === 1 ? true : undefined), 30_000);
            await waitFor("an empty queue", async () => ((await q.getProperties()).approximateMessagesCount === 0 ? true : undefined), 30_000);
        } finally {
            worker.proc.kill("SIGTERM");
        }
        const exit = await worker.exit;
        expect(exit.code, worker.errLines.join("\n")).toBe(0);
        const summary = JSON.parse(worker.lines.at(-1)!) as { completed: number; deadLettered: number; renewFailures: number };
        expect(summary).toMatchObject({ completed: 3, deadLettered: 1, renewFailures: 0 });
        const logs = worker.logs();
        expect(errorLine(logs), JSON.stringify(errorLine(logs))).toBeUndefined();
        expect(logs.some((l) => /not ready/.test(String(l.msg)))).toBe(false);
    }, 60_000);

    it("a ScaledJob's worker (--once) takes one message and exits 0", async () => {
        const { queue, container, id } = await workload();
        await new QueueClient(admin(), queue).sendMessage(JSON.stringify({ runId: `vn${id}`, seq: 1, id: `vn${id}-1` }));
        const r = await runCli(["work", "--once"], { ...tlsEnv, ...virtualNodeStorageEnv(azurite, { queue, container }), KEDASCALE_WAIT_MS: "500" }, 30_000);
        expect(r.code, r.output).toBe(0);
        expect(await new ContainerClient(admin(), container).getBlockBlobClient(`vn${id}/1.json`).exists()).toBe(true);
    });

    it("without the poison SAS, the worker refuses to start, naming the poison queue: nothing is received that it could not park", async () => {
        const { queue, container } = await workload();
        await new QueueClient(admin(), queue).sendMessage("this is not JSON");
        const env = { ...tlsEnv, ...virtualNodeStorageEnv(azurite, { queue, container }), KEDASCALE_WAIT_MS: "500" };
        delete (env as Record<string, string | undefined>).KEDASCALE_POISON_CONNECTION_STRING;
        const r = await runCli(["work", "--once"], env, 30_000);
        expect(r.code).toBe(1);
        expect(errorLine(r.logs)?.msg).toContain(`${queue}-poison`);
        expect((await new QueueClient(admin(), queue).getProperties()).approximateMessagesCount).toBe(1);
    });

    it("a results SAS without read fails at start, even in continuous mode: a SAS never gains a permission, waiting would not help", async () => {
        const { queue, container } = await workload();
        const env = { ...tlsEnv, ...virtualNodeStorageEnv(azurite, { queue, container }, { override: { resultsContainer: "cw" } }), KEDASCALE_WAIT_MS: "500" };
        const r = await runCli(["work"], env, 30_000);
        expect(r.code).toBe(1);
        const error = errorLine(r.logs);
        expect(error?.msg).toContain(`results container '${container}'`);
        expect(error?.msg).toContain("SAS does not permit");
        expect(error?.fix).toContain("read, create and write");
    });
});
