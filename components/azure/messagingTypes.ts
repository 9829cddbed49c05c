/** Messaging's args and what a workload sees of its entity (types only; azure/messaging.ts implements them). */
import type * as authorization from "@pulumi/azure-native/authorization";
import type * as pulumi from "@pulumi/pulumi";
import type { BrokerKind, Entity } from "../plan/entities";
import type { DeliveryLimits } from "../plan/delivery";
import type { MessagingIntent } from "../plan/entityAccess";

/** A Service Bus namespace (local auth off) with the workloads' queues, topics and subscriptions. Limits: FACTS §6. */
export interface ServiceBusBrokerArgs {
    kind: "serviceBus";
    /** Namespace name: 6–50 letters, digits and '-', globally unique, not ending in -sb or -mgmt. */
    namespaceName: pulumi.Input<string>;
    /** Basic (no sessions, no duplicate detection), Standard or Premium. Default: Standard. */
    sku?: "Basic" | "Standard" | "Premium";
    /** Premium messaging units: 1, 2, 4, 8 or 16; ignored below Premium. Default: 1. */
    capacity?: 1 | 2 | 4 | 8 | 16;
    /** Peek-lock duration of every queue and subscription, ISO 8601, 5 s – 5 min; workers renew within it. Default: PT1M. */
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

/** Storage queues (shared keys off), each with its `<queue>-poison` queue, in an account of their own. */
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
    /**
     * The queues and topic subscriptions to create (plan/entities.ts brokerEntities: one per workload, shared ones once).
     * Storage: queues only, each with `<queue>-poison`. Service Bus: queues, and topics with their subscriptions
     * (a topic named by several entries is created once). Required (may be empty: a stack without workloads).
     */
    entities: readonly Entity[];
    /** The broker and its settings. */
    broker: ServiceBusBrokerArgs | StorageQueueBrokerArgs;
    /** Results container. Default: a StorageV2 container named results. */
    results?: ResultsArgs;
    /**
     * "virtualNodes": this Messaging serves only virtual-node (ACI) workloads, which get no workload identity (FACTS §1):
     * the namespace keeps local (SAS) auth on, or the accounts keep shared-key access on (a queue or blob service SAS
     * is signed with the account key), and each carries the tag `kedascale:localAuth: virtual-nodes` (the policy pack's
     * exception). Credentials scoped to one queue and the container come from VirtualNodeCredential. Default: none
     * (Entra only: local auth off, shared keys off).
     */
    localAuth?: "virtualNodes";
}

/** Who may do what with an entity, by intent; Messaging maps an intent to the narrowest built-in roles (plan/entityAccess.ts). */
export type { MessagingIntent };

/** The namespace or account: what KEDA's trigger and an SDK need besides the entity. */
export interface BrokerEndpoint {
    readonly kind: BrokerKind;
    /** Service Bus: namespace short name (KEDA's `namespace`). Storage: account name (KEDA's `accountName`). */
    readonly resourceName: pulumi.Output<string>;
    /** Service Bus: <ns>.servicebus.windows.net. Storage: https://<account>.queue.core.windows.net */
    readonly endpoint: pulumi.Output<string>;
}

/** One workload's entity in its broker. */
export interface EntityEndpoint extends BrokerEndpoint {
    readonly entity: Entity;
    /** Service Bus: the dead-letter sub-queue path; Storage: `<queue>-poison` (plan/entities.ts deadLetterPath). */
    readonly deadLetter: string;
}

/** What a workload needs of its entity: Messaging.forEntity implements it; LocalAzurite and tests may too. */
export interface WorkloadMessaging {
    readonly broker: EntityEndpoint;
    readonly deliveryLimits: DeliveryLimits;
    readonly resultsAccountName: pulumi.Output<string>;
    readonly resultsContainerName: pulumi.Output<string>;
    /** Grants `principalId` what `intent` needs on this entity (or the results container), nothing wider. */
    grant(who: string, intent: MessagingIntent, principalId: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions): authorization.RoleAssignment[];
}

