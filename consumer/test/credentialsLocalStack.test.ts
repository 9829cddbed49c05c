/**
 * Issue 23 point 1, the `local` stack's credential path (components/plan/localAzurite.ts): pods get Azurite's
 * account-key connection string from a Secret, the same string for the queue and for results
 * (azuriteCredentialEnv), with explicit endpoints at the in-cluster Service. Here it is that very string with only the
 * Service's host and ports swapped for the test's Azurite on loopback (no cluster DNS here), handed to the worker
 * under exactly the variable names the pod spec uses.
 */
import { ContainerClient } from "@azure/storage-blob";
import { QueueClient } from "@azure/storage-queue";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AZURITE_BLOB_PORT, AZURITE_QUEUE_PORT, azuriteConnectionString, azuriteCredentialEnv, azuriteHost, DEFAULT_LOCAL_AZURITE } from "../../components/plan/localAzurite";
import { servicePort } from "./support/faultProxy";
import { startAzurite, type Azurite } from "./support/azurite";
import { runCli } from "./support/processes";

let azurite: Azurite;
beforeAll(async () => {
    azurite = await startAzurite();
}, 60_000);
afterAll(() => azurite?.stop());

/** The Secret's string, pointed at loopback: host and ports only. */
function localStackConnectionString(): string {
    const host = azuriteHost(DEFAULT_LOCAL_AZURITE);
    return azuriteConnectionString(DEFAULT_LOCAL_AZURITE)
        .replace(`http://${host}:${AZURITE_BLOB_PORT}/`, `http://127.0.0.1:${servicePort(azurite.connectionString, "Blob")}/`)
        .replace(`http://${host}:${AZURITE_QUEUE_PORT}/`, `http://127.0.0.1:${servicePort(azurite.connectionString, "Queue")}/`);
}

describe("local stack: Azurite's connection string from the Secret", () => {
    it("a Job's worker (--once) takes its message and writes its result with the pod's env, nothing else", async () => {
        const id = randomBytes(3).toString("hex");
        const queue = `local-${id}`;
        const container = `local-results-${id}`;
        const cs = localStackConnectionString();
        expect(cs).not.toContain(azuriteHost(DEFAULT_LOCAL_AZURITE));
        await new QueueClient(cs, queue).create();
        await new QueueClient(cs, `${queue}-poison`).create();
        await new ContainerClient(cs, container).create();
        await new QueueClient(cs, queue).sendMessage(JSON.stringify({ runId: `local${id}`, seq: 1, id: `local${id}-1` }));
        // The pod's credential variables, each set to what its secretKeyRef resolves to.
        const credentialEnv = Object.fromEntries(azuriteCredentialEnv("azurite-connection").map((e) => [e.name, cs]));
        expect(Object.keys(credentialEnv).sort()).toEqual(["KEDASCALE_CONNECTION_STRING", "KEDASCALE_RESULTS_CONNECTION_STRING"]);
        const r = await runCli(["work", "--once"], { ...credentialEnv, KEDASCALE_BROKER: "storageQueue", KEDASCALE_QUEUE: queue, KEDASCALE_RESULTS_CONTAINER: container, KEDASCALE_WAIT_MS: "500" }, 30_000);
        expect(r.code, r.output).toBe(0);
        expect(await new ContainerClient(cs, container).getBlockBlobClient(`local${id}/1.json`).exists()).toBe(true);
    });
});
