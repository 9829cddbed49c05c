/**
 * Which queue or topic subscription each workload reads (issue 21 point 1), and the names a consumer derives from it
 * (dead-letter sub-queue, poison queue). Pure; Messaging creates what `brokerEntities` lists, the renderers read
 * `workloadEntity`, preflight (config/rules/workloadEntities.ts) checks names and sharing.
 */
import { onContainerApps } from "../config/workloadPlatform";
import { onVirtualNodes } from "../config/virtualNodes";

export type BrokerKind = "serviceBus" | "storageQueue";

/** A queue, or (Service Bus only) a subscription of a topic. */
export type Entity = { readonly queue: string } | { readonly topic: string; readonly subscription: string };

export const isQueue = (e: Entity): e is { readonly queue: string } => "queue" in e;

/** What a workload's config says about its entity. */
export interface EntityFields {
    readonly name: string;
    readonly queue?: string;
    readonly topic?: { readonly name: string; readonly subscription: string };
}

/** `topic` if set, else `queue`, else a queue named after the workload. */
export function workloadEntity(w: EntityFields): Entity {
    if (w.topic) return { topic: w.topic.name, subscription: w.topic.subscription };
    return { queue: w.queue ?? w.name };
}

/**
 * One string per entity, for sharing checks and resource names. Service Bus keeps queues and topics in one entity
 * path space (a queue and a topic cannot share a name in a namespace), so both are keyed by their path.
 */
export function entityKey(e: Entity): string {
    return isQueue(e) ? e.queue : `${e.topic}/subscriptions/${e.subscription}`;
}

/** In words, for messages and the plan: `queue "jobs"`, `subscription "s" of topic "t"`. */
export function describeEntity(e: Entity): string {
    return isQueue(e) ? `queue "${e.queue}"` : `subscription "${e.subscription}" of topic "${e.topic}"`;
}

export const poisonQueueName = (queue: string): string => `${queue}-poison`;

/**
 * Where a message goes when it is given up on. Service Bus: the entity's dead-letter sub-queue, addressed as
 * `<queue>/$DeadLetterQueue` or `<topic>/Subscriptions/<subscription>/$DeadLetterQueue` (service-bus-dead-letter-queues.md,
 * "Path to the dead-letter queue"); the receiver moves messages there with its receive right. Storage queues have no
 * dead-letter queue: the consumer parks the message in `<queue>-poison` itself (it gets Sender on that queue).
 */
export function deadLetterPath(kind: BrokerKind, e: Entity): string {
    if (kind === "storageQueue") return poisonQueueName(isQueue(e) ? e.queue : e.topic);
    return isQueue(e) ? `${e.queue}/$DeadLetterQueue` : `${e.topic}/Subscriptions/${e.subscription}/$DeadLetterQueue`;
}

/** Whether a workload reads the virtual-node broker (its pods may run in ACI: no identity there). */
export const readsVirtualNodeBroker = (w: { readonly placement: string; readonly platform?: "aks" | "containerApps" }): boolean => !onContainerApps(w) && onVirtualNodes(w);

/** The broker kind a workload's entity lives in: the virtual-node broker's for ACI workloads, else the stack's. */
export function workloadBrokerKind(
    m: { readonly broker: BrokerKind; readonly virtualNodes?: { readonly broker?: BrokerKind } },
    w: { readonly placement: string; readonly platform?: "aks" | "containerApps" },
): BrokerKind {
    return readsVirtualNodeBroker(w) ? (m.virtualNodes?.broker ?? m.broker) : m.broker;
}

/** The distinct entities of some workloads, in first-seen order (shared ones once). */
export function brokerEntities(workloads: readonly EntityFields[]): Entity[] {
    const seen = new Map<string, Entity>();
    for (const w of workloads) {
        const e = workloadEntity(w);
        if (!seen.has(entityKey(e))) seen.set(entityKey(e), e);
    }
    return [...seen.values()];
}
