/**
 * Issue 23 point 1, the workload-identity paths (AKS pods, Container Apps jobs): there the credential is a token, and
 * what the worker may do is the data actions of the roles the stack grants, on the scopes it grants them
 * (components/azure/messaging.ts intentRoles "receive" and "writeResults"):
 * - Storage Queue Data Contributor on the queue, Storage Queue Data Message Sender on `<queue>-poison`;
 * - Storage Blob Data Contributor on the results container;
 * - (Service Bus: Azure Service Bus Data Receiver on the queue — credentialsServiceBus.test.ts.)
 * Azurite has no Entra ID, so the worker runs with the account key through a recording proxy: the REST operations are
 * the same whatever signs them. Each recorded request is mapped to its operation and the permission Azure requires for
 * it (Storage REST "Authorize with Microsoft Entra ID", permissions for calling data operations:
 * learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory), and must be one the granted
 * role holds on that very resource. The role definitions are those of Azure's built-in roles reference
 * (learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage).
 */
import { ContainerClient } from "@azure/storage-blob";
import { QueueClient } from "@azure/storage-queue";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servicePort } from "./support/faultProxy";
import { startAzurite, type Azurite } from "./support/azurite";
import { preflight } from "../src/preflight";
import { runCli } from "./support/processes";
import { startStorageProxy, type Recorded, type StorageProxy } from "./support/storageProxy";

const Q = "Microsoft.Storage/storageAccounts/queueServices/queues";
const B = "Microsoft.Storage/storageAccounts/blobServices/containers";

/** Built-in roles: actions and dataActions (built-in-roles/storage.md). */
const ROLES = {
    "Storage Queue Data Contributor": [`${Q}/delete`, `${Q}/read`, `${Q}/write`, `${Q}/messages/delete`, `${Q}/messages/read`, `${Q}/messages/write`, `${Q}/messages/process/action`],
    "Storage Queue Data Message Processor": [`${Q}/messages/read`, `${Q}/messages/process/action`],
    "Storage Queue Data Message Sender": [`${Q}/messages/add/action`],
    "Storage Blob Data Contributor": [`${B}/delete`, `${B}/read`, `${B}/write`, "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action", `${B}/blobs/delete`, `${B}/blobs/read`, `${B}/blobs/write`, `${B}/blobs/move/action`, `${B}/blobs/add/action`],
} as const;
type Role = keyof typeof ROLES;

/** A REST operation and the permissions that allow it (any one of them suffices). */
interface Operation {
    name: string;
    anyOf: string[];
}

/** The request → operation table of the Storage REST reference, for the operations a queue worker can make. */
function operationOf(service: "queue" | "blob", r: Recorded): Operation | undefined {
    const parts = r.path.split("/").filter(Boolean); // [account, queue|container, ...rest]
    const rest = parts.slice(2);
    if (service === "queue") {
        if (rest[0] === "messages" && rest.length === 1) {
            if (r.method === "GET") return r.query.get("peekonly") === "true" ? { name: "Peek Messages", anyOf: [`${Q}/messages/read`] } : { name: "Get Messages", anyOf: [`${Q}/messages/process/action`] };
            if (r.method === "POST") return { name: "Put Message", anyOf: [`${Q}/messages/add/action`, `${Q}/messages/write`] };
            if (r.method === "DELETE") return { name: "Clear Messages", anyOf: [`${Q}/messages/delete`] };
        }
        if (rest[0] === "messages" && rest.length === 2) {
            if (r.method === "DELETE") return { name: "Delete Message", anyOf: [`${Q}/messages/process/action`, `${Q}/messages/delete`] };
            if (r.method === "PUT") return { name: "Update Message", anyOf: [`${Q}/messages/write`] };
        }
        if (rest.length === 0 && r.method === "GET" && r.query.get("comp") === "metadata") return { name: "Get Queue Metadata", anyOf: [`${Q}/read`] };
        return undefined;
    }
    if (rest.length === 0 && r.query.get("restype") === "container") {
        if (r.method === "GET" && r.query.get("comp") === "list") return { name: "List Blobs", anyOf: [`${B}/blobs/read`] };
        return undefined;
    }
    if (rest.length > 0 && !r.query.get("comp")) {
        if (r.method === "HEAD") return { name: "Get Blob Properties", anyOf: [`${B}/blobs/read`] };
        if (r.method === "GET") return { name: "Get Blob", anyOf: [`${B}/blobs/read`] };
        // A new blob needs add/action or write; the worker writes create-only (If-None-Match: *).
        if (r.method === "PUT") return { name: "Put Blob", anyOf: [`${B}/blobs/write`, `${B}/blobs/add/action`] };
    }
    return undefined;
}

/** The role the stack grants on a resource, and whether it allows a request: what Azure's RBAC would decide. */
function decide(service: "queue" | "blob", r: Recorded, granted: ReturnType<typeof grants>): { role?: Role; op?: Operation; allowed: boolean } {
    const resource = r.path.split("/").filter(Boolean)[1];
    const grant = granted.find((g) => g.service === service && g.resource === resource);
    const op = operationOf(service, r);
    return { role: grant?.role, op, allowed: grant !== undefined && op !== undefined && op.anyOf.some((p) => (ROLES[grant.role] as readonly string[]).includes(p)) };
}

let azurite: Azurite;
let queueProxy: StorageProxy;
let blobProxy: StorageProxy;
beforeAll(async () => {
    azurite = await startAzurite();
    queueProxy = await startStorageProxy(servicePort(azurite.connectionString, "Queue"));
    blobProxy = await startStorageProxy(servicePort(azurite.connectionString, "Blob"));
}, 60_000);
afterAll(async () => {
    await queueProxy?.close();
    await blobProxy?.close();
    await azurite?.stop();
});

/** What the stack grants the worker's identity, resource by resource (messaging.ts intentRoles). */
const grants = (queue: string, container: string): { service: "queue" | "blob"; resource: string; role: Role }[] => [
    { service: "queue", resource: queue, role: "Storage Queue Data Contributor" },
    { service: "queue", resource: `${queue}-poison`, role: "Storage Queue Data Message Sender" },
    { service: "blob", resource: container, role: "Storage Blob Data Contributor" },
];

describe("workload identity: every call the worker makes is in a role the stack grants, on the resource it grants it", () => {
    it("a Job (--once) and a drain with good, failing, slow and bad messages", async () => {
        const id = randomBytes(3).toString("hex");
        const queue = `wi-${id}`;
        const container = `wi-results-${id}`;
        const cs = azurite.connectionString;
        await new QueueClient(cs, queue).create();
        await new QueueClient(cs, `${queue}-poison`).create();
        await new ContainerClient(cs, container).create();
        const q = new QueueClient(cs, queue);
        await q.sendMessage(JSON.stringify({ runId: `wi${id}`, seq: 0, id: `wi${id}-0` }));
        const env = {
            KEDASCALE_CONNECTION_STRING: blobProxy.route(queueProxy.route(cs, "Queue"), "Blob"),
            KEDASCALE_QUEUE: queue,
            KEDASCALE_RESULTS_CONTAINER: container,
            KEDASCALE_WAIT_MS: "300",
            KEDASCALE_VISIBILITY_TIMEOUT: "1",
            KEDASCALE_RELEASE_BACKOFF_MS: "200",
        };
        // The proxies refuse (403 AuthorizationPermissionMismatch) whatever the granted role would not allow.
        const granted = grants(queue, container);
        queueProxy.deny((r) => !decide("queue", r, granted).allowed);
        blobProxy.deny((r) => !decide("blob", r, granted).allowed);
        const once = await runCli(["work", "--once"], env, 30_000);
        expect(once.code, once.output).toBe(0);
        await q.sendMessage("this is not JSON");
        await q.sendMessage(JSON.stringify({ runId: `wi${id}`, seq: 1, id: `wi${id}-1`, workMs: 2500 }));
        await q.sendMessage(JSON.stringify({ runId: `wi${id}`, seq: 2, id: `wi${id}-2`, failDeliveries: 1 }));
        const drain = await runCli(["work", "--drain"], env, 60_000);
        expect(drain.code, drain.output).toBe(0);
        expect(JSON.parse(drain.lines.at(-1)!)).toMatchObject({ completed: 2, deadLettered: 1 });

        const calls = [...queueProxy.requests.map((r) => ({ service: "queue" as const, r })), ...blobProxy.requests.map((r) => ({ service: "blob" as const, r }))];
        const outside: string[] = [];
        const used = new Map<string, Set<string>>();
        for (const { service, r } of calls) {
            const resource = r.path.split("/").filter(Boolean)[1];
            const d = decide(service, r, granted);
            if (d.allowed) used.set(`${d.role} @ ${resource}`, (used.get(`${d.role} @ ${resource}`) ?? new Set()).add(d.op!.name));
            else outside.push(`${d.op?.name ?? `${r.method} ${r.path}?${r.query} (unmapped: map it before relying on it)`} on ${service} '${resource}'${d.role ? ` (${d.role})` : " (no role granted there)"}`);
        }
        // The one call outside the grant is the start-up check's peek of the poison queue, made here only because the
        // test signs with a key: refused and tolerated (the drain above parked its bad message all the same), and with
        // an identity not made at all (preflight.ts; "with an identity, the poison queue is not probed" below).
        expect(outside.every((c) => c.startsWith(`Peek Messages on queue '${queue}-poison'`)), outside.join("\n")).toBe(true);
        // The paths meant were taken: peek (start-up), get, update (renew, release), delete, park, results written and checked.
        expect([...(used.get(`Storage Queue Data Contributor @ ${queue}`) ?? [])].sort()).toEqual(expect.arrayContaining(["Delete Message", "Get Messages", "Peek Messages", "Update Message"]));
        expect([...(used.get(`Storage Queue Data Message Sender @ ${queue}-poison`) ?? [])]).toContain("Put Message");
        expect([...(used.get(`Storage Blob Data Contributor @ ${container}`) ?? [])].sort()).toEqual(expect.arrayContaining(["Get Blob Properties", "Put Blob"]));
        // List Blobs is verify's, not the worker's: its start-up check no longer lists (a container SAS `rcw` refuses it).
        expect(used.get(`Storage Blob Data Contributor @ ${container}`)?.has("List Blobs")).toBe(false);

        // Why the stack grants Contributor on the queue, not Message Processor: renew and release are Update Message.
        const queueOps = calls.filter((c) => c.service === "queue" && c.r.path.split("/")[2] === queue).map((c) => operationOf("queue", c.r)!);
        queueProxy.allow();
        blobProxy.allow();
        const outsideProcessor = queueOps.filter((op) => !op.anyOf.some((p) => (ROLES["Storage Queue Data Message Processor"] as readonly string[]).includes(p))).map((op) => op.name);
        expect(new Set(outsideProcessor)).toContain("Update Message");
    }, 90_000);

    it("with an identity, the poison queue is not probed: the stack grants Message Sender there, which cannot peek", async () => {
        // No connection string: identity auth. Only the poison queue is asked for, so a probe would need a credential
        // (and the network); resolving at once shows none is made.
        await preflight({ broker: "storageQueue", queue: "jobs", storageAccount: "kedascalenotreal", resultsContainer: "results", lockDurationMs: 60_000, visibilityTimeoutSeconds: 30, maxDeliveryCount: 5 }, ["park"]);
    });
});
