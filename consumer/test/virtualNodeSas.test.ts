/**
 * A virtual-node (ACI) pod has no identity: its Storage credentials are service SAS tokens, one per queue, as the
 * program issues them (components/azure/virtualNodeCredential.ts). The worker must receive, renew and delete with the
 * queue's SAS (r, u, p) and park a bad message with the poison queue's own SAS (a) — never dropping it.
 */
import { ContainerClient } from "@azure/storage-blob";
import { QueueClient, QueueSASPermissions, StorageSharedKeyCredential, generateQueueSASQueryParameters } from "@azure/storage-queue";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type Azurite } from "./support/azurite";
import { runCli } from "./support/processes";

const DEV_ACCOUNT = "devstoreaccount1";
// Azurite's published well-known development key (not a secret: it is in Azurite's own documentation).
const DEV_KEY = ["Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsu", "Fq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="].join("");

let azurite: Azurite;
beforeAll(async () => {
    azurite = await startAzurite();
}, 60_000);
afterAll(() => azurite?.stop());

/** A SAS connection string for one queue, as the program renders it (QueueEndpoint + SharedAccessSignature). */
function queueSas(queue: string, permissions: string): string {
    const endpoint = /QueueEndpoint=([^;]+)/.exec(azurite.connectionString)![1].replace(/\/$/, "");
    const sas = generateQueueSASQueryParameters(
        { queueName: queue, permissions: QueueSASPermissions.parse(permissions), expiresOn: new Date(Date.now() + 3_600_000) },
        new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY),
    ).toString();
    return `QueueEndpoint=${endpoint};SharedAccessSignature=${sas}`;
}

describe("virtual-node credentials: one SAS per queue", () => {
    it("parks a bad message with the poison queue's own SAS and completes a good one with the queue's", async () => {
        const id = randomBytes(3).toString("hex");
        const queue = `vn-${id}`;
        const container = `vn-results-${id}`;
        const cs = azurite.connectionString;
        await new QueueClient(cs, queue).create();
        await new QueueClient(cs, `${queue}-poison`).create();
        await new ContainerClient(cs, container).create();
        await new QueueClient(cs, queue).sendMessage("this is not JSON");
        await new QueueClient(cs, queue).sendMessage(JSON.stringify({ runId: `vn${id}`, seq: 1, id: `vn${id}-1` }));

        const env = {
            KEDASCALE_BROKER: "storageQueue",
            KEDASCALE_QUEUE: queue,
            KEDASCALE_CONNECTION_STRING: queueSas(queue, "rup"),
            KEDASCALE_POISON_CONNECTION_STRING: queueSas(`${queue}-poison`, "a"),
            KEDASCALE_RESULTS_CONNECTION_STRING: cs,
            KEDASCALE_RESULTS_CONTAINER: container,
            KEDASCALE_WAIT_MS: "500",
        };
        const r = await runCli(["work", "--drain"], env, 60_000);
        expect(r.code, r.errLines.join("\n")).toBe(0);
        const parked = await new QueueClient(cs, `${queue}-poison`).peekMessages({ numberOfMessages: 32 });
        expect(parked.peekedMessageItems).toHaveLength(1);
        expect(parked.peekedMessageItems[0].messageText).toContain("this is not JSON");
        expect((await new QueueClient(cs, queue).getProperties()).approximateMessagesCount).toBe(0);
    });

    it("without the poison SAS, the worker refuses to start, naming the poison queue: nothing is received that it could not park", async () => {
        const id = randomBytes(3).toString("hex");
        const queue = `vn-${id}`;
        const cs = azurite.connectionString;
        await new QueueClient(cs, queue).create();
        await new QueueClient(cs, `${queue}-poison`).create();
        await new ContainerClient(cs, `vn-results-${id}`).create();
        await new QueueClient(cs, queue).sendMessage("this is not JSON");
        const env = {
            KEDASCALE_BROKER: "storageQueue",
            KEDASCALE_QUEUE: queue,
            KEDASCALE_CONNECTION_STRING: queueSas(queue, "rup"),
            KEDASCALE_RESULTS_CONNECTION_STRING: cs,
            KEDASCALE_RESULTS_CONTAINER: `vn-results-${id}`,
            KEDASCALE_WAIT_MS: "500",
        };
        const r = await runCli(["work", "--once"], env, 60_000);
        expect(r.code).toBe(1);
        const error = r.errLines.map((l) => JSON.parse(l) as { level: string; msg: string }).find((l) => l.level === "error");
        expect(error?.msg).toContain(`${queue}-poison`);
        expect((await new QueueClient(cs, queue).getProperties()).approximateMessagesCount).toBe(1);
    });
});
