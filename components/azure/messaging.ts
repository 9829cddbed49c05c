import type * as authorization from "@pulumi/azure-native/authorization";
import * as servicebus from "@pulumi/azure-native/servicebus";
import * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import { deadLetterPath, entityKey, isQueue, poisonQueueName, type Entity } from "../plan/entities";
import { deliveryLimits, type DeliveryLimits } from "../plan/delivery";
import { LOCAL_AUTH_TAGS } from "../plan/virtualNodes";
import { intentRoles as entityRoles, type EntityScope, type MessagingIntent } from "../plan/entityAccess";
import { grantRole, type RoleName } from "./roles";

export type { BrokerEndpoint, EntityEndpoint, MessagingArgs, MessagingIntent, ResultsArgs, ServiceBusBrokerArgs, StorageQueueBrokerArgs, WorkloadMessaging } from "./messagingTypes";
import type { MessagingArgs, BrokerEndpoint, WorkloadMessaging } from "./messagingTypes";

/** A Pulumi-name-safe form of an entity key (`t/subscriptions/s` → `t-subscriptions-s`). */
const slug = (e: Entity) => entityKey(e).replace(/[^A-Za-z0-9._-]/g, "-");

/**
 * A broker (Service Bus with local auth off, or Storage with shared keys off) holding every workload's queue or topic
 * subscription (Storage: each queue with its poison queue), and one results blob container; grants by intent, scoped
 * to one entity (`forEntity(e).grant`) or the container.
 */
export class Messaging extends pulumi.ComponentResource {
    /** Service Bus only. */
    public readonly serviceBusNamespace?: servicebus.Namespace;
    /** Storage only: the queues' account (also the results account when accountKind is StorageV2). */
    public readonly queueAccount?: storage.StorageAccount;
    /** Queues by name (Service Bus or Storage). */
    public readonly queues: ReadonlyMap<string, servicebus.Queue | storage.Queue>;
    /** Storage only: `<queue>-poison` by queue name. */
    public readonly poisonQueues: ReadonlyMap<string, storage.Queue>;
    /** Service Bus only: topics by name, and subscriptions by entity key (`<topic>/subscriptions/<subscription>`). */
    public readonly topics: ReadonlyMap<string, servicebus.Topic>;
    public readonly subscriptions: ReadonlyMap<string, servicebus.Subscription>;
    public readonly resultsAccount: storage.StorageAccount;
    public readonly resultsContainer: storage.BlobContainer;
    /** The namespace or account. */
    public readonly broker: BrokerEndpoint;
    /** The lock and delivery limit every worker of this broker must match. */
    public readonly deliveryLimits: DeliveryLimits;
    public readonly resultsAccountName: pulumi.Output<string>;
    public readonly resultsContainerName: pulumi.Output<string>;
    /** https://<account>.blob.core.windows.net */
    public readonly resultsBlobEndpoint: pulumi.Output<string>;
    /** Whether this Messaging keeps local auth on for virtual-node workloads (MessagingArgs.localAuth). */
    public readonly localAuth: boolean = false;
    private readonly name: string;

    constructor(name: string, args: MessagingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:azure:Messaging", name, {}, opts);
        this.name = name;
        const base = { resourceGroupName: args.resourceGroupName, location: args.location };
        const rg = args.resourceGroupName;
        const b = args.broker;
        const localAuth = args.localAuth === "virtualNodes";
        this.localAuth = localAuth;
        const queues = new Map<string, servicebus.Queue | storage.Queue>();
        const poisonQueues = new Map<string, storage.Queue>();
        const topics = new Map<string, servicebus.Topic>();
        const subscriptions = new Map<string, servicebus.Subscription>();

        if (b.kind === "serviceBus") {
            const sku = b.sku ?? "Standard";
            const duplicateDetection = b.requiresDuplicateDetection ?? false;
            const lockDuration = b.lockDuration ?? "PT1M";
            const maxDeliveryCount = b.maxDeliveryCount ?? 10;
            const ns = (this.serviceBusNamespace = new servicebus.Namespace(
                `${name}-sb`,
                {
                    ...base,
                    namespaceName: b.namespaceName,
                    sku: { name: sku, tier: sku, ...(sku === "Premium" ? { capacity: b.capacity ?? 1 } : {}) },
                    // SAS off: nothing can authenticate with a connection string, KEDA included (FACTS §6). On only for
                    // the virtual-node namespace, which holds nothing but the virtual-node queues.
                    disableLocalAuth: !localAuth,
                    minimumTlsVersion: "1.2",
                    ...(localAuth ? { tags: { ...LOCAL_AUTH_TAGS } } : {}),
                },
                { parent: this },
            ));
            // Where a message is received: a queue, or a subscription (the topic only fans out). Both carry the lock,
            // the delivery limit and the dead-lettering the worker must match.
            const receiving = {
                lockDuration,
                maxDeliveryCount,
                defaultMessageTimeToLive: b.defaultMessageTimeToLive ?? "P14D",
                deadLetteringOnMessageExpiration: b.deadLetteringOnMessageExpiration ?? true,
                requiresSession: b.requiresSession ?? false,
            };
            const duplicates = { requiresDuplicateDetection: duplicateDetection, ...(duplicateDetection ? { duplicateDetectionHistoryTimeWindow: b.duplicateDetectionHistoryTimeWindow ?? "PT10M" } : {}) };
            for (const e of args.entities) {
                if (isQueue(e)) {
                    if (queues.has(e.queue)) continue;
                    queues.set(e.queue, new servicebus.Queue(`${name}-queue-${e.queue}`, { resourceGroupName: rg, namespaceName: ns.name, queueName: e.queue, ...receiving, ...duplicates }, { parent: this }));
                } else {
                    let topic = topics.get(e.topic);
                    if (!topic) {
                        topic = new servicebus.Topic(
                            `${name}-topic-${e.topic}`,
                            { resourceGroupName: rg, namespaceName: ns.name, topicName: e.topic, defaultMessageTimeToLive: receiving.defaultMessageTimeToLive, ...duplicates },
                            { parent: this },
                        );
                        topics.set(e.topic, topic);
                    }
                    if (subscriptions.has(entityKey(e))) continue;
                    subscriptions.set(
                        entityKey(e),
                        new servicebus.Subscription(
                            `${name}-subscription-${slug(e)}`,
                            { resourceGroupName: rg, namespaceName: ns.name, topicName: topic.name, subscriptionName: e.subscription, ...receiving },
                            { parent: this },
                        ),
                    );
                }
            }
            this.deliveryLimits = deliveryLimits({ kind: "serviceBus", lockDuration, maxDeliveryCount });
            this.broker = { kind: "serviceBus", resourceName: ns.name, endpoint: pulumi.interpolate`${ns.name}.servicebus.windows.net` };
        } else {
            const account = (this.queueAccount = this.account(`${name}-queue-account`, b.accountName, "StorageV2", "Standard_LRS", base));
            for (const e of args.entities) {
                if (!isQueue(e)) throw new Error(`Messaging ${name}: a Storage broker has no topics (${entityKey(e)}); preflight refuses this (rules/workloadEntities.ts)`);
                if (queues.has(e.queue)) continue;
                queues.set(e.queue, new storage.Queue(`${name}-queue-${e.queue}`, { resourceGroupName: rg, accountName: account.name, queueName: e.queue }, { parent: this }));
                poisonQueues.set(
                    e.queue,
                    new storage.Queue(`${name}-poison-${e.queue}`, { resourceGroupName: rg, accountName: account.name, queueName: poisonQueueName(e.queue) }, { parent: this }),
                );
            }
            this.deliveryLimits = deliveryLimits({ kind: "storageQueue", maxDequeueCount: b.maxDequeueCount ?? 5 });
            this.broker = { kind: "storageQueue", resourceName: account.name, endpoint: account.primaryEndpoints.apply((e) => e.queue) };
        }
        this.queues = queues;
        this.poisonQueues = poisonQueues;
        this.topics = topics;
        this.subscriptions = subscriptions;

        const results = args.results ?? {};
        const accountKind = results.accountKind ?? "StorageV2";
        if (!(this.queueAccount && accountKind === "StorageV2") && results.accountName === undefined) {
            throw new Error(`Messaging ${name}: results.accountName is required (the results need an account of their own with a ${b.kind} broker and ${accountKind} results)`);
        }
        this.resultsAccount =
            this.queueAccount && accountKind === "StorageV2"
                ? this.queueAccount
                : this.account(`${name}-results-account`, results.accountName!, accountKind, results.sku ?? (accountKind === "BlockBlobStorage" ? "Premium_LRS" : "Standard_LRS"), base);
        this.resultsContainer = new storage.BlobContainer(
            `${name}-results`,
            { resourceGroupName: args.resourceGroupName, accountName: this.resultsAccount.name, containerName: results.containerName ?? "results", publicAccess: "None" },
            { parent: this },
        );
        this.resultsAccountName = this.resultsAccount.name;
        this.resultsContainerName = this.resultsContainer.name;
        this.resultsBlobEndpoint = this.resultsAccount.primaryEndpoints.apply((e) => e.blob);
        this.registerOutputs({
            serviceBusNamespace: this.serviceBusNamespace,
            queueAccount: this.queueAccount,
            queues: Object.fromEntries(queues),
            poisonQueues: Object.fromEntries(poisonQueues),
            topics: Object.fromEntries(topics),
            subscriptions: Object.fromEntries(subscriptions),
            resultsAccount: this.resultsAccount,
            resultsContainer: this.resultsContainer,
            brokerResource: this.broker.resourceName,
        });
    }

    /** The roles an intent needs on one entity and where (plan/entityAccess.ts says why each scope is the narrowest), as resource ids. */
    private intentRoles(e: Entity, intent: MessagingIntent): { role: RoleName; scope: pulumi.Input<string> }[] {
        const scopeId = (scope: EntityScope): pulumi.Input<string> => {
            switch (scope) {
                case "resultsContainer":
                    return this.resultsContainer.id;
                case "queue":
                    return this.queues.get((e as { queue: string }).queue)!.id;
                case "poisonQueue":
                    return this.poisonQueues.get((e as { queue: string }).queue)!.id;
                case "topic":
                    return this.topics.get((e as { topic: string }).topic)!.id;
                case "subscription":
                    return this.subscriptions.get(entityKey(e))!.id;
            }
        };
        return entityRoles(this.broker.kind, e, intent).map(({ role, scope }) => ({ role, scope: scopeId(scope) }));
    }

    /**
     * One entity as a workload sees it: its endpoint and dead-letter path, this broker's limits and results, and grants
     * scoped to it. Grant resources are named `${name}-<who>-<intent>-<role>`, so `who` must be unique per Messaging
     * (a workload's name; `keda-<entity>` for KEDA).
     */
    public forEntity(e: Entity): WorkloadMessaging {
        if (isQueue(e) ? !this.queues.has(e.queue) : !this.subscriptions.has(entityKey(e))) throw new Error(`Messaging ${this.name}: no entity ${entityKey(e)} (pass it in args.entities)`);
        const self = this;
        return {
            broker: { ...this.broker, entity: e, deadLetter: deadLetterPath(this.broker.kind, e) },
            deliveryLimits: this.deliveryLimits,
            resultsAccountName: this.resultsAccountName,
            resultsContainerName: this.resultsContainerName,
            grant(who, intent, principalId, opts) {
                return self.intentRoles(e, intent).map(({ role, scope }) => grantRole(`${self.name}-${who}-${intent}-${role}`, { principalId, role, scope }, { parent: self, ...opts }));
            },
        };
    }

    /** KEDA's metrics read on one entity, named after the entity (shared entities get one grant). */
    public grantMetricsRead(e: Entity, principalId: pulumi.Input<string>): authorization.RoleAssignment[] {
        return this.forEntity(e).grant(`keda-${slug(e)}`, "readQueueMetrics", principalId);
    }

    private account(resourceName: string, accountName: pulumi.Input<string>, kind: "StorageV2" | "BlockBlobStorage", sku: string, base: { resourceGroupName: pulumi.Input<string>; location: pulumi.Input<string> }) {
        return new storage.StorageAccount(
            resourceName,
            {
                ...base,
                accountName,
                kind,
                sku: { name: sku },
                // Entra ID only: no account keys, no SAS signed with them — except the virtual-node accounts, whose
                // service SAS tokens are signed with the key (a user-delegation SAS exists for Blob only: FACTS §1).
                allowSharedKeyAccess: this.localAuth,
                ...(this.localAuth ? { tags: { ...LOCAL_AUTH_TAGS } } : {}),
                defaultToOAuthAuthentication: true,
                enableHttpsTrafficOnly: true,
                minimumTlsVersion: "TLS1_2",
                allowBlobPublicAccess: false,
            },
            { parent: this },
        );
    }
}
