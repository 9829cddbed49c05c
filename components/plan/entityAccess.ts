/**
 * Which built-in role each intent needs on one entity, and at which scope (pure; azure/messaging.ts assigns them,
 * plan/workloadSummary.ts prints them, tests compare the two).
 *
 * Scopes — the narrowest Azure RBAC takes:
 * - Service Bus data-plane roles can be assigned at a queue, a topic or a topic's subscription
 *   (service-bus-messaging/authenticate-application.md: access "scoped to … the entity (queue, topic, or
 *   subscription)"; only the portal cannot assign at subscription level). A subscription's receiver therefore needs
 *   its role on that subscription alone: receiving, completing and dead-lettering act on the subscription's entity
 *   path `<topic>/subscriptions/<subscription>`, and a topic-scoped grant would open every subscription of the topic.
 *   Sending goes to the topic. KEDA reads runtime counts through the management API, which Data Receiver does not
 *   allow: Data Owner (FACTS §5, §9), on the same entity. (How a subscription-scoped assignment behaves at run time is
 *   UNCONFIRMED here: no Azure on this machine; the document above is the source.)
 * - Storage: the queue itself, and Sender on its `-poison` queue for parking (FACTS §5: Update Message needs
 *   queues/messages/write, which only Storage Queue Data Contributor has among the built-in roles).
 */
import { isQueue, type BrokerKind, type Entity } from "./entities";

export type MessagingIntent = "receive" | "send" | "readQueueMetrics" | "writeResults";

/** Built-in role names, as azure/roles.ts ROLES keys them. */
export type EntityRole =
    | "serviceBusDataReceiver"
    | "serviceBusDataSender"
    | "serviceBusDataOwner"
    | "storageQueueDataContributor"
    | "storageQueueDataMessageSender"
    | "storageQueueDataReader"
    | "storageBlobDataContributor";

/** Where a role is assigned, relative to the entity. */
export type EntityScope = "queue" | "poisonQueue" | "topic" | "subscription" | "resultsContainer";

export function intentRoles(kind: BrokerKind, e: Entity, intent: MessagingIntent): { role: EntityRole; scope: EntityScope }[] {
    if (intent === "writeResults") return [{ role: "storageBlobDataContributor", scope: "resultsContainer" }];
    if (kind === "serviceBus") {
        const entity: EntityScope = isQueue(e) ? "queue" : "subscription";
        if (intent === "receive") return [{ role: "serviceBusDataReceiver", scope: entity }];
        if (intent === "send") return [{ role: "serviceBusDataSender", scope: isQueue(e) ? "queue" : "topic" }];
        return [{ role: "serviceBusDataOwner", scope: entity }];
    }
    if (!isQueue(e)) throw new Error(`a Storage broker has no topics (${e.topic})`);
    if (intent === "receive")
        return [
            { role: "storageQueueDataContributor", scope: "queue" },
            { role: "storageQueueDataMessageSender", scope: "poisonQueue" },
        ];
    if (intent === "send") return [{ role: "storageQueueDataMessageSender", scope: "queue" }];
    return [{ role: "storageQueueDataReader", scope: "queue" }];
}
