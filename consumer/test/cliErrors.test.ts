/**
 * What a user sees when the queue, the poison queue or the results container is missing, the key is wrong, the
 * connection string is malformed or nothing answers: the bundled CLI against a real Azurite exits non-zero at
 * once, with one JSON error line on stderr naming the resource, account and endpoint and the fix.
 */
import { RestError } from "@azure/core-rest-pipeline";
import { ServiceBusError } from "@azure/service-bus";
import { ContainerClient } from "@azure/storage-blob";
import { QueueClient } from "@azure/storage-queue";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { explain, type Target } from "../src/errors";
import { freePort, startAzurite, type Azurite } from "./support/azurite";
import { runCli, startCli, waitFor } from "./support/processes";

let azurite: Azurite;
beforeAll(async () => {
    azurite = await startAzurite();
}, 60_000);
afterAll(() => azurite?.stop());

const id = () => randomBytes(3).toString("hex");

/** A queue, its poison queue and a results container, each only if asked for. */
async function resources(o: { queue?: boolean; poison?: boolean; container?: boolean } = {}) {
    const cs = azurite.connectionString;
    const queue = `q-${id()}`;
    const container = `r-${id()}`;
    if (o.queue !== false) await new QueueClient(cs, queue).create();
    if (o.poison !== false) await new QueueClient(cs, `${queue}-poison`).create();
    if (o.container !== false) await new ContainerClient(cs, container).create();
    return { queue, container, env: { KEDASCALE_BROKER: "storageQueue", KEDASCALE_CONNECTION_STRING: cs, KEDASCALE_QUEUE: queue, KEDASCALE_RESULTS_CONTAINER: container } };
}

/** The one error line: JSON on stderr, nothing on stdout, no class names (minified or SDK). */
function theError(r: { code: number | null; lines: string[]; errLines: string[] }) {
    expect(r.code).toBe(1);
    expect(r.lines, "stdout is for summaries only").toEqual([]);
    const errors = r.errLines.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l.level === "error");
    expect(errors).toHaveLength(1);
    const e = errors[0];
    expect(e.msg).not.toMatch(/RestError|TypeError|^[A-Za-z]{1,3}: /);
    expect(e.fix).toEqual(expect.any(String));
    return e as { msg: string; fix: string } & Record<string, unknown>;
}

// A Job waits for what is missing within --receive-retry-budget-ms (issue 23: startupLate.test.ts); with a budget of 0
// it does not wait, and the problem is reported as found.
const NO_WAIT = { KEDASCALE_RECEIVE_RETRY_BUDGET_MS: "0" };

describe("work fails fast, naming what is missing", () => {
    it("missing queue: names queue, account and endpoint, says to create it or fix --queue", async () => {
        const r = await resources({ queue: false });
        const e = theError(await runCli(["work", "--drain"], { ...r.env, ...NO_WAIT }));
        expect(e.msg).toBe(`queue '${r.queue}' in storage account 'devstoreaccount1' (${azurite.queueEndpoint}) does not exist`);
        expect(e.fix).toMatch(/create it .*az storage queue create .* -n q-\w+.*--queue \(KEDASCALE_QUEUE\)/);
        expect(e).toMatchObject({ resource: "queue", name: r.queue, account: "devstoreaccount1", code: "QueueNotFound" });
    });

    it("missing poison queue: names <queue>-poison", async () => {
        const r = await resources({ poison: false });
        const e = theError(await runCli(["work", "--drain"], { ...r.env, ...NO_WAIT }));
        expect(e.msg).toBe(`poison queue '${r.queue}-poison' in storage account 'devstoreaccount1' (${azurite.queueEndpoint}) does not exist`);
    });

    it("missing results container: names the container and --results-container", async () => {
        const r = await resources({ container: false });
        const e = theError(await runCli(["work", "--once"], { ...r.env, ...NO_WAIT }));
        expect(e.msg).toBe(`results container '${r.container}' in storage account 'devstoreaccount1' (${azurite.blobEndpoint}) does not exist`);
        expect(e.fix).toMatch(/--results-container \(KEDASCALE_RESULTS_CONTAINER\)/);
    });

    it("continuous mode: the check is up front, and a Deployment's worker waits on it (no crash-loop), naming what is missing", async () => {
        const r = await resources({ queue: false });
        const worker = startCli(["work"], { ...r.env, KEDASCALE_STARTUP_RETRY_MAX_MS: "200", KEDASCALE_OUTAGE_LOG_EVERY_MS: "1000" });
        try {
            const line = await waitFor("the named problem", () => worker.logs().find((l) => String(l.msg).startsWith("not ready:")), 20_000);
            expect(line.msg).toContain(`queue '${r.queue}' in storage account 'devstoreaccount1' (${azurite.queueEndpoint}) does not exist`);
            expect(line.fix).toMatch(/az storage queue create/);
            expect(worker.proc.exitCode).toBeNull();
        } finally {
            worker.proc.kill("SIGTERM");
            await worker.exit;
        }
    });
});

describe("send and verify", () => {
    it("send to a missing queue fails before writing its manifest", async () => {
        const r = await resources({ queue: false, poison: false });
        const run = await runCli(["send", "--count", "5", "--run-id", "never"], r.env);
        const e = theError(run);
        expect(e.msg).toMatch(new RegExp(`^queue '${r.queue}' .* does not exist$`));
        const blobs: string[] = [];
        for await (const b of new ContainerClient(azurite.connectionString, r.container).listBlobsFlat()) blobs.push(b.name);
        expect(blobs).toEqual([]);
    });

    it("verify of an unknown run names the run, the container and where the id comes from", async () => {
        const r = await resources();
        const e = theError(await runCli(["verify", "--run-id", "nosuchrun"], r.env));
        expect(e.msg).toBe(`run 'nosuchrun' has no manifest (runs/nosuchrun.json) in results container '${r.container}'`);
        expect(e.fix).toMatch(/--run-id \(send printed it first\)/);
    });

    it("verify without --run-id says to set it or KEDASCALE_RUN_ID", async () => {
        const r = await resources();
        const e = theError(await runCli(["verify"], { ...r.env, KEDASCALE_RUN_ID: undefined }));
        expect(e.msg).toMatch(/--run-id is required: set it or KEDASCALE_RUN_ID/);
    });
});

describe("credentials and endpoints", () => {
    it("a wrong account key (403 AuthenticationFailed) says the key or SAS was rejected", async () => {
        const r = await resources();
        const badKey = azurite.connectionString.replace(/AccountKey=[^;]+/, "AccountKey=" + Buffer.from("not the key").toString("base64"));
        const e = theError(await runCli(["work", "--drain"], { ...r.env, KEDASCALE_CONNECTION_STRING: badKey }));
        expect(e.msg).toMatch(new RegExp(`^storage account 'devstoreaccount1' \\(${azurite.queueEndpoint.replace(/[./]/g, "\\$&")}\\) rejected the connection string's key or SAS`));
        expect(e.fix).toMatch(/copy a current connection string/);
        expect(e).toMatchObject({ status: 403 });
    });

    it("a malformed connection string (Node's 'Invalid URL') says so and shows the expected shape", async () => {
        const e = theError(await runCli(["work", "--connection-string", "AccountName=devstoreaccount1;AccountKey=abc;QueueEndpoint=not a url"]));
        expect(e.msg).toMatch(/^the connection string for queue 'jobs' is not valid/);
        expect(e.fix).toMatch(/UseDevelopmentStorage=true/);
    });

    it("an endpoint where nothing listens names the endpoint, without waiting out the SDK's retries", async () => {
        const port = await freePort();
        const cs = azurite.connectionString.replace(/QueueEndpoint=http:\/\/127\.0\.0\.1:\d+/, `QueueEndpoint=http://127.0.0.1:${port}`);
        const r = await runCli(["send", "--no-manifest", "--count", "1"], { KEDASCALE_CONNECTION_STRING: cs }, 15_000);
        const e = theError(r);
        expect(e.msg).toBe(`nothing is listening at http://127.0.0.1:${port}/devstoreaccount1 for queue 'jobs' (ECONNREFUSED)`);
    });
});

describe("explain(): errors that only Azure produces, mapped from the SDKs' real error classes", () => {
    const queue: Target = {
        what: "queue",
        name: "jobs",
        host: "acct",
        hostKind: "storage account",
        endpoint: "https://acct.queue.core.windows.net",
        auth: "identity",
        nameFlag: "--queue (KEDASCALE_QUEUE)",
        role: "Storage Queue Data Contributor",
        create: "…",
    };
    const sb: Target = { ...queue, what: "Service Bus queue", host: "ns.servicebus.windows.net", hostKind: "Service Bus namespace", endpoint: "sb://ns.servicebus.windows.net", role: "Azure Service Bus Data Receiver" };

    it("403 AuthorizationPermissionMismatch (identity without the data role) names the role to grant and its scope", () => {
        const e = explain(new RestError("This request is not authorized to perform this operation using this permission.", { statusCode: 403, code: "AuthorizationPermissionMismatch" }), queue);
        expect(e.message).toBe("the signed-in identity is not allowed to use queue 'jobs' in storage account 'acct' (https://acct.queue.core.windows.net)");
        expect(e.fix).toMatch(/^grant that identity 'Storage Queue Data Contributor' scoped to the queue/);
    });

    it("403 KeyBasedAuthenticationNotPermitted says shared keys are off and to use an identity", () => {
        const e = explain(new RestError("Key based authentication is not permitted on this storage account.", { statusCode: 403, code: "KeyBasedAuthenticationNotPermitted" }), { ...queue, auth: "connection string" });
        expect(e.message).toMatch(/storage account 'acct' does not accept keys or connection strings/);
        expect(e.fix).toMatch(/--storage-account/);
    });

    it("ENOTFOUND names the account's endpoint", () => {
        const e = explain(new RestError("getaddrinfo ENOTFOUND acct.queue.core.windows.net", { code: "ENOTFOUND" }), queue);
        expect(e.message).toBe("cannot resolve https://acct.queue.core.windows.net for queue 'jobs' (ENOTFOUND)");
    });

    it("Service Bus MessagingEntityNotFound and UnauthorizedAccess name the queue, the namespace and the fix", () => {
        const missing = explain(new ServiceBusError("The messaging entity 'sb://ns.servicebus.windows.net/jobs' could not be found.", "MessagingEntityNotFound"), sb);
        expect(missing.message).toBe("Service Bus queue 'jobs' in Service Bus namespace 'ns.servicebus.windows.net' (sb://ns.servicebus.windows.net) does not exist");
        const denied = explain(new ServiceBusError("Unauthorized access. 'Listen' claim(s) are required to perform this operation.", "UnauthorizedAccess"), sb);
        expect(denied.fix).toMatch(/'Azure Service Bus Data Receiver' scoped to the Service Bus queue/);
    });
});
