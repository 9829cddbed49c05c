/**
 * Queue depth for `watch`, counted the way KEDA's scaler counts it (FACTS §9), with the worker's identity rules
 * (consumer/src/connect.ts azureCredential: DefaultAzureCredential on a laptop, workload identity in a pod, never the
 * node's identity; a connection string only when given explicitly, e.g. Azurite):
 *   Service Bus: the management API's runtime properties, activeMessageCount (includes locked messages). Needs a
 *     role that may read them — Azure Service Bus Data Owner on the queue, as KEDA's identity has (FACTS §5);
 *     Data Receiver is not enough.
 *   Storage queue: getProperties().approximateMessagesCount (includes invisible messages); Storage Queue Data Reader.
 */
import { azureCredential } from "../../consumer/src/connect";

export interface QueueTarget {
    readonly broker: "serviceBus" | "storageQueue";
    readonly queue: string;
    /** Service Bus only: read this subscription of topic `queue` (KEDA's azure-servicebus scaler with topicName/subscriptionName). */
    readonly subscription?: string;
    /** Service Bus namespace (short name or FQDN) or storage account name. */
    readonly resource?: string;
    /** Explicit connection string (Azurite, local runs) instead of identity. */
    readonly connectionString?: string;
}

export async function queueDepthReader(target: QueueTarget): Promise<() => Promise<number>> {
    if (!target.connectionString && !target.resource) {
        throw new Error(`${target.broker === "serviceBus" ? "--servicebus-namespace" : "--storage-account"} is needed (or pulumi stack output broker, or --connection-string for Azurite)`);
    }
    if (target.broker === "serviceBus") {
        const { ServiceBusAdministrationClient } = await import("@azure/service-bus");
        const host = target.resource && (target.resource.includes(".") ? target.resource : `${target.resource}.servicebus.windows.net`);
        const admin = target.connectionString ? new ServiceBusAdministrationClient(target.connectionString) : new ServiceBusAdministrationClient(host!, await azureCredential());
        if (target.subscription) return async () => (await admin.getSubscriptionRuntimeProperties(target.queue, target.subscription!)).activeMessageCount;
        return async () => (await admin.getQueueRuntimeProperties(target.queue)).activeMessageCount;
    }
    const { QueueClient } = await import("@azure/storage-queue");
    const client = target.connectionString
        ? new QueueClient(target.connectionString, target.queue)
        : new QueueClient(`https://${target.resource}.queue.core.windows.net/${target.queue}`, await azureCredential());
    return async () => (await client.getProperties()).approximateMessagesCount ?? 0;
}
