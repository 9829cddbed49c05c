import * as servicebus from "@pulumi/azure-native/servicebus";
import * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import type { MessagingConfig } from "./config/schema";
import { grantRole, type RoleName } from "./roles";

export interface MessagingArgs {
    /** Resource group for the broker and the results account. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    location: pulumi.Input<string>;
    /** Validated messaging config: broker, queue, SKU and results account. */
    config: MessagingConfig;
    /** Service Bus namespace name (globally unique, 6–50 chars); used when broker is serviceBus. */
    serviceBusNamespaceName: pulumi.Input<string>;
    /** Storage account for the queue (globally unique, 3–24 lowercase alphanumerics); used when broker is storageQueue. */
    queueAccountName: pulumi.Input<string>;
    /** Storage account for results when they need their own (Service Bus broker, or BlockBlobStorage results). */
    resultsAccountName: pulumi.Input<string>;
}

/** Who may do what with the queue, by intent; Messaging maps an intent to the narrowest built-in roles. */
export type MessagingIntent = "receive" | "send" | "readQueueMetrics" | "writeResults";

/** What a consumer, the load generator or KEDA needs to reach the broker without a secret. */
export interface BrokerEndpoint {
    readonly kind: MessagingConfig["broker"];
    readonly queueName: string;
    /** Storage queues only: where the worker moves messages it gives up on. */
    readonly poisonQueueName?: string;
    /** Service Bus: namespace short name (KEDA's `namespace`). Storage: account name (KEDA's `accountName`). */
    readonly resourceName: pulumi.Output<string>;
    /** Service Bus: <ns>.servicebus.windows.net. Storage: https://<account>.queue.core.windows.net */
    readonly endpoint: pulumi.Output<string>;
}

/**
 * A queue (Service Bus with local auth off, or a Storage queue with shared keys off, plus a poison queue)
 * and a results blob container, with role grants by intent scoped to the queue or container.
 */
export class Messaging extends pulumi.ComponentResource {
    public readonly broker: BrokerEndpoint;
    public readonly resultsAccountName: pulumi.Output<string>;
    public readonly resultsContainerName: pulumi.Output<string>;
    /** https://<account>.blob.core.windows.net */
    public readonly resultsBlobEndpoint: pulumi.Output<string>;
    private readonly name: string;
    /** Role name → scopes, per intent; filled by the constructor for the chosen broker. */
    private readonly intentRoles: Record<MessagingIntent, { role: RoleName; scope: pulumi.Input<string> }[]>;

    constructor(name: string, args: MessagingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:azure:Messaging", name, {}, opts);
        this.name = name;
        const cfg = args.config;
        const base = { resourceGroupName: args.resourceGroupName, location: args.location };
        let queueAccount: storage.StorageAccount | undefined;

        if (cfg.broker === "serviceBus") {
            const sb = cfg.serviceBus;
            const ns = new servicebus.Namespace(
                `${name}-sb`,
                {
                    ...base,
                    namespaceName: args.serviceBusNamespaceName,
                    sku: { name: sb.sku, tier: sb.sku, ...(sb.sku === "Premium" ? { capacity: sb.capacity } : {}) },
                    // SAS off: nothing can authenticate with a connection string, KEDA included (FACTS §6).
                    disableLocalAuth: true,
                    minimumTlsVersion: "1.2",
                },
                { parent: this },
            );
            const queue = new servicebus.Queue(
                `${name}-queue`,
                {
                    resourceGroupName: args.resourceGroupName,
                    namespaceName: ns.name,
                    queueName: cfg.queueName,
                    lockDuration: sb.lockDuration,
                    maxDeliveryCount: sb.maxDeliveryCount,
                    defaultMessageTimeToLive: sb.defaultMessageTimeToLive,
                    deadLetteringOnMessageExpiration: sb.deadLetteringOnMessageExpiration,
                    requiresSession: sb.requiresSession,
                    requiresDuplicateDetection: sb.requiresDuplicateDetection,
                    ...(sb.requiresDuplicateDetection ? { duplicateDetectionHistoryTimeWindow: sb.duplicateDetectionHistoryTimeWindow } : {}),
                },
                { parent: this },
            );
            this.broker = {
                kind: "serviceBus",
                queueName: cfg.queueName,
                resourceName: ns.name,
                endpoint: pulumi.interpolate`${ns.name}.servicebus.windows.net`,
            };
            this.intentRoles = {
                receive: [{ role: "serviceBusDataReceiver", scope: queue.id }],
                send: [{ role: "serviceBusDataSender", scope: queue.id }],
                // KEDA reads runtime counts via the management API: Receiver is not enough (FACTS §5, §9).
                readQueueMetrics: [{ role: "serviceBusDataOwner", scope: queue.id }],
                writeResults: [],
            };
        } else {
            queueAccount = this.account(`${name}-queue-account`, args.queueAccountName, "StorageV2", "Standard_LRS", base);
            const queue = new storage.Queue(`${name}-queue`, { resourceGroupName: args.resourceGroupName, accountName: queueAccount.name, queueName: cfg.queueName }, { parent: this });
            const poisonQueueName = `${cfg.queueName}-poison`;
            const poison = new storage.Queue(`${name}-poison-queue`, { resourceGroupName: args.resourceGroupName, accountName: queueAccount.name, queueName: poisonQueueName }, { parent: this });
            this.broker = {
                kind: "storageQueue",
                queueName: cfg.queueName,
                poisonQueueName,
                resourceName: queueAccount.name,
                endpoint: queueAccount.primaryEndpoints.apply((e) => e.queue),
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

        const results = cfg.results;
        const resultsAccount =
            queueAccount && results.accountKind === "StorageV2"
                ? queueAccount
                : this.account(
                      `${name}-results-account`,
                      args.resultsAccountName,
                      results.accountKind,
                      results.sku ?? (results.accountKind === "BlockBlobStorage" ? "Premium_LRS" : "Standard_LRS"),
                      base,
                  );
        const container = new storage.BlobContainer(
            `${name}-results`,
            { resourceGroupName: args.resourceGroupName, accountName: resultsAccount.name, containerName: results.containerName, publicAccess: "None" },
            { parent: this },
        );
        this.intentRoles.writeResults.push({ role: "storageBlobDataContributor", scope: container.id });
        this.resultsAccountName = resultsAccount.name;
        this.resultsContainerName = container.name;
        this.resultsBlobEndpoint = resultsAccount.primaryEndpoints.apply((e) => e.blob);
        this.registerOutputs({ queueName: cfg.queueName, brokerResource: this.broker.resourceName, resultsContainer: this.resultsContainerName });
    }

    /**
     * Grants a managed identity what an intent needs, scoped to the queue or container, never the account or namespace.
     * `who` names the grantee in resource names, so it must be unique per Messaging.
     */
    public grant(who: string, intent: MessagingIntent, principalId: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions) {
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
                // Entra ID only: no account keys, no SAS signed with them.
                allowSharedKeyAccess: false,
                defaultToOAuthAuthentication: true,
                enableHttpsTrafficOnly: true,
                minimumTlsVersion: "TLS1_2",
                allowBlobPublicAccess: false,
            },
            { parent: this },
        );
    }
}
