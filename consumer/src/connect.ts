/**
 * Builds the broker and result store from options. Identity (DefaultAzureCredential: workload identity in
 * AKS, az login locally) with account/namespace names by default; a connection string only when given
 * explicitly (Azurite, local runs, virtual nodes where ACI has no workload identity).
 */
import type { TokenCredential } from "@azure/core-auth";
import type { Broker } from "./broker/types";
import type { ResultStore } from "./results";

// Each SDK is loaded only when this process uses it (dynamic imports stay lazy in the bundle): a Storage worker
// never pays for the AMQP stack, and `send --no-manifest` never loads the blob client. Start-up time and
// resident memory are what decide Jobs per node and seconds per burst.

export interface ConnectionOptions {
    broker: "storageQueue" | "serviceBus";
    queue: string;
    connectionString?: string;
    storageAccount?: string;
    serviceBusNamespace?: string;
    resultsConnectionString?: string;
    resultsAccount?: string;
    resultsContainer: string;
    /** Service Bus queue lockDuration, ms. */
    lockDurationMs: number;
    /** Storage invisibility window per receive/renewal, seconds. */
    visibilityTimeoutSeconds: number;
    maxDeliveryCount: number;
}

let credential: TokenCredential | undefined;
async function azureCredential(): Promise<TokenCredential> {
    // Loaded only when needed: identity and MSAL are most of the bundle's start-up cost.
    const { DefaultAzureCredential } = await import("@azure/identity");
    credential ??= new DefaultAzureCredential();
    return credential;
}

function missing(what: string, flags: string): never {
    throw new Error(`${what}: set ${flags}`);
}

export async function connectBroker(o: ConnectionOptions): Promise<Broker> {
    if (o.broker === "serviceBus") {
        const [{ ServiceBusClient }, { ServiceBusBroker }] = await Promise.all([import("@azure/service-bus"), import("./broker/serviceBus")]);
        const client = o.connectionString
            ? new ServiceBusClient(o.connectionString)
            : new ServiceBusClient(
                  fqdn(o.serviceBusNamespace ?? missing("Service Bus needs a namespace", "--servicebus-namespace (KEDASCALE_SERVICEBUS_NAMESPACE) or --connection-string")),
                  await azureCredential(),
              );
        return new ServiceBusBroker({ client, queueName: o.queue, lockDurationMs: o.lockDurationMs, maxDeliveryCount: o.maxDeliveryCount });
    }
    const [{ QueueClient }, { StorageQueueBroker }] = await Promise.all([import("@azure/storage-queue"), import("./broker/storageQueue")]);
    const queueClient = async (name: string) =>
        o.connectionString
            ? new QueueClient(o.connectionString, name)
            : new QueueClient(
                  `https://${o.storageAccount ?? missing("Storage queues need an account", "--storage-account (KEDASCALE_STORAGE_ACCOUNT) or --connection-string")}.queue.core.windows.net/${name}`,
                  await azureCredential(),
              );
    return new StorageQueueBroker({
        queue: await queueClient(o.queue),
        poisonQueue: await queueClient(`${o.queue}-poison`),
        visibilityTimeoutSeconds: o.visibilityTimeoutSeconds,
        maxDequeueCount: o.maxDeliveryCount,
    });
}

export async function connectResults(o: ConnectionOptions): Promise<ResultStore> {
    const [{ ContainerClient }, { ResultStore }] = await Promise.all([import("@azure/storage-blob"), import("./results")]);
    const conn = o.resultsConnectionString ?? (o.broker === "storageQueue" ? o.connectionString : undefined);
    if (conn) return new ResultStore(new ContainerClient(conn, o.resultsContainer));
    const account = o.resultsAccount ?? (o.broker === "storageQueue" ? o.storageAccount : undefined);
    if (!account) missing("results need a storage account", "--results-account (KEDASCALE_RESULTS_ACCOUNT) or --results-connection-string");
    return new ResultStore(new ContainerClient(`https://${account}.blob.core.windows.net/${o.resultsContainer}`, await azureCredential()));
}

function fqdn(namespace: string): string {
    return namespace.includes(".") ? namespace : `${namespace}.servicebus.windows.net`;
}
