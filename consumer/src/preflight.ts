/**
 * Checks, before a command starts its loop, that the queue, poison queue and results container it needs exist and
 * that its credentials work, so a typo fails in a second with the resource named instead of looping on warnings.
 *
 * Probes use the cheapest call the command's own role already allows, not getProperties: Get Queue Metadata is
 * outside what Storage Queue Data Message Processor/Sender grant (they cover peek/get/delete and add messages:
 * learn.microsoft.com/azure/storage/queues/assign-azure-role-data-access), so a least-privilege worker would be
 * refused a check it never needs. Peek and a one-item list are what work/verify do anyway.
 */
import type { ConnectionOptions } from "./connect";
import { azureCredential } from "./connect";
import { explain, type Target } from "./errors";
import { interop } from "./interop";

export type Need = "receive" | "send" | "park" | "writeResults" | "readResults";

interface Probe {
    target: Target;
    /** Resolves if the resource exists and the call was allowed. */
    run(): Promise<void>;
    /**
     * The command's least-privilege role does not cover the probe's call (a sender cannot peek): a 403 then says
     * nothing about the command's own calls, so it is tolerated and only a 404 fails.
     */
    tolerate403: boolean;
}

/** Short tries: a preflight that waits out the SDK's default retries (16 s on a refused port) is not fail-fast. */
const STORAGE_RETRY = { maxTries: 2, retryDelayInMs: 300, tryTimeoutInMs: 15_000 };
const SB_RETRY = { maxRetries: 1, retryDelayInMs: 300, timeoutInMs: 15_000 };

const storageCreate = (kind: "queue" | "container", name: string, account: string) =>
    kind === "queue"
        ? `the stack creates it with broker storageQueue; by hand: az storage queue create --auth-mode login --account-name ${account} -n ${name}`
        : `the stack creates it; by hand: az storage container create --auth-mode login --account-name ${account} -n ${name}`;

async function storageQueueProbe(o: ConnectionOptions, name: string, what: "queue" | "poison queue", need: Need): Promise<Probe> {
    const { QueueClient } = interop(await import("@azure/storage-queue"));
    const auth = o.connectionString ? "connection string" : "identity";
    const target = (client?: { accountName: string; url: string }): Target => ({
        what,
        name,
        host: client?.accountName || o.storageAccount || "(from the connection string)",
        hostKind: "storage account",
        endpoint: client ? client.url.slice(0, client.url.length - name.length - 1) : o.storageAccount ? `https://${o.storageAccount}.queue.core.windows.net` : "(from the connection string)",
        auth,
        nameFlag: what === "queue" ? "--queue (KEDASCALE_QUEUE)" : "--queue (its poison queue is <queue>-poison)",
        role: need === "send" || need === "park" ? "Storage Queue Data Message Sender" : "Storage Queue Data Contributor",
        create: storageCreate("queue", name, client?.accountName ?? o.storageAccount ?? "<account>"),
    });
    let client;
    try {
        const conn = what === "poison queue" ? (o.poisonConnectionString ?? o.connectionString) : o.connectionString;
        client = conn
            ? new QueueClient(conn, name, { retryOptions: STORAGE_RETRY })
            : new QueueClient(`https://${o.storageAccount}.queue.core.windows.net/${name}`, await azureCredential(), { retryOptions: STORAGE_RETRY });
    } catch (e) {
        throw explain(e, target());
    }
    const c = client;
    return { target: target(c), run: async () => void (await c.peekMessages({ numberOfMessages: 1 })), tolerate403: need === "send" || need === "park" };
}

async function containerProbe(o: ConnectionOptions): Promise<Probe> {
    const { ContainerClient } = interop(await import("@azure/storage-blob"));
    const conn = o.resultsConnectionString ?? (o.broker === "storageQueue" ? o.connectionString : undefined);
    const account = o.resultsAccount ?? (o.broker === "storageQueue" ? o.storageAccount : undefined);
    const name = o.resultsContainer;
    const target = (client?: { accountName: string; url: string }): Target => ({
        what: "results container",
        name,
        host: client?.accountName || account || "(from the connection string)",
        hostKind: "storage account",
        endpoint: client ? client.url.slice(0, client.url.length - name.length - 1) : account ? `https://${account}.blob.core.windows.net` : "(from the connection string)",
        auth: conn ? "connection string" : "identity",
        nameFlag: "--results-container (KEDASCALE_RESULTS_CONTAINER)",
        role: "Storage Blob Data Contributor",
        create: storageCreate("container", name, client?.accountName ?? account ?? "<account>"),
    });
    let client;
    try {
        client = conn ? new ContainerClient(conn, name, { retryOptions: STORAGE_RETRY }) : new ContainerClient(`https://${account}.blob.core.windows.net/${name}`, await azureCredential(), { retryOptions: STORAGE_RETRY });
    } catch (e) {
        throw explain(e, target());
    }
    const c = client;
    return { target: target(c), run: async () => void (await c.listBlobsFlat().byPage({ maxPageSize: 1 }).next()), tolerate403: false };
}

async function serviceBusProbe(o: ConnectionOptions, need: Need): Promise<Probe> {
    const { ServiceBusClient } = interop(await import("@azure/service-bus"));
    const ns = o.serviceBusNamespace ? (o.serviceBusNamespace.includes(".") ? o.serviceBusNamespace : `${o.serviceBusNamespace}.servicebus.windows.net`) : undefined;
    const target = (host?: string): Target => ({
        what: "Service Bus queue",
        name: o.queue,
        host: host ?? ns ?? "(from the connection string)",
        hostKind: "Service Bus namespace",
        endpoint: `sb://${host ?? ns ?? "(from the connection string)"}`,
        auth: o.connectionString ? "connection string" : "identity",
        nameFlag: "--queue (KEDASCALE_QUEUE)",
        role: need === "send" ? "Azure Service Bus Data Sender" : "Azure Service Bus Data Receiver",
        create: `the stack creates it with broker serviceBus; by hand: az servicebus queue create --namespace-name <namespace> -g <group> -n ${o.queue}`,
    });
    let client: import("@azure/service-bus").ServiceBusClient;
    try {
        client = o.connectionString ? new ServiceBusClient(o.connectionString, { retryOptions: SB_RETRY }) : new ServiceBusClient(ns!, await azureCredential(), { retryOptions: SB_RETRY });
    } catch (e) {
        throw explain(e, target());
    }
    return {
        target: target(client.fullyQualifiedNamespace),
        run: async () => {
            try {
                // Opening the link is what checks the entity and the claim (Listen or Send); neither moves a message.
                if (need === "send") await client.createSender(o.queue).createMessageBatch();
                else await client.createReceiver(o.queue).peekMessages(1);
            } finally {
                await client.close();
            }
        },
        tolerate403: false,
    };
}

/** One line per tolerated probe, so the user knows what could not be checked. */
export type Note = (msg: string, fields: Record<string, unknown>) => void;

/**
 * Checks everything `needs` lists, in parallel; throws the first problem as a CliError naming the resource and the fix.
 * Missing account/namespace flags are left to connect.ts, which names the flag to set.
 */
export async function preflight(o: ConnectionOptions, needs: readonly Need[], note: Note = () => {}): Promise<void> {
    const makers: (() => Promise<Probe>)[] = [];
    const queueNeed = needs.find((n) => n === "receive" || n === "send");
    if (queueNeed && (o.connectionString || o.storageAccount || o.serviceBusNamespace)) {
        if (o.broker === "serviceBus") makers.push(() => serviceBusProbe(o, queueNeed));
        else makers.push(() => storageQueueProbe(o, o.queue, "queue", queueNeed));
    }
    if (needs.includes("park") && o.broker === "storageQueue" && (o.connectionString || o.storageAccount)) makers.push(() => storageQueueProbe(o, `${o.queue}-poison`, "poison queue", "park"));
    const resultsNeed = needs.find((n) => n === "writeResults" || n === "readResults");
    if (resultsNeed && (o.resultsConnectionString || o.resultsAccount || (o.broker === "storageQueue" && (o.connectionString || o.storageAccount)))) makers.push(() => containerProbe(o));

    const check = async (p: Probe): Promise<Error | undefined> => {
        try {
            await p.run();
            return undefined;
        } catch (e) {
            const status = (e as { statusCode?: number }).statusCode;
            const code = (e as { details?: { errorCode?: string } }).details?.errorCode;
            if (p.tolerate403 && status === 403 && code === "AuthorizationPermissionMismatch") {
                note(`cannot check that the ${p.target.what} exists with this identity's role (it may only send); continuing`, { resource: p.target.what, name: p.target.name });
                return undefined;
            }
            return explain(e, p.target);
        }
    };
    // Each probe's call goes out as soon as its client exists, before the next probe's SDK is loaded: a Job's start
    // then compiles the blob SDK while the queue probes are on the wire, instead of after (issue 15: cold start).
    const checks: Promise<Error | undefined>[] = [];
    let unbuilt: unknown;
    for (const make of makers) {
        try {
            checks.push(check(await make()));
        } catch (e) {
            // A probe that could not even be built (bad connection string, no identity) fails the preflight, once
            // the calls already out have ended: none is left running unobserved.
            unbuilt = e;
            break;
        }
    }
    const failure = (await Promise.all(checks)).find((r) => r !== undefined);
    if (unbuilt !== undefined) throw unbuilt;
    if (failure) throw failure;
}

/** Messages waiting in a Storage queue (approximate), for a progress bar's total; undefined when it cannot be read. */
export async function approximateDepth(o: ConnectionOptions): Promise<number | undefined> {
    if (o.broker !== "storageQueue" || !(o.connectionString || o.storageAccount)) return undefined;
    try {
        const { QueueClient } = interop(await import("@azure/storage-queue"));
        const client = o.connectionString ? new QueueClient(o.connectionString, o.queue) : new QueueClient(`https://${o.storageAccount}.queue.core.windows.net/${o.queue}`, await azureCredential());
        return (await client.getProperties()).approximateMessagesCount;
    } catch {
        return undefined;
    }
}
