/**
 * Checks, before a command starts its loop, that the queue, poison queue and results container it needs exist and
 * that its credentials work, so a typo fails in a second with the resource named instead of looping on warnings.
 *
 * Every probe is a call the command itself makes with the credential it is given, never a broader one (issue 23
 * point 1), so a least-privilege credential is never refused a check it does not need:
 * - queue: Peek Messages (SAS `r`; RBAC queues/messages/read). Get Queue Metadata is outside what Storage Queue Data
 *   Message Processor/Sender grant (learn.microsoft.com/azure/storage/queues/assign-azure-role-data-access).
 * - poison queue, with a connection string: Peek too; a SAS that may only add (the virtual-node SAS `a`) is refused it
 *   with 403 AuthorizationPermissionMismatch, which is tolerated — the call still checks the SAS's signature, scope
 *   and expiry. With an identity no call is made: the stack grants Message Sender there, which cannot peek.
 * - results (work, send): Get Blob Properties of a blob that need not exist (SAS `r`; RBAC blobs/read) — 404
 *   BlobNotFound means the container is there, ContainerNotFound that it is not. Not List Blobs: the container SAS
 *   the stack gives virtual-node pods is `rcw` (components/plan/virtualNodes.ts SAS_PERMISSIONS), and List Blobs needs
 *   `l` (Storage REST "Create a service SAS", permissions for a container). `r` is what the worker's idempotency
 *   check (exists, writtenBy) needs anyway.
 * - results (verify): List Blobs, which verify does next anyway.
 * - Service Bus: peek on a receiver link (Listen claim; Data Receiver's receive/action), or a sender link for `send`.
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
    /** The credential is a SAS: a permission it lacks never appears later (a new SAS is a new pod), unlike an RBAC role. */
    sas: boolean;
}

const isSas = (conn: string | undefined): boolean => conn !== undefined && /(^|;)\s*SharedAccessSignature=/i.test(conn);

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
    const conn = what === "poison queue" ? (o.poisonConnectionString ?? o.connectionString) : o.connectionString;
    try {
        client = conn
            ? new QueueClient(conn, name, { retryOptions: STORAGE_RETRY })
            : new QueueClient(`https://${o.storageAccount}.queue.core.windows.net/${name}`, await azureCredential(), { retryOptions: STORAGE_RETRY });
    } catch (e) {
        throw explain(e, target());
    }
    const c = client;
    return { target: target(c), run: async () => void (await c.peekMessages({ numberOfMessages: 1 })), tolerate403: need === "send" || need === "park", sas: isSas(conn) };
}

/** A blob name that is never written: its Get Blob Properties answers BlobNotFound when the container exists. */
export const PROBE_BLOB = "kedascale-startup-probe";

async function containerProbe(o: ConnectionOptions, need: "writeResults" | "readResults"): Promise<Probe> {
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
    const run =
        need === "readResults"
            ? async () => void (await c.listBlobsFlat().byPage({ maxPageSize: 1 }).next())
            : async () => {
                  try {
                      await c.getBlockBlobClient(PROBE_BLOB).getProperties();
                  } catch (e) {
                      // HEAD answers carry the code in x-ms-error-code: BlobNotFound = the container is there.
                      if ((e as { details?: { errorCode?: string } }).details?.errorCode !== "BlobNotFound") throw e;
                  }
              };
    return { target: target(c), run, tolerate403: false, sas: isSas(conn) };
}

/** The calls the Service Bus probe makes; tests hand in a fake that records them (consumer/test/credentials*.test.ts). */
export type ServiceBusProbeClient = Pick<import("@azure/service-bus").ServiceBusClient, "createReceiver" | "createSender" | "close" | "fullyQualifiedNamespace">;

async function serviceBusProbe(o: ConnectionOptions, need: Need, make?: () => ServiceBusProbeClient): Promise<Probe> {
    const { ServiceBusClient } = make ? { ServiceBusClient: undefined } : interop(await import("@azure/service-bus"));
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
    let client: ServiceBusProbeClient;
    try {
        if (make) client = make();
        else client = o.connectionString ? new ServiceBusClient!(o.connectionString, { retryOptions: SB_RETRY }) : new ServiceBusClient!(ns!, await azureCredential(), { retryOptions: SB_RETRY });
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
        sas: o.connectionString !== undefined,
    };
}

/** One line per tolerated probe, so the user knows what could not be checked. */
export type Note = (msg: string, fields: Record<string, unknown>) => void;

/** Test seams: the Service Bus client the probe uses (default: one built from the options). */
export interface PreflightDeps {
    serviceBusClient?: () => ServiceBusProbeClient;
}

/**
 * Answers that waiting cannot change: the credential itself is wrong (bad signature, expired SAS, keys refused), a
 * name is invalid, or a SAS lacks a permission (a SAS never gains one; the pod needs a new one). Everything else —
 * a queue or container not created yet (404), a role assignment still propagating (403 with an identity: up to
 * 10 minutes, learn.microsoft.com/azure/role-based-access-control/troubleshooting "Role assignment changes are not
 * being detected"), a federated credential not yet known to Entra, the network — may resolve by itself.
 */
const PERMANENT_CODES = new Set(["AuthenticationFailed", "KeyBasedAuthenticationNotPermitted", "InvalidResourceName", "OutOfRangeInput", "InvalidQueryParameterValue", "InvalidUri", "InvalidAuthenticationInfo"]);
const permanentErrors = new WeakSet<object>();

function isPermanentAnswer(e: unknown, p: Probe): boolean {
    const err = (e ?? {}) as { name?: string; message?: string; code?: string; statusCode?: number; details?: { errorCode?: string } };
    const code = err.details?.errorCode ?? err.code;
    if (code && PERMANENT_CODES.has(code)) return true;
    if (err.statusCode === 400) return true;
    if (p.sas && (code === "AuthorizationPermissionMismatch" || code === "UnauthorizedAccess")) return true;
    // A Service Bus connection string of another queue (its EntityPath): the SDK refuses it before any call.
    if (/EntityPath/.test(err.message ?? "")) return true;
    // No credential at all (not signed in, no workload identity variables): nothing will appear by waiting.
    return err.name === "CredentialUnavailableError" || err.name === "AggregateAuthenticationError";
}

/** Whether a preflight failure cannot resolve by waiting (startupWait.ts then exits at once). */
export function isPermanent(e: unknown): boolean {
    return typeof e === "object" && e !== null && permanentErrors.has(e);
}

/**
 * Checks everything `needs` lists, in parallel; throws the first problem as a CliError naming the resource and the fix
 * (isPermanent tells whether waiting could help). Missing account/namespace flags are left to connect.ts, which names
 * the flag to set.
 */
export async function preflight(o: ConnectionOptions, needs: readonly Need[], note: Note = () => {}, deps: PreflightDeps = {}): Promise<void> {
    const makers: (() => Promise<Probe>)[] = [];
    const queueNeed = needs.find((n) => n === "receive" || n === "send");
    if (queueNeed && (o.connectionString || o.storageAccount || o.serviceBusNamespace || deps.serviceBusClient)) {
        if (o.broker === "serviceBus") makers.push(() => serviceBusProbe(o, queueNeed, deps.serviceBusClient));
        else makers.push(() => storageQueueProbe(o, o.queue, "queue", queueNeed));
    }
    // With an identity the stack's role on the poison queue is Message Sender: a peek could only be refused (403), so
    // it is not made. With a connection string it checks the key, or the SAS's signature, scope and expiry.
    if (needs.includes("park") && o.broker === "storageQueue" && (o.poisonConnectionString || o.connectionString)) makers.push(() => storageQueueProbe(o, `${o.queue}-poison`, "poison queue", "park"));
    const resultsNeed = needs.find((n): n is "writeResults" | "readResults" => n === "writeResults" || n === "readResults");
    if (resultsNeed && (o.resultsConnectionString || o.resultsAccount || (o.broker === "storageQueue" && (o.connectionString || o.storageAccount)))) makers.push(() => containerProbe(o, resultsNeed));

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
            const explained = explain(e, p.target);
            if (isPermanentAnswer(e, p)) permanentErrors.add(explained);
            return explained;
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
            // the calls already out have ended: none is left running unobserved. Waiting would not change it.
            unbuilt = e;
            break;
        }
    }
    const failures = (await Promise.all(checks)).filter((r): r is Error => r !== undefined);
    if (unbuilt !== undefined) {
        if (typeof unbuilt === "object" && unbuilt !== null) permanentErrors.add(unbuilt);
        throw unbuilt;
    }
    // A problem waiting cannot fix comes first: it is the one to act on.
    const failure = failures.find(isPermanent) ?? failures[0];
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
