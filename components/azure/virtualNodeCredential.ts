import * as servicebus from "@pulumi/azure-native/servicebus";
import * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import { containerCanonicalResource, CREDENTIAL_KEYS, queueCanonicalResource, SAS_PERMISSIONS, sasConnectionString } from "../plan/virtualNodes";
import { isQueue, type Entity } from "../plan/entities";
import type { Messaging } from "./messaging";

export interface VirtualNodeCredentialArgs {
    /** Resource group of the messaging resources. */
    resourceGroupName: pulumi.Input<string>;
    /** The virtual-node Messaging (created with localAuth "virtualNodes"). */
    messaging: Messaging;
    /** The workload's queue in it: with the results container, the whole scope of the credential (queues only: rules/workloadEntities.ts). */
    entity: Entity;
    /** Expiry of every SAS, ISO 8601 (plan/virtualNodes.ts credentialWindow: deterministic per window). */
    expiry: string;
    /** Name of the Service Bus queue authorization rule. Default: aci-listen. */
    ruleName?: string;
}

/**
 * The narrowest credentials Azure offers a pod without identity (ACI, FACTS §1), for one workload's queue and the
 * results container (one per virtual-node workload, each on its own queue):
 * - Service Bus: a Listen-only authorization rule on the queue (receive, complete, abandon, renew lock, dead-letter;
 *   no send, no manage), its connection string read with listQueueKeys.
 * - Storage queue: a service SAS on the queue (r, u, p) and one on `<queue>-poison` (a), signed by ARM with the
 *   account key (listServiceSas), expiring at `expiry`.
 * - Results: a blob service SAS on the container (r, c, w).
 * Nothing here is a role assignment: KEDA keeps its workload identity and RBAC on this queue (Messaging.grant).
 * Every value is a Pulumi secret; the SAS list calls take the accounts' *outputs*, so they run only once the accounts exist.
 */
export class VirtualNodeCredential extends pulumi.ComponentResource {
    /** Service Bus only. */
    public readonly listenRule?: servicebus.QueueAuthorizationRule;
    /** Secret key → value for the workload Secret (plan/virtualNodes.ts CREDENTIAL_KEYS); a Pulumi secret. */
    public readonly values: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: VirtualNodeCredentialArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:azure:VirtualNodeCredential", name, {}, opts);
        const m = args.messaging;
        if (!m.localAuth) throw new Error(`VirtualNodeCredential ${name}: the Messaging must be created with localAuth "virtualNodes" (its namespace/accounts refuse keys otherwise)`);
        const rg = args.resourceGroupName;
        const e = args.entity;
        if (!isQueue(e)) throw new Error(`VirtualNodeCredential ${name}: Service Bus has no Shared Access rule narrower than a topic, so a subscription cannot be the scope (preflight refuses this)`);
        const queue = m.queues.get(e.queue);
        if (!queue) throw new Error(`VirtualNodeCredential ${name}: the Messaging has no queue "${e.queue}"`);
        // A preview lists no keys and signs no SAS: both are POST actions (listkeys, listServiceSas) that a read-only
        // preview identity lacks (CI's Reader is `*/read` only, built-in-roles.md; deployments/azureActions.ts), and
        // what they return is a secret a preview never shows. In a preview the credential is "computed"; `pulumi up`
        // makes the calls (with the deployer's Contributor).
        const preview = pulumi.runtime.isDryRun();
        const computed = (): pulumi.Output<string> => pulumi.output(pulumi.unknown as unknown as string);
        const sas = (accountName: pulumi.Input<string>, canonicalizedResource: pulumi.Input<string>, permissions: string, resource?: "c") =>
            preview ? computed() : storage.listStorageAccountServiceSASOutput(
                { resourceGroupName: rg, accountName, canonicalizedResource, permissions, sharedAccessExpiryTime: args.expiry, protocols: "https", ...(resource ? { resource } : {}) },
                { parent: this },
            ).serviceSasToken;

        const results = m.resultsAccount.name;
        const resultsSas = sas(results, pulumi.all([results, m.resultsContainer.name]).apply(([a, c]) => containerCanonicalResource(a, c)), SAS_PERMISSIONS.resultsContainer, "c");
        const resultsConnection = pulumi.all([m.resultsBlobEndpoint, resultsSas]).apply(([endpoint, token]) => sasConnectionString("blob", endpoint, token));

        let values: pulumi.Output<Record<string, string>>;
        if (m.serviceBusNamespace) {
            const ns = m.serviceBusNamespace;
            this.listenRule = new servicebus.QueueAuthorizationRule(
                `${name}-listen`,
                { resourceGroupName: rg, namespaceName: ns.name, queueName: (queue as servicebus.Queue).name, authorizationRuleName: args.ruleName ?? "aci-listen", rights: ["Listen"] },
                { parent: this },
            );
            const listenConnection = preview
                ? computed()
                : servicebus.listQueueKeysOutput({ resourceGroupName: rg, namespaceName: ns.name, queueName: queue.name, authorizationRuleName: this.listenRule.name }, { parent: this }).primaryConnectionString;
            values = pulumi.all([listenConnection, resultsConnection]).apply(([connection, resultsConn]): Record<string, string> => ({
                [CREDENTIAL_KEYS.connection]: connection,
                [CREDENTIAL_KEYS.resultsConnection]: resultsConn,
            }));
        } else {
            const account = m.queueAccount!;
            const queueSas = sas(account.name, pulumi.all([account.name, queue.name]).apply(([a, q]) => queueCanonicalResource(a, q)), SAS_PERMISSIONS.queue);
            const poisonSas = sas(account.name, pulumi.all([account.name, m.poisonQueues.get(e.queue)!.name]).apply(([a, q]) => queueCanonicalResource(a, q)), SAS_PERMISSIONS.poisonQueue);
            values = pulumi.all([m.broker.endpoint, queueSas, poisonSas, resultsConnection]).apply(([endpoint, q, p, resultsConn]): Record<string, string> => ({
                [CREDENTIAL_KEYS.connection]: sasConnectionString("queue", endpoint, q),
                [CREDENTIAL_KEYS.poisonConnection]: sasConnectionString("queue", endpoint, p),
                [CREDENTIAL_KEYS.resultsConnection]: resultsConn,
            }));
        }
        this.values = pulumi.secret(values);
        this.registerOutputs({ listenRule: this.listenRule });
    }
}
