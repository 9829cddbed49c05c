/**
 * Builds the broker and result store from options. Identity with account/namespace names by default; a
 * connection string only when given explicitly (Azurite, local runs, virtual nodes where ACI has no workload identity).
 *
 * Identity: in a Kubernetes pod, the workload identity credential only — never DefaultAzureCredential, which falls
 * through to IMDS and the node's (kubelet) identity when the webhook did not inject its variables, and then fails
 * with 403s that name the wrong principal (FACTS §4; issue 9 point 7). Outside a cluster: DefaultAzureCredential
 * (az login, azd, environment). In an Azure Container Apps job: ManagedIdentityCredential for the client id in
 * AZURE_CLIENT_ID (the worker's user-assigned identity), through ACA's IDENTITY_ENDPOINT.
 */
import type { TokenCredential } from "@azure/core-auth";
import type { BodyStore } from "./broker/park";
import type { Broker } from "./broker/types";
import { interop } from "./interop";
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
    /** Storage: a connection string for `<queue>-poison` alone (a service SAS covers one queue: virtual nodes). */
    poisonConnectionString?: string;
    resultsAccount?: string;
    resultsContainer: string;
    /** Service Bus queue lockDuration, ms. */
    lockDurationMs: number;
    /** Storage invisibility window per receive/renewal, seconds. */
    visibilityTimeoutSeconds: number;
    maxDeliveryCount: number;
}

/**
 * SDK-level retries, kept short: the worker puts its own deadline (default 30 s) around every call and retries with
 * backoff itself, so a try must time out well inside it. Storage's default has no per-try timeout at all, which is
 * how one black-holed connection held a worker for minutes (issue 10 point 4).
 */
export const STORAGE_RETRY = { maxTries: 3, tryTimeoutInMs: 10_000, retryDelayInMs: 200, maxRetryDelayInMs: 2000 } as const;
export const SERVICE_BUS_RETRY = { maxRetries: 2, timeoutInMs: 10_000, retryDelayInMs: 500, maxRetryDelayInMs: 5000 } as const;

/** The workload identity webhook's contract (azure-workload-identity docs; FACTS §4). */
export const WORKLOAD_IDENTITY_LABEL = 'azure.workload.identity/use: "true"';
export const WORKLOAD_IDENTITY_ANNOTATION = "azure.workload.identity/client-id";

/**
 * In a pod (KUBERNETES_SERVICE_HOST set by the kubelet), what the webhook failed to inject, as an error text naming
 * the fix; undefined when the variables are there or when not in a pod.
 */
export function workloadIdentityProblem(env: NodeJS.ProcessEnv): string | undefined {
    if (!env.KUBERNETES_SERVICE_HOST) return undefined;
    const missing = ["AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"].filter((k) => !env[k]);
    if (missing.length === 0) return undefined;
    return (
        `running in a Kubernetes pod, but the workload identity webhook did not inject ${missing.join(", ")}. ` +
        `Label the pod template ${WORKLOAD_IDENTITY_LABEL} and annotate its ServiceAccount ` +
        `${WORKLOAD_IDENTITY_ANNOTATION}: <client id of the workload's managed identity>, then recreate the pod ` +
        `(the webhook only mutates pods at creation). The worker does not fall back to the node's managed identity.`
    );
}

/**
 * In an Azure Container Apps job replica (ACA sets CONTAINER_APP_JOB_NAME; CONTAINER_APP_NAME in an app), what is
 * missing for the worker's user-assigned identity, as an error text naming the fix; undefined when fine or not in ACA.
 * ACA serves managed-identity tokens at IDENTITY_ENDPOINT (with IDENTITY_HEADER) for the identities assigned to the
 * job; a job with more than one (ours: worker + scaler) must name which one by client id (issue 13).
 */
export function containerAppsIdentityProblem(env: NodeJS.ProcessEnv): string | undefined {
    if (!env.CONTAINER_APP_JOB_NAME && !env.CONTAINER_APP_NAME) return undefined;
    const missing = ["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "AZURE_CLIENT_ID"].filter((k) => !env[k]);
    if (missing.length === 0) return undefined;
    return (
        `running in Azure Container Apps, but ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set. ` +
        `Assign the worker's user-assigned identity to the job (identity.userAssignedIdentities, identitySettings lifecycle Main) ` +
        `and set AZURE_CLIENT_ID to its client id in the container's env. The worker does not fall back to another identity.`
    );
}

let credential: TokenCredential | undefined;
/** Shared with preflight.ts, so a process signs in once. */
export async function azureCredential(): Promise<TokenCredential> {
    if (credential) return credential;
    const problem = workloadIdentityProblem(process.env) ?? containerAppsIdentityProblem(process.env);
    if (problem) throw new Error(problem);
    // Loaded only when needed: identity and MSAL are most of the bundle's start-up cost.
    const { DefaultAzureCredential, ManagedIdentityCredential, WorkloadIdentityCredential } = interop(await import("@azure/identity"));
    if (process.env.KUBERNETES_SERVICE_HOST) credential = new WorkloadIdentityCredential();
    // ACA: the named user-assigned identity through IDENTITY_ENDPOINT, never a chain that could pick another.
    else if (process.env.CONTAINER_APP_JOB_NAME || process.env.CONTAINER_APP_NAME) credential = new ManagedIdentityCredential({ clientId: process.env.AZURE_CLIENT_ID! });
    else credential = new DefaultAzureCredential();
    return credential;
}

function missing(what: string, flags: string): never {
    throw new Error(`${what}: set ${flags}`);
}

export async function connectBroker(o: ConnectionOptions): Promise<Broker> {
    if (o.broker === "serviceBus") {
        const [{ ServiceBusClient }, { ServiceBusBroker }] = await Promise.all([import("@azure/service-bus").then(interop), import("./broker/serviceBus")]);
        const options = { retryOptions: { ...SERVICE_BUS_RETRY } };
        const client = o.connectionString
            ? new ServiceBusClient(o.connectionString, options)
            : new ServiceBusClient(
                  fqdn(o.serviceBusNamespace ?? missing("Service Bus needs a namespace", "--servicebus-namespace (KEDASCALE_SERVICEBUS_NAMESPACE) or --connection-string")),
                  await azureCredential(),
                  options,
              );
        return new ServiceBusBroker({ client, queueName: o.queue, lockDurationMs: o.lockDurationMs, maxDeliveryCount: o.maxDeliveryCount });
    }
    const [{ QueueClient }, { StorageQueueBroker }] = await Promise.all([import("@azure/storage-queue").then(interop), import("./broker/storageQueue")]);
    const options = { retryOptions: { ...STORAGE_RETRY } };
    const queueClient = async (name: string) =>
        o.connectionString
            ? new QueueClient(o.connectionString, name, options)
            : new QueueClient(
                  `https://${o.storageAccount ?? missing("Storage queues need an account", "--storage-account (KEDASCALE_STORAGE_ACCOUNT) or --connection-string")}.queue.core.windows.net/${name}`,
                  await azureCredential(),
                  options,
              );
    return new StorageQueueBroker({
        queue: await queueClient(o.queue),
        poisonQueue: o.poisonConnectionString ? new QueueClient(o.poisonConnectionString, `${o.queue}-poison`, options) : await queueClient(`${o.queue}-poison`),
        visibilityTimeoutSeconds: o.visibilityTimeoutSeconds,
        maxDequeueCount: o.maxDeliveryCount,
        parkedBodies: lazyBodyStore(o),
    });
}

/**
 * Bodies too large for the poison queue are kept in the results container. Connected on first use only (parking an
 * oversize body is rare; the blob SDK stays unloaded otherwise); undefined when no results location is configured.
 */
function lazyBodyStore(o: ConnectionOptions): BodyStore | undefined {
    if (!resultsLocation(o)) return undefined;
    let store: Promise<ResultStore> | undefined;
    return { put: async (name, content, signal) => (await (store ??= connectResults(o))).put(name, content, signal) };
}

function resultsLocation(o: ConnectionOptions): { connectionString: string } | { account: string } | undefined {
    const conn = o.resultsConnectionString ?? (o.broker === "storageQueue" ? o.connectionString : undefined);
    if (conn) return { connectionString: conn };
    const account = o.resultsAccount ?? (o.broker === "storageQueue" ? o.storageAccount : undefined);
    return account ? { account } : undefined;
}

export async function connectResults(o: ConnectionOptions): Promise<ResultStore> {
    const [{ ContainerClient }, { ResultStore }] = await Promise.all([import("@azure/storage-blob").then(interop), import("./results")]);
    const where = resultsLocation(o) ?? missing("results need a storage account", "--results-account (KEDASCALE_RESULTS_ACCOUNT) or --results-connection-string");
    const options = { retryOptions: { ...STORAGE_RETRY } };
    if ("connectionString" in where) return new ResultStore(new ContainerClient(where.connectionString, o.resultsContainer, options));
    return new ResultStore(new ContainerClient(`https://${where.account}.blob.core.windows.net/${o.resultsContainer}`, await azureCredential(), options));
}

function fqdn(namespace: string): string {
    return namespace.includes(".") ? namespace : `${namespace}.servicebus.windows.net`;
}
