import type * as authorization from "@pulumi/azure-native/authorization";
import * as servicebus from "@pulumi/azure-native/servicebus";
import * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import { poisonQueueName } from "../plan/names";
import { deliveryLimits, type DeliveryLimits } from "../plan/delivery";
import { LOCAL_AUTH_TAGS } from "../plan/virtualNodes";
import { grantRole, type RoleName } from "./roles";

/** A Service Bus namespace (local auth off) with one queue. Limits: FACTS §6. */
export interface ServiceBusBrokerArgs {
    kind: "serviceBus";
    /** Namespace name: 6–50 letters, digits and '-', globally unique, not ending in -sb or -mgmt. */
    namespaceName: pulumi.Input<string>;
    /** Basic (no sessions, no duplicate detection), Standard or Premium. Default: Standard. */
    sku?: "Basic" | "Standard" | "Premium";
    /** Premium messaging units: 1, 2, 4, 8 or 16; ignored below Premium. Default: 1. */
    capacity?: 1 | 2 | 4 | 8 | 16;
    /** Peek-lock duration, ISO 8601, 5 s – 5 min; workers renew within it. Default: PT1M. */
    lockDuration?: string;
    /** Deliveries before Service Bus dead-letters a message, 1–2,000. Default: 10. */
    maxDeliveryCount?: number;
    /** Message time to live, ISO 8601. Default: P14D. */
    defaultMessageTimeToLive?: pulumi.Input<string>;
    /** Dead-letter expired messages instead of dropping them. Default: true. */
    deadLetteringOnMessageExpiration?: pulumi.Input<boolean>;
    /** Standard or Premium only. Default: false. */
    requiresDuplicateDetection?: boolean;
    /** Duplicate detection window, ISO 8601; only with requiresDuplicateDetection. Default: PT10M. */
    duplicateDetectionHistoryTimeWindow?: pulumi.Input<string>;
    /** Standard or Premium only. Default: false. */
    requiresSession?: pulumi.Input<boolean>;
}

/** A Storage queue (shared keys off) plus its `<queue>-poison` queue, in an account of its own. */
export interface StorageQueueBrokerArgs {
    kind: "storageQueue";
    /** Storage account of the queue: 3–24 lowercase letters and digits, globally unique. */
    accountName: pulumi.Input<string>;
    /** Receives after which the worker moves a message to the poison queue (Storage has no server-side limit), 1–100. Default: 5. */
    maxDequeueCount?: number;
}

export interface ResultsArgs {
    /** Blob container the workers write results to: 3–63 lowercase letters, digits and single '-'. Default: results. */
    containerName?: string;
    /** StorageV2, or BlockBlobStorage (Premium block blobs, low latency for many small writes). Default: StorageV2. */
    accountKind?: "StorageV2" | "BlockBlobStorage";
    /** Replication SKU; BlockBlobStorage needs Premium_*. Default: Premium_LRS for BlockBlobStorage, else Standard_LRS. */
    sku?: "Standard_LRS" | "Standard_ZRS" | "Standard_GRS" | "Premium_LRS" | "Premium_ZRS";
    /**
     * Account for the results: 3–24 lowercase letters and digits, globally unique. Required unless the broker is a
     * Storage queue and accountKind is StorageV2 (then the results share the queue's account).
     */
    accountName?: pulumi.Input<string>;
}

export interface MessagingArgs {
    /** Resource group of the broker and the results account. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    location: pulumi.Input<string>;
    /** Queue name, valid on both brokers: 3–63 lowercase letters, digits and single '-'. Default: jobs. */
    queueName?: string;
    /** The broker and its settings. */
    broker: ServiceBusBrokerArgs | StorageQueueBrokerArgs;
    /** Results container. Default: a StorageV2 container named results. */
    results?: ResultsArgs;
    /**
     * "virtualNodes": this Messaging serves only virtual-node (ACI) workloads, which get no workload identity (FACTS §1):
     * the namespace keeps local (SAS) auth on, or the accounts keep shared-key access on (a queue or blob service SAS
     * is signed with the account key), and each carries the tag `kedascale:localAuth: virtual-nodes` (the policy pack's
     * exception). Credentials scoped to the one queue and container come from VirtualNodeCredential. Default: none
     * (Entra only: local auth off, shared keys off).
     */
    localAuth?: "virtualNodes";
}

/** Who may do what with the queue, by intent; Messaging maps an intent to the narrowest built-in roles. */
export type MessagingIntent = "receive" | "send" | "readQueueMetrics" | "writeResults";

/** What a consumer, the load generator or KEDA needs to reach the broker without a secret. */
export interface BrokerEndpoint {
    readonly kind: "serviceBus" | "storageQueue";
    readonly queueName: string;
    /** Storage queues only: where the worker moves messages it gives up on. */
    readonly poisonQueueName?: string;
    /** Service Bus: namespace short name (KEDA's `namespace`). Storage: account name (KEDA's `accountName`). */
    readonly resourceName: pulumi.Output<string>;
    /** Service Bus: <ns>.servicebus.windows.net. Storage: https://<account>.queue.core.windows.net */
    readonly endpoint: pulumi.Output<string>;
}

/** What a workload needs of its queue: Messaging implements it; a test or another broker component may too. */
export interface WorkloadMessaging {
    readonly broker: BrokerEndpoint;
    readonly deliveryLimits: DeliveryLimits;
    readonly resultsAccountName: pulumi.Output<string>;
    readonly resultsContainerName: pulumi.Output<string>;
    grant(who: string, intent: MessagingIntent, principalId: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions): authorization.RoleAssignment[];
}

/**
 * A queue (Service Bus with local auth off, or a Storage queue with shared keys off, plus a poison queue)
 * and a results blob container, with role grants by intent scoped to the queue or container.
 */
export class Messaging extends pulumi.ComponentResource implements WorkloadMessaging {
    /** Service Bus only. */
    public readonly serviceBusNamespace?: servicebus.Namespace;
    /** Storage only: the queue's account (also the results account when accountKind is StorageV2). */
    public readonly queueAccount?: storage.StorageAccount;
    public readonly queue: servicebus.Queue | storage.Queue;
    /** Storage only: `<queue>-poison`. */
    public readonly poisonQueue?: storage.Queue;
    public readonly resultsAccount: storage.StorageAccount;
    public readonly resultsContainer: storage.BlobContainer;
    public readonly broker: BrokerEndpoint;
    /** The lock and delivery limit every worker of this queue must match. */
    public readonly deliveryLimits: DeliveryLimits;
    public readonly resultsAccountName: pulumi.Output<string>;
    public readonly resultsContainerName: pulumi.Output<string>;
    /** https://<account>.blob.core.windows.net */
    public readonly resultsBlobEndpoint: pulumi.Output<string>;
    /** Whether this Messaging keeps local auth on for virtual-node workloads (MessagingArgs.localAuth). */
    public readonly localAuth: boolean = false;
    private readonly name: string;
    /** Role → scope, per intent; filled by the constructor for the chosen broker. */
    private readonly intentRoles: Record<MessagingIntent, { role: RoleName; scope: pulumi.Input<string> }[]>;

    constructor(name: string, args: MessagingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:azure:Messaging", name, {}, opts);
        this.name = name;
        const queueName = args.queueName ?? "jobs";
        const base = { resourceGroupName: args.resourceGroupName, location: args.location };
        const b = args.broker;
        const localAuth = args.localAuth === "virtualNodes";
        this.localAuth = localAuth;

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
                    // the virtual-node namespace, which holds nothing but the virtual-node queue.
                    disableLocalAuth: !localAuth,
                    minimumTlsVersion: "1.2",
                    ...(localAuth ? { tags: { ...LOCAL_AUTH_TAGS } } : {}),
                },
                { parent: this },
            ));
            const queue = new servicebus.Queue(
                `${name}-queue`,
                {
                    resourceGroupName: args.resourceGroupName,
                    namespaceName: ns.name,
                    queueName,
                    lockDuration,
                    maxDeliveryCount,
                    defaultMessageTimeToLive: b.defaultMessageTimeToLive ?? "P14D",
                    deadLetteringOnMessageExpiration: b.deadLetteringOnMessageExpiration ?? true,
                    requiresSession: b.requiresSession ?? false,
                    requiresDuplicateDetection: duplicateDetection,
                    ...(duplicateDetection ? { duplicateDetectionHistoryTimeWindow: b.duplicateDetectionHistoryTimeWindow ?? "PT10M" } : {}),
                },
                { parent: this },
            );
            this.queue = queue;
            this.deliveryLimits = deliveryLimits({ kind: "serviceBus", lockDuration, maxDeliveryCount });
            this.broker = { kind: "serviceBus", queueName, resourceName: ns.name, endpoint: pulumi.interpolate`${ns.name}.servicebus.windows.net` };
            this.intentRoles = {
                receive: [{ role: "serviceBusDataReceiver", scope: queue.id }],
                send: [{ role: "serviceBusDataSender", scope: queue.id }],
                // KEDA reads runtime counts via the management API: Receiver is not enough (FACTS §5, §9).
                readQueueMetrics: [{ role: "serviceBusDataOwner", scope: queue.id }],
                writeResults: [],
            };
        } else {
            const account = (this.queueAccount = this.account(`${name}-queue-account`, b.accountName, "StorageV2", "Standard_LRS", base));
            const queue = new storage.Queue(`${name}-queue`, { resourceGroupName: args.resourceGroupName, accountName: account.name, queueName }, { parent: this });
            const poison = (this.poisonQueue = new storage.Queue(
                `${name}-poison-queue`,
                { resourceGroupName: args.resourceGroupName, accountName: account.name, queueName: poisonQueueName(queueName) },
                { parent: this },
            ));
            this.queue = queue;
            this.deliveryLimits = deliveryLimits({ kind: "storageQueue", maxDequeueCount: b.maxDequeueCount ?? 5 });
            this.broker = {
                kind: "storageQueue",
                queueName,
                poisonQueueName: poisonQueueName(queueName),
                resourceName: account.name,
                endpoint: account.primaryEndpoints.apply((e) => e.queue),
            };
            this.intentRoles = {
                // The worker gets (process/action), deletes (process/action) and renews or releases with Update Message,
                // which needs queues/messages/write ("Put or update a message", Storage REST permission table and
                // queues-auth-abac-attributes). Message Processor has only messages/read + process/action (peek, get,
                // delete), so renew and release would fail with 403. Storage Queue Data Contributor is the only built-in
                // role with messages/write; scoped to this one queue, its extra (queue metadata, clear, delete) reaches
                // nothing else. A custom role would be tighter, at the cost of a tenant-wide role definition whose
                // replication delays the first assignment. Sender on the poison queue (Put Message = messages/add/action)
                // parks bad messages (FACTS §5).
                receive: [
                    { role: "storageQueueDataContributor", scope: queue.id },
                    { role: "storageQueueDataMessageSender", scope: poison.id },
                ],
                send: [{ role: "storageQueueDataMessageSender", scope: queue.id }],
                readQueueMetrics: [{ role: "storageQueueDataReader", scope: queue.id }],
                writeResults: [],
            };
        }

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
        this.intentRoles.writeResults.push({ role: "storageBlobDataContributor", scope: this.resultsContainer.id });
        this.resultsAccountName = this.resultsAccount.name;
        this.resultsContainerName = this.resultsContainer.name;
        this.resultsBlobEndpoint = this.resultsAccount.primaryEndpoints.apply((e) => e.blob);
        this.registerOutputs({
            serviceBusNamespace: this.serviceBusNamespace,
            queueAccount: this.queueAccount,
            queue: this.queue,
            poisonQueue: this.poisonQueue,
            resultsAccount: this.resultsAccount,
            resultsContainer: this.resultsContainer,
            brokerResource: this.broker.resourceName,
        });
    }

    /**
     * Grants a managed identity what an intent needs, scoped to the queue or container, never the account or namespace.
     * `who` names the grantee in resource names (`${name}-<who>-<intent>-<role>`), so it must be unique per Messaging.
     */
    public grant(who: string, intent: MessagingIntent, principalId: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions): authorization.RoleAssignment[] {
        return this.intentRoles[intent].map(({ role, scope }) =>
            grantRole(`${this.name}-${who}-${intent}-${role}`, { principalId, role, scope }, { parent: this, ...opts }),
        );
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
